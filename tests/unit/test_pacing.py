"""The per-channel token bucket and the per-method cooldown, on a hand-moved clock."""

from __future__ import annotations

from app.delivery.pacing import Pacer
from tests.clocks import HandClock


def test_a_channel_gets_a_burst_then_one_a_second() -> None:
    clock = HandClock(100.0)
    pacer = Pacer(rate=1.0, burst=3, monotonic=clock)
    assert [pacer.wait_for("T", "chat.postMessage", "C1") for _ in range(3)] == [0, 0, 0]
    assert pacer.wait_for("T", "chat.postMessage", "C1") == 1.0
    assert pacer.wait_for("T", "chat.postMessage", "C2") == 0
    clock.now += 1.0
    assert pacer.wait_for("T", "chat.postMessage", "C1") == 0
    assert pacer.wait_for("T", "chat.postMessage", "C1") == 1.0


def test_a_cooldown_holds_the_method_in_that_workspace_only() -> None:
    clock = HandClock(100.0)
    pacer = Pacer(monotonic=clock)
    pacer.cool_down("T1", "chat.postMessage", 2.0)
    assert pacer.wait_for("T1", "chat.postMessage", "C1") == 2.0
    assert pacer.wait_for("T1", "views.publish", None) == 0
    assert pacer.wait_for("T2", "chat.postMessage", "C1") == 0
    clock.now += 2.5
    assert pacer.wait_for("T1", "chat.postMessage", "C1") == 0


def test_idle_state_is_forgotten() -> None:
    clock = HandClock(100.0)
    pacer = Pacer(monotonic=clock)
    pacer.wait_for("T", "chat.postMessage", "C1")
    pacer.cool_down("T", "chat.update", 1)
    clock.now += 10
    pacer.forget_idle()
    assert pacer._buckets == {}
    assert pacer._cooldowns == {}
