"""lgs_core.app.background: the app's slow work beside its sessions (the first-run demo data, the slow tabs).

What a page relies on: asking twice for the same key gets the same job (one fit for every session), a done
job's result comes back at once, a failed job's error reaches whoever asks and is not kept, progress is
readable while it runs, and no more than two jobs compute at once.
"""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from lgs_core.app import background
from lgs_core.errors import LgsError

_keys = itertools.count()


def _key() -> tuple[str, int]:
    return ("test", next(_keys))


def test_the_same_key_is_one_job_and_its_result_is_kept() -> None:
    release = threading.Event()
    calls: list[int] = []

    def work(job: background.Job[int]) -> int:
        calls.append(1)
        job.progress(0.5, "half way")
        release.wait(10)
        return 42

    key = _key()
    first = background.start(key, work, "waiting")
    second = background.start(key, work)
    assert second is first and not first.done
    deadline = time.monotonic() + 10
    while first.message != "half way":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert first.fraction == 0.5 and not first.wait(0.05)
    release.set()
    assert first.result() == 42 and first.done and first.seconds > 0
    again = background.start(key, work)
    assert again is first and again.result() == 42 and calls == [1]  # done: not computed again


def test_a_failed_job_raises_for_whoever_asks_and_is_tried_again() -> None:
    attempts: list[int] = []

    def work(job: background.Job[int]) -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise LgsError("too few customers", where="lifetime value", todo="widen the date range")
        return 7

    key = _key()
    failed = background.start(key, work)
    with pytest.raises(LgsError, match="too few customers"):
        failed.result()
    assert failed.failed and background.get(key) is None
    retried = background.start(key, work)
    assert retried is not failed and retried.result() == 7 and len(attempts) == 2


def test_at_most_two_jobs_compute_at_once_and_the_others_wait() -> None:
    release = threading.Event()
    running = 0
    most = 0
    lock = threading.Lock()

    def work(job: background.Job[None]) -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        release.wait(10)
        with lock:
            running -= 1

    jobs = [background.start(_key(), work) for _ in range(4)]
    time.sleep(0.3)
    assert most == 2
    assert sum(job.started_at is None for job in jobs) == 2  # queued: the page says it is waiting
    release.set()
    for job in jobs:
        job.result()
    assert most == 2


def test_an_own_thread_job_does_not_wait_behind_the_workers() -> None:
    """The first-run demo data starts at once even when both workers are busy with slow tabs."""
    release = threading.Event()
    busy = [background.start(_key(), lambda job: release.wait(10)) for _ in range(2)]
    own = background.start(_key(), lambda job: "made", own_thread=True)
    try:
        assert own.wait(5) and own.result() == "made"
    finally:
        release.set()
        for job in busy:
            job.result()
