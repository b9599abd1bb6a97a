"""Worker processes, and the ordered map that runs on them or in process.

``ordered`` runs the same function in process (``jobs=1``) and on workers (``jobs>1``) and
gives results back in input order, so what an item becomes never depends on how it was run.
Workers get large units of raw input (decoding happens in the worker, where the CPU is), and
only a few are in flight at a time, so memory stays flat however big the input. Inputs
smaller than two units are handled in process: starting processes would cost more. Workers
are started with ``spawn``: safe in threaded hosts (Scrapy, Dask) and the same on every OS;
the ``Cleaner`` pickles as its packs' specs and compiles them once per worker.

The pickled cleaner reaches the workers through shared memory, not their start-up message:
the parent writes that message down a pipe whose read end it holds until the write ends, so a
message bigger than the pipe's buffer, to a worker killed while starting, would block the
parent forever.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import pickle
import signal
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.shared_memory import SharedMemory
from types import TracebackType
from typing import Any, Generic, Protocol, TypeVar

from cleaner.errors import CleanerError, ConfigError
from cleaner.types import CleanResult, Document

T = TypeVar("T")
R = TypeVar("R")


class SupportsClean(Protocol):
    """What the pipeline needs from a cleaner (``cleaner.engine.Cleaner`` is one).

    For ``jobs > 1`` it must also pickle."""

    def clean_document(self, doc: Document, /) -> CleanResult: ...


_WORKER_CLEANER: SupportsClean | None = None


def _init_worker(parcel: str, size: int, parent: int) -> None:
    """Keep the cleaner for this worker's life; Ctrl-C is the parent's to handle."""
    global _WORKER_CLEANER
    shared = SharedMemory(name=parcel)
    try:
        assert shared.buf is not None  # None only once closed
        _WORKER_CLEANER = pickle.loads(bytes(shared.buf[:size]))
    finally:
        shared.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # blocked by the parent while it started us
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _DEFERRED)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


_DEFERRED = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold Ctrl-C and termination signals back until the block ends.

    ``submit`` may start a worker, writing its start-up state down a pipe; an interrupt
    half-way would leave the new worker a truncated pickle and a trace on the terminal after
    the run had ended. Threads the executor starts inside the block inherit the mask, so the
    signals reach the main thread only, after the block. Workers unblock them at start-up.
    """
    if not hasattr(signal, "pthread_sigmask") or (
        threading.current_thread() is not threading.main_thread()
    ):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _DEFERRED)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


#: How often a worker looks whether its parent is still there.
PARENT_POLL_SECONDS = 0.5


def _exit_with_parent(parent: int) -> None:
    """End this worker once ``parent`` is gone (it may be gone before this runs): a parent
    killed with SIGKILL cannot stop its workers, and an orphan would wait on the task queue
    forever, holding the terminal."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(1)


def _map_chunk(fn: Callable[..., R], chunk: list[Any], args: tuple[Any, ...]) -> list[R]:
    """Run ``fn(cleaner, item, *args)`` over a chunk in a worker."""
    assert _WORKER_CLEANER is not None, "worker not initialised"
    try:
        return [fn(_WORKER_CLEANER, item, *args) for item in chunk]
    except Exception as e:
        if _portable(e):
            raise
        message = "".join(traceback.format_exception(e))
        raise RuntimeError(f"{type(e).__name__} in a worker:\n{message}") from None


def _portable(error: BaseException) -> bool:
    """Whether ``error`` survives the trip back to the parent (many custom errors do not)."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return False
    return True


