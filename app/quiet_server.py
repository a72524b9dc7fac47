"""uvicorn's server, waking once a second instead of ten times when it has nothing to serve."""

from __future__ import annotations

import asyncio
import contextlib

import uvicorn


class QuietServer(uvicorn.Server):
    """A uvicorn server whose housekeeping tick (the Date header, the exit check) runs once a
    second: uvicorn's 0.1 s tick was most of an idle bot's CPU, and the Date header only changes
    once a second anyway. A requested exit wakes the loop at once, from any thread."""

    TICK_SECONDS = 1.0
    _loop: asyncio.AbstractEventLoop | None = None
    _exit_requested: asyncio.Event | None = None

    @property
    def should_exit(self) -> bool:
        """Whether an exit was requested (by a signal or by whoever runs the server)."""
        return bool(self.__dict__.get("_should_exit", False))

    @should_exit.setter
    def should_exit(self, value: bool) -> None:
        self.__dict__["_should_exit"] = value
        if value and self._loop is not None and self._exit_requested is not None:
            # Set from a signal handler or another thread: wake the sleeping tick now.
            self._loop.call_soon_threadsafe(self._exit_requested.set)

    async def main_loop(self) -> None:
        """Tick until an exit is requested."""
        self._loop = asyncio.get_running_loop()
        self._exit_requested = asyncio.Event()
        # uvicorn refreshes the Date header on every tenth tick, i.e. on counter 0 here.
        should_exit = await self.on_tick(0)
        while not should_exit:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._exit_requested.wait(), self.TICK_SECONDS)
            should_exit = await self.on_tick(0)
