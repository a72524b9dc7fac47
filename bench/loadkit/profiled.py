"""`python -m bench.loadkit.profiled run …`: `reciprocity run` with every thread under cProfile.

Each thread gets its own profiler timed by its own CPU clock (`time.thread_time`), so a thread
waiting for the GIL, the database or Slack is not charged for it. On SIGUSR1 every profile so far
goes to `$PROFILE_DIR/start/<n>-<thread name>.prof` (pstats' format), and at exit to
`$PROFILE_DIR/end/…`: `bench.loadkit.profiles` subtracts the one from the other, so the setup
before the signal is not counted.
"""

from __future__ import annotations

import atexit
import cProfile
import marshal
import os
import runpy
import signal
import threading
import time
from pathlib import Path
from typing import Any

_PROFILES: list[tuple[threading.Thread, cProfile.Profile]] = []
_LOCK = threading.Lock()


def _profiled(thread: threading.Thread) -> cProfile.Profile:
    """A new profiler for the calling thread, `thread`, registered for the dumps, enabled."""
    profile = cProfile.Profile(time.thread_time)
    with _LOCK:
        _PROFILES.append((thread, profile))
    profile.enable()
    return profile


def _install() -> None:
    """Profile every thread started from now on, whatever its class's `run` is."""
    bootstrap = threading.Thread._bootstrap_inner  # type: ignore[attr-defined]

    def bootstrap_inner(self: threading.Thread) -> None:
        # `self`, not current_thread(): the thread is not registered under its name yet.
        profile = _profiled(self)
        try:
            bootstrap(self)
        finally:
            profile.disable()

    threading.Thread._bootstrap_inner = bootstrap_inner  # type: ignore[attr-defined]


def dump(folder: Path) -> None:
    """Write every thread's profile so far to `folder` (threads still running included)."""
    folder.mkdir(parents=True, exist_ok=True)
    with _LOCK:
        profiles = list(_PROFILES)
    for index, (thread, profile) in enumerate(profiles):
        # snapshot_stats reads the entries without disabling another thread's profiler.
        profile.snapshot_stats()
        stats: dict[Any, Any] = profile.stats  # type: ignore[attr-defined]
        name = thread.name.replace("/", "_").replace(" ", "_")
        with open(folder / f"{index:03d}-{name}.prof", "wb") as handle:
            marshal.dump(stats, handle)


def main() -> None:
    """Run `python -m app` with the arguments given, profiled, dumping at exit."""
    folder = Path(os.environ["PROFILE_DIR"])
    _install()
    main_profile = _profiled(threading.main_thread())
    signal.signal(signal.SIGUSR1, lambda *_: dump(folder / "start"))
    atexit.register(lambda: (main_profile.disable(), dump(folder / "end")))
    runpy.run_module("app", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