def available_cpus() -> int:
    """CPUs this process may use (affinity-aware where the OS says)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def resolve_jobs(jobs: int) -> int:
    """``jobs`` as a process count: 0 means all available CPUs."""
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 0:
        raise ConfigError(f"jobs must be 0 (all CPUs) or a positive number, got {jobs!r}")
    return available_cpus() if jobs == 0 else jobs


class Pool(Protocol):
    """Workers holding one cleaner: local processes (``WorkerPool``) or a Dask cluster
    (``cleaner.pipeline.cluster.DaskPool``)."""

    cleaner: SupportsClean
    jobs: int
    #: Whether its workers write outputs themselves (``cleaner.pipeline.staged``), so that
    #: no corpus bytes pass through the process that runs the pipeline.
    writes_outputs: bool

    def map_ordered(
        self, fn: Callable[..., R], chunks: Iterable[list[T]], *args: Any
    ) -> Iterator[tuple[list[T], list[R]]]: ...

    def close(self, *, cancel: bool = False) -> None: ...


class WorkerPool:
    """Worker processes holding one cleaner, reusable across files and streams.

    Processes start on first use. ``max_inflight`` chunks (default 2 per worker) may be queued
    or running at once, which bounds memory. Use as a context manager.
    """

    writes_outputs = True  # each worker writes the parts it cleans (cleaner.pipeline.staged)

    def __init__(
        self,
        cleaner: SupportsClean,
        jobs: int = 0,
        *,
        max_inflight: int | None = None,
        mp_context: str = "spawn",
    ) -> None:
        self.cleaner = cleaner
        self.jobs = resolve_jobs(jobs)
        self.max_inflight = max_inflight or 2 * self.jobs
        self._context = mp_context
        self._executor: ProcessPoolExecutor | None = None
        self._parcel: SharedMemory | None = None  # the pickled cleaner, for workers starting

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(cancel=exc is not None)

    def close(self, *, cancel: bool = False) -> None:
        """Stop the workers; ``cancel`` drops queued chunks instead of waiting for them.

        Either way the workers are joined (a running chunk is at most a block's work), so
        none is still starting, or printing, after an interrupted run has ended."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=cancel)
            self._executor = None
        if self._parcel is not None:
            self._parcel.close()
            self._parcel.unlink()
            self._parcel = None

    @property
    def started(self) -> bool:
        return self._executor is not None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            pickled = pickle.dumps(self.cleaner, protocol=pickle.HIGHEST_PROTOCOL)
            self._parcel = SharedMemory(create=True, size=len(pickled))
            assert self._parcel.buf is not None  # None only once closed
            self._parcel.buf[: len(pickled)] = pickled
            self._executor = ProcessPoolExecutor(
                max_workers=self.jobs,
                mp_context=multiprocessing.get_context(self._context),
                initializer=_init_worker,
                initargs=(self._parcel.name, len(pickled), os.getpid()),
            )
        return self._executor

    def submit(self, fn: Callable[..., R], item: T, *args: Any) -> _Task[R]:
        """``fn(cleaner, item, *args)`` as one task on a worker."""
        return _Task(self, self._submit(fn, [item], args))

    def map_ordered(
        self, fn: Callable[..., R], chunks: Iterable[list[T]], *args: Any
    ) -> Iterator[tuple[list[T], list[R]]]:
        """``(chunk, [fn(cleaner, item, *args) for item in chunk])`` in input order."""

        def submit(chunk: list[T]) -> Future[list[R]]:
            return self._submit(fn, chunk, args)

        for chunk, future in in_order(chunks, submit, self.max_inflight):
            yield chunk, self._result(future)

    def _submit(
        self, fn: Callable[..., R], chunk: list[T], args: tuple[Any, ...]
    ) -> Future[list[R]]:
        """``_map_chunk`` of ``chunk`` on a worker, started if need be."""
        pool = self._pool()
        with _signals_deferred():
            return pool.submit(_map_chunk, fn, chunk, args)

    def _result(self, future: Future[R], timeout: float | None = None) -> R:
        """``future.result()``; a worker that died says so plainly."""
        try:
            return self._watched(future, timeout)
        except BrokenProcessPool:
            raise CleanerError(
                "a worker process ended abruptly (killed, or out of memory); no partial "
                "output was left. Run again (--resume keeps the files already finished)"
            ) from None

    def _watched(self, future: Future[R], timeout: float | None) -> R:
        """``future.result()``, or BrokenProcessPool once a worker has died in a way the
        executor cannot see: killed while it sent a result, it leaves a message half-written
        that the executor's reader waits on for ever (it then never looks at the dead), and the
        lock on the results pipe held, so no other worker's result gets through either."""
        dead_since: float | None = None
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = WATCH_SECONDS
            if deadline is not None:
                wait = min(wait, max(0.0, deadline - time.monotonic()))
            try:
                return future.result(timeout=wait)
            except TimeoutError:
                if future.done():  # the task itself raised TimeoutError
                    raise
                if deadline is not None and time.monotonic() >= deadline:
                    raise
            if not self._a_worker_died():
                dead_since = None
            elif dead_since is None:
                dead_since = time.monotonic()
            elif time.monotonic() - dead_since >= WATCH_SECONDS:  # the executor did not notice
                self._unjam()

    def _processes(self) -> list[Any]:
        """The executor's worker processes (its own table: it does not publish one)."""
        return list((getattr(self._executor, "_processes", None) or {}).values())

    def _a_worker_died(self) -> bool:
        return any(p.exitcode is not None for p in self._processes())

    def _unjam(self) -> None:
        """End every worker and the parent's end of the results pipe: the executor's reader
        then meets the pipe's end, marks the pool broken and fails what is pending."""
        for process in self._processes():
            with contextlib.suppress(OSError):
                process.kill()
        queue = getattr(self._executor, "_result_queue", None)
        writer = getattr(queue, "_writer", None)
        if writer is not None:
            writer.close()


class _Task(Generic[R]):
    """One task on a ``WorkerPool``: its result is the item's (``submit`` ran it as a chunk
    of one), or a plain error where its worker died."""

    def __init__(self, pool: WorkerPool, future: Future[list[R]]) -> None:
        self._pool = pool
        self._future = future

    def cancel(self) -> bool:
        return self._future.cancel()

    def result(self, timeout: float | None = None) -> R:
        [value] = self._pool._result(self._future, timeout)
        return value


#: The fewest chunks of work worth starting worker processes for: less is cleaned in process.
WORTH_STARTING_CHUNKS = 2

#: How often a waiting parent looks whether a worker died unseen, and how long it then waits
#: for the executor to notice before it ends the workers itself.
WATCH_SECONDS = 1.0


class _Cancellable(Protocol):
    def cancel(self) -> bool: ...


F = TypeVar("F", bound=_Cancellable)


def in_order(
    chunks: Iterable[list[T]], submit: Callable[[list[T]], F], max_inflight: int
) -> Iterator[tuple[list[T], F]]:
    """``(chunk, submit(chunk))`` in input order, with at most ``max_inflight`` submitted and
    not yet handed out (which bounds memory); those still pending are cancelled on exit."""
    pending: deque[tuple[list[T], F]] = deque()
    try:
        for chunk in chunks:
            pending.append((chunk, submit(chunk)))
            if len(pending) >= max_inflight:
                yield pending.popleft()
        while pending:
            yield pending.popleft()
    finally:
        for _, future in pending:
            future.cancel()


def chunked(
    items: Iterable[T], max_items: int, max_bytes: int, size: Callable[[T], int]
) -> Iterator[list[T]]:
    """Group ``items`` into lists of at most ``max_items`` items or about ``max_bytes`` bytes."""
    chunk: list[T] = []
    total = 0
    for item in items:
        chunk.append(item)
        total += size(item)
        if len(chunk) >= max_items or total >= max_bytes:
            yield chunk
            chunk, total = [], 0
    if chunk:
        yield chunk


def ordered(
    items: Iterable[T],
    fn: Callable[..., R],
    args: tuple[Any, ...],
    cleaner: SupportsClean,
    *,
    jobs: int,
    pool: Pool | None,
    chunking: tuple[int, int, Callable[[T], int]],
) -> Iterator[tuple[T, R]]:
    """``(item, fn(cleaner, item, *args))`` in order, in process or on workers."""
    workers = pool.jobs if pool is not None else resolve_jobs(jobs)
    if workers <= 1:
        for item in items:
            yield item, fn(cleaner, item, *args)
        return
    chunks = chunked(items, *chunking)
    head = list(itertools.islice(chunks, WORTH_STARTING_CHUNKS))
    if len(head) < WORTH_STARTING_CHUNKS:
        for item in itertools.chain.from_iterable(head):
            yield item, fn(cleaner, item, *args)
        return
    with contextlib.ExitStack() as stack:
        own = pool or stack.enter_context(WorkerPool(cleaner, workers))
        for chunk, results in own.map_ordered(fn, itertools.chain(head, chunks), *args):
            yield from zip(chunk, results, strict=True)
