"""Work that runs beside the app's sessions (issue #14): one job per key, in a thread, with its progress.

The app starts the first-run demo data when its server starts (not when the first visitor arrives), and the
slow tabs (the lifetime-value fits, product affinity) compute without holding the page: a page asks for a
job's result, draws a "computing…" line while it runs, and draws the result when it is done. Imports no
streamlit: the pages draw; this module only runs, remembers and reports.

A job is keyed by what it computes (the store, its data version, the parameters): asking again for the same
key gets the job already running, or its result once done (the last ``KEEP`` results are kept). A job that
failed is not kept: asking again tries again.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Generic, TypeVar

T = TypeVar("T")
KEEP = 32  # finished results kept, across sessions (a few windows × the slow tabs)
# Two workers on a 2-core machine: a third fit would only slow the two running; more jobs wait their turn.
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="lgs-job")
_lock = threading.Lock()
_jobs: OrderedDict[Hashable, Job[Any]] = OrderedDict()


class Job(Generic[T]):
    """One computation in a thread: its progress (a fraction and a message) while it runs, then its result
    or its error."""

    def __init__(self, key: Hashable, message: str) -> None:
        self.key = key
        self.fraction = 0.0
        self.message = message
        self.queued_at = time.monotonic()
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self._done = threading.Event()
        self._result: T | None = None
        self._error: BaseException | None = None

    def progress(self, fraction: float, message: str) -> None:
        """The callback lgs_core's long steps take (``progress=job.progress``)."""
        self.fraction = min(max(float(fraction), 0.0), 1.0)
        self.message = message

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def failed(self) -> bool:
        return self.done and self._error is not None

    @property
    def seconds(self) -> float:
        """How long it has run (or ran), from when it started; 0 while it waits for a worker."""
        if self.started_at is None:
            return 0.0
        return (self.finished_at or time.monotonic()) - self.started_at

    def wait(self, timeout: float | None = None) -> bool:
        """Block up to ``timeout`` seconds (None: until done); True when it is done."""
        return self._done.wait(timeout)

    def result(self) -> T:
        """The result (waiting for it if need be), or the job's exception raised here."""
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._result  # type: ignore[return-value]

    def _run(self, work: Callable[[Job[T]], T]) -> None:
        self.started_at = time.monotonic()
        try:
            self._result = work(self)
        except BaseException as exc:  # kept for the page that asks (an LgsError is its one-line message)
            self._error = exc
        finally:
            self.finished_at = time.monotonic()
            self._done.set()
            if self._error is not None:
                forget(self.key, self)


def start(
    key: Hashable, work: Callable[[Job[T]], T], message: str = "", *, own_thread: bool = False
) -> Job[T]:
    """The job for ``key``: the one running or done (its result), else ``work(job)`` started now, on one of
    the two workers (or on a thread of its own with ``own_thread``: the first-run demo data must not wait
    behind other jobs)."""
    with _lock:
        found = _jobs.get(key)
        if found is not None and not found.failed:
            _jobs.move_to_end(key)
            return found
        job: Job[T] = Job(key, message)
        _jobs[key] = job
        while len(_jobs) > KEEP:
            oldest = next((k for k, j in _jobs.items() if j.done), None)
            if oldest is None:
                break
            del _jobs[oldest]
    if own_thread:
        threading.Thread(target=job._run, args=(work,), name="lgs-job-own", daemon=True).start()
    else:
        _pool.submit(job._run, work)
    return job


def get(key: Hashable) -> Job[Any] | None:
    with _lock:
        return _jobs.get(key)


def forget(key: Hashable, job: Job[Any] | None = None) -> None:
    """Drop the job for ``key`` (only if it is ``job``, when given): the next ``start`` runs it again."""
    with _lock:
        if key in _jobs and (job is None or _jobs[key] is job):
            del _jobs[key]
