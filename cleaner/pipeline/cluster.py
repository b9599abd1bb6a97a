"""A Dask cluster as the pipeline's workers: the same tasks as local worker processes.

``DaskPool`` stands where a ``WorkerPool`` does: the pipeline hands it the same chunks (byte
ranges of a file, which each worker reads itself, or blocks of lines) and gets the results
back in input order, so outputs, reports and spans files are those of a local run, byte for
byte. Without an address it starts a ``distributed.LocalCluster`` with one single-threaded
worker process per core; with one (``tcp://host:8786``) it joins that cluster. The cleaner
reaches each worker once, as the result of a task that the cluster can run again. A task whose
worker dies is run again elsewhere (tasks only read their input and return bytes, so a second
run is harmless).
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any, Generic, TypeVar, cast

from cleaner.errors import CleanerError, ConfigError
from cleaner.pipeline.workers import SupportsClean, in_order

T = TypeVar("T")
R = TypeVar("R")

#: Where ``--engine dask`` finds its scheduler when ``--scheduler`` is not given.
SCHEDULER_ENV = "CLEANER_DASK_SCHEDULER"
#: How long joining a scheduler may take before the run gives up.
CONNECT_SECONDS = 5
#: A task is tried this many more times when its worker dies.
RETRIES = 3
#: Arguments of a map bigger than this go to each worker once, not with every task.
SHARED_BYTES = 1 << 16


def _identity(value: T) -> T:
    return value


def _map_chunk(cleaner: SupportsClean, fn: Callable[..., R], chunk: list[T], args: Any) -> list[R]:
    return [fn(cleaner, item, *args) for item in chunk]


class DaskPool:
    """The workers of a Dask cluster, holding one cleaner; use as a context manager."""

    writes_outputs = True  # the client moves no corpus bytes

    def __init__(
        self, cleaner: SupportsClean, scheduler: str | None = None, *, workers: int = 0
    ) -> None:
        try:
            import distributed
        except ImportError:
            raise ConfigError(
                "--engine dask needs Dask's distributed scheduler: pip install 'cleaner[dask]'"
            ) from None
        dask: Any = distributed  # Dask's typing is partial
        self.cleaner = cleaner
        self.scheduler = scheduler or os.environ.get(SCHEDULER_ENV) or None
        self._cluster: Any = None
        if self.scheduler is None:
            self._cluster = dask.LocalCluster(
                n_workers=workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
            )
            address: Any = self._cluster
        else:
            address = self.scheduler
        try:
            self.client: Any = dask.Client(address, timeout=CONNECT_SECONDS)
        except (OSError, TimeoutError) as e:
            self._close_cluster()
            raise ConfigError(
                f"cannot reach the Dask scheduler at {self.scheduler} ({e}); check the address "
                f"(--scheduler or {SCHEDULER_ENV}) and that the scheduler is running"
            ) from None
        self.jobs = max(1, len(self.client.scheduler_info()["workers"]))
        self.max_inflight = 2 * self.jobs
        self._shipped = self._kept(cleaner)

    @property
    def dashboard(self) -> str | None:
        """The dashboard's link, to watch the run."""
        link = self.client.dashboard_link
        return str(link) if link else None

    def __enter__(self) -> DaskPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(cancel=exc is not None)

    def close(self, *, cancel: bool = False) -> None:
        """Leave the cluster (and stop it, if this pool started it); pending tasks were
        cancelled as the run ended, either way."""
        self.client.close()
        self._close_cluster()

    def _close_cluster(self) -> None:
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def _kept(self, value: Any) -> Any:
        """A future of ``value`` that outlives any worker. Scattered data dies with the workers
        that hold it, and its dependents are then cancelled (dask/distributed#3149); a task's
        result is made again from its arguments, which the scheduler keeps."""
        return self.client.submit(_identity, value, pure=False, retries=RETRIES)

    def submit(self, fn: Callable[..., R], item: T, *args: Any) -> _Task[R]:
        """``fn(cleaner, item, *args)`` as one task, run again where its worker dies."""
        future = self.client.submit(fn, self._shipped, item, *args, pure=False, retries=RETRIES)
        return _Task(future)

    def map_ordered(
        self, fn: Callable[..., R], chunks: Iterable[list[T]], *args: Any
    ) -> Iterator[tuple[list[T], list[R]]]:
        """``(chunk, [fn(cleaner, item, *args) for item in chunk])`` in input order."""

        shared: Any = args
        if len(pickle.dumps(args, protocol=pickle.HIGHEST_PROTOCOL)) > SHARED_BYTES:
            # learn's wanted templates, say: sent to each worker once, not with every task
            shared = self._kept(args)

        def submit(chunk: list[T]) -> Any:
            return self.client.submit(
                _map_chunk, self._shipped, fn, chunk, shared, pure=False, retries=RETRIES
            )

        for chunk, future in in_order(chunks, submit, self.max_inflight):
            yield chunk, _Task(future).result()


class _Task(Generic[R]):
    """A Dask future whose result says plainly when its workers kept dying."""

    def __init__(self, future: Any) -> None:
        self._future = future

    def cancel(self) -> None:
        self._future.cancel()

    def result(self, timeout: float | None = None) -> R:
        try:
            return cast(R, self._future.result(timeout=timeout))
        except CleanerError:
            raise
        except Exception as e:
            if type(e).__name__ == "KilledWorker":
                raise CleanerError(
                    f"a task's workers died {RETRIES + 1} times (killed, or out of memory); no "
                    "partial output was left. Run again (--resume keeps the files already "
                    "finished)"
                ) from None
            raise
