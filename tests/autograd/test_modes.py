"""Grad mode, scope recording and anomaly mode belong to the running thread (as PyTorch's grad
mode does): a mode set in one thread leaves every other thread as it was."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import autograd
from autograd import (
    AnomalyError,
    Tensor,
    Value,
    detect_anomaly,
    enable_grad,
    is_grad_enabled,
    no_grad,
    record_scopes,
    scope,
)


def _in_thread_while(context: Any, other: Callable[[], Any]) -> Any:
    """Run ``other()`` in a second thread while this thread sits inside ``context``."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["value"] = other()
        except BaseException as error:  # re-raised in the test's thread
            result["error"] = error

    with context:
        thread = threading.Thread(target=run)
        thread.start()
        thread.join(timeout=30)
    if "error" in result:
        raise result["error"]
    return result["value"]


def test_no_grad_in_one_thread_leaves_another_recording() -> None:
    a = Value(2.0)
    w = Tensor(np.ones(2), requires_grad=True)

    def build() -> tuple[bool, int, bool]:
        return is_grad_enabled(), len((a * 3)._prev), (w * 2).requires_grad

    assert _in_thread_while(no_grad(), build) == (True, 2, True)
    with no_grad():  # and the thread that entered no_grad records nothing
        assert not is_grad_enabled() and (a * 3)._prev == () and not (w * 2).requires_grad
    assert is_grad_enabled()


def test_a_thread_started_inside_no_grad_records() -> None:
    seen: list[bool] = []

    def worker() -> None:
        seen.append(is_grad_enabled())
        with no_grad():  # a thread's own no_grad ends with it
            seen.append(is_grad_enabled())

    with no_grad():
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        assert not is_grad_enabled()
    assert seen == [True, False] and is_grad_enabled()


def test_enable_grad_records_inside_no_grad() -> None:
    a = Value(1.0)
    with no_grad():
        with enable_grad():
            assert len((a + 1)._prev) == 2
        assert (a + 1)._prev == ()


def test_scopes_recorded_in_one_thread_see_only_its_own_nodes() -> None:
    def other_thread() -> tuple[bool, int]:
        with scope("theirs"):
            y = Value(1.0) * 2
        return autograd.is_recording_scopes(), id(y)

    with record_scopes() as made_in, scope("ours"):
        mine = Value(3.0) * 2
        recording, theirs = _in_thread_while(scope("ours"), other_thread)
    assert not recording and theirs not in made_in
    assert made_in[id(mine)][1] == "ours" and not autograd.is_recording_scopes()


def test_anomaly_mode_of_one_thread_does_not_stop_another() -> None:
    def log_of_zero() -> float:
        with np.errstate(divide="ignore"):
            return float(Tensor([0.0], requires_grad=True).log().data[0])

    assert _in_thread_while(detect_anomaly(), log_of_zero) == -np.inf
    with pytest.raises(AnomalyError), detect_anomaly():
        Tensor([0.0], requires_grad=True).log()


def test_asyncio_tasks_keep_their_own_grad_mode() -> None:
    async def inside_no_grad(started: asyncio.Event, release: asyncio.Event) -> bool:
        with no_grad():
            started.set()
            await release.wait()
            return is_grad_enabled()

    async def main() -> tuple[bool, bool]:
        started, release = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(inside_no_grad(started, release))
        await started.wait()
        here = is_grad_enabled()  # the other task is inside no_grad right now
        release.set()
        return here, await task

    assert asyncio.run(main()) == (True, False)


def test_modes_left_out_of_order_put_back_only_what_each_changed() -> None:
    """A generator that entered no_grad() and is closed inside detect_anomaly(): each block
    restores its own mode, not the whole record it saw."""
    def inside_no_grad():
        with no_grad():
            yield

    paused = inside_no_grad()
    next(paused)
    assert not is_grad_enabled()
    with detect_anomaly():
        paused.close()  # leaves no_grad: grad mode back on, anomaly mode still on
        assert is_grad_enabled() and autograd.modes.modes().anomaly is not None
    assert is_grad_enabled() and autograd.modes.modes().anomaly is None
