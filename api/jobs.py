"""Background jobs for the long analyses a request may not run: all classified pairs, whole exports.

A job runs in one worker thread (one at a time, so jobs never crowd out requests) under its own
budget: more time than a request (``Settings.job_seconds``), a bound on the items it holds
(``job_max_items``) and on the bytes it writes (``job_max_bytes``). Its result goes to a file in
a temporary folder, not into memory, and is served from there. The newest ``KEPT`` jobs are kept;
older ones and their files are removed. Stopping the service cancels the running job.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph.budget import Budget, Cancelled, OverBudget, TooBig, within

__all__ = ["Job", "JobQueueFull", "Jobs"]

KEPT = 20  # finished jobs (and their files) kept for their owners to fetch

#: A job's work: given its parameters, yield the chunks of its result file.
Work = Callable[[dict[str, Any]], Iterable[bytes]]


class JobQueueFull(Exception):
    """More jobs are waiting than the service takes at once."""


@dataclass
class Job:
    """One background analysis: what was asked, how far it is, and where its result is."""

    id: str
    kind: str
    params: dict[str, Any]
    media_type: str
    filename: str
    budget: Budget
    created: float = field(default_factory=time.time)
    state: str = "queued"  # running, done, failed, cancelled
    error: str | None = None
    path: Path | None = None
    size: int = 0

    def as_json(self) -> dict[str, Any]:
        """The job as ``GET /jobs/{id}`` shows it."""
        total = self.budget.total
        progress = 1.0 if self.state == "done" else round(self.budget.done / total, 3) if total else None
        return {
            "id": self.id,
            "kind": self.kind,
            "params": self.params,
            "state": self.state,
            "progress": progress,
            "result": f"/jobs/{self.id}/result" if self.state == "done" else None,
            "bytes": self.size if self.state == "done" else None,
            "error": self.error,
        }


class Jobs:
    """The service's jobs, their worker thread and their folder."""

    def __init__(self, seconds: float | None, max_items: int | None, max_bytes: int, max_queued: int = 4) -> None:
        self.seconds, self.max_items, self.max_bytes, self.max_queued = seconds, max_items, max_bytes, max_queued
        self.folder = Path(tempfile.mkdtemp(prefix="retningsgraf-jobs-"))
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="job")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()  # the request threads and the worker both touch _jobs

    def submit(self, kind: str, params: dict[str, Any], media_type: str, filename: str, work: Work) -> Job:
        """Queue *work* as a job and return it.

        Raises:
            JobQueueFull: if ``max_queued`` jobs are waiting or running already.
        """
        job = Job(uuid.uuid4().hex, kind, params, media_type, filename, Budget(self.seconds, self.max_items))
        with self._lock:
            if sum(j.state in ("queued", "running") for j in self._jobs.values()) >= self.max_queued:
                raise JobQueueFull(f"{self.max_queued} jobs are waiting or running; try again when one is done")
            self._jobs[job.id] = job
            self._forget_old()
        self._executor.submit(self._run, job, work)
        return job

    def get(self, job_id: str) -> Job | None:
        """The job with *job_id*, or ``None``."""
        return self._jobs.get(job_id)

    def cancel(self, job_id: str) -> Job | None:
        """Stop the job at its next check (or before it starts); return it, or ``None`` if unknown."""
        job = self._jobs.get(job_id)
        if job is not None:
            job.budget.cancel()
            if job.state == "queued":
                job.state = "cancelled"
        return job

    def shutdown(self) -> None:
        """Cancel every job and remove the folder."""
        for job in list(self._jobs.values()):
            job.budget.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)
        shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self, job: Job, work: Work) -> None:
        if job.state == "cancelled":
            return
        job.state = "running"
        job.budget.started = time.monotonic()  # the time budget starts when the work does
        path = self.folder / job.id
        try:
            with within(job.budget), path.open("wb") as out:
                for chunk in work(job.params):
                    job.size += len(chunk)
                    if job.size > self.max_bytes:
                        raise TooBig(job.size, self.max_bytes)
                    out.write(chunk)
        except Cancelled:
            job.state, job.error = "cancelled", "cancelled"
        except (OverBudget, TooBig) as error:
            job.state = "failed"
            job.error = f"{error}: narrow the question (owner and other_owner, a relation, a min_score)"
        except Exception as error:  # a job's failure is its own; the worker goes on with the next
            job.state, job.error = "failed", f"{type(error).__name__}: {error}"
        else:
            job.state, job.path = "done", path
        if job.state != "done":
            path.unlink(missing_ok=True)

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j.state not in ("queued", "running")]
        for job in sorted(finished, key=lambda j: j.created)[: max(0, len(finished) - KEPT)]:
            del self._jobs[job.id]
            if job.path is not None:
                job.path.unlink(missing_ok=True)
