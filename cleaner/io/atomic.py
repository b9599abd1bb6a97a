"""Atomic output: a target either holds a complete result or is left as it was.

Data is written to a temp file beside the target (same directory, hence same filesystem, so
the final ``os.replace`` is atomic), fsynced, then renamed. On any exception, Ctrl-C (SIGINT),
SIGTERM or SIGHUP the temp file is removed. Because targets only ever appear by rename, "the
target exists" means "the target is complete", which is what ``--resume`` relies on. Temp
files start with ``TEMP_PREFIX`` so no scan mistakes one for data; only ``kill -9`` or a power
cut can leave one behind (``find_stale_temps`` lists them).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType, TracebackType
from typing import BinaryIO, cast

from cleaner.errors import ConfigError, OutputError
from cleaner.io import storage
from cleaner.io.compression import open_compressed
from cleaner.io.formats import Compression

TEMP_PREFIX = ".cleaner-tmp-"
STDOUT = "-"
_BUFFER = 1 << 20


def write_failure(target: str, error: OSError) -> OutputError:
    """What to say when writing ``target`` failed (ENOSPC, EFBIG, EIO) and nothing was left."""
    return OutputError(
        f"{target}: cannot write the output: {error.strerror or error}. Nothing partial was "
        "left (an output that exists is complete); make room, then run again (--resume keeps "
        "the files already finished)"
    )


def is_temp(path: str | Path) -> bool:
    """True for the name of a temp file this module writes (never a finished output)."""
    return Path(path).name.startswith(TEMP_PREFIX)


def is_complete(target: str | Path) -> bool:
    """True if ``target`` was fully written by an earlier run (``--resume`` skips it)."""
    if storage.is_url(target):
        return not is_temp(target) and storage.exists_as_file(str(target))
    path = Path(target)
    return not is_temp(path) and path.is_file()


def find_stale_temps(directory: str | Path) -> list[Path]:
    """Temp files left under ``directory`` by a run killed with SIGKILL or a crash, sorted."""
    root = Path(directory)
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob(TEMP_PREFIX + "*") if p.is_file())


def _temp_name(target: Path) -> Path:
    # os.urandom is what secrets.token_hex reads, without importing hmac and OpenSSL.
    return target.parent / f"{TEMP_PREFIX}{os.urandom(4).hex()}-{target.name}"


def _fsync_dir(directory: Path) -> None:
    """Persist the rename itself (best effort: not every filesystem opens directories)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class _SignalGuard:
    """While outputs are open, turn SIGTERM/SIGHUP (and SIGINT if it would kill outright) into
    ``SystemExit(128 + signum)``, so ``finally`` blocks run and temp files are removed.

    Only handlers still at their default are replaced (an application that installed its own
    keeps it), only from the main thread (Python allows no other), and they are restored when
    the last output closes.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._saved: dict[int, signal._HANDLER] = {}

    @staticmethod
    def _signals() -> list[int]:
        names = ("SIGTERM", "SIGHUP", "SIGINT")
        return [getattr(signal, n) for n in names if hasattr(signal, n)]

    def enter(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        with self._lock:
            if self._depth == 0:
                for signum in self._signals():
                    if signal.getsignal(signum) == signal.SIG_DFL:
                        self._saved[signum] = signal.signal(signum, _exit_on_signal)
            self._depth += 1

    def exit(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        with self._lock:
            self._depth -= 1
            if self._depth == 0:
                for signum, handler in self._saved.items():
                    signal.signal(signum, handler)
                self._saved.clear()


_REDELIVER_SECONDS = 0.01


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    if _in_finaliser(frame):
        # Python swallows what a __del__ raises: deliver the signal again shortly (from
        # another thread: raising it here would run this handler again at once), to be
        # raised once the finaliser has returned.
        again = threading.Timer(_REDELIVER_SECONDS, os.kill, (os.getpid(), signum))
        again.daemon = True
        again.start()
        return
    raise SystemExit(128 + signum)


def _in_finaliser(frame: FrameType | None) -> bool:
    while frame is not None:
        if frame.f_code.co_name == "__del__":
            return True
        frame = frame.f_back
    return False


_GUARD = _SignalGuard()


@contextlib.contextmanager
def signals_as_exit() -> Iterator[None]:
    """Termination signals raise ``SystemExit`` within the block (see ``_SignalGuard``): for
    a process whose workers hold its temp files, so that it can remove them."""
    _GUARD.enter()
    try:
        yield
    finally:
        _GUARD.exit()


class TempFile:
    """A temp file beside ``final``: ``commit`` renames it into place, ``abort`` removes it.

    While it exists, termination signals raise SystemExit so that ``abort`` gets to run.
    Permissions follow an existing target (an in-place fix keeps them), else the umask.
    """

    def __init__(self, final: Path) -> None:
        if final.is_dir():
            raise ConfigError(f"{final}: output is a directory; give a file name")
        self.final = final
        _GUARD.enter()
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            self.path, self._identity = _create_temp(final)
        except OSError as e:
            _GUARD.exit()
            raise ConfigError(f"{final}: cannot write the output here: {e.strerror or e}") from e
        except BaseException:
            _GUARD.exit()
            raise

    def open(self) -> BinaryIO:
        return open(self.path, "wb", buffering=_BUFFER)

    def commit(self) -> None:
        try:
            self._check_still_ours()
            _fsync_file(self.path)
            os.replace(self.path, self.final)
        except BaseException:
            self.abort()
            raise
        _GUARD.exit()
        _fsync_dir(self.final.parent)

    def abort(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            if _identity(self.path) == self._identity:  # never remove a file put in its place
                self.path.unlink()
        _GUARD.exit()

    def _check_still_ours(self) -> None:
        """Refuse to publish a temp file that was deleted or replaced while it was written."""
        try:
            same = _identity(self.path) == self._identity
        except FileNotFoundError:
            same = False
        if not same:
            raise OutputError(
                f"{self.final}: the temp file being written ({self.path.name}) was deleted or "
                "replaced by something else during the run, so the output was not published "
                "(an output that exists is complete); run again, with nothing else writing there"
            )


class TempObject:
    """A temp object beside the URL ``final``, through fsspec: ``commit`` moves it into
    place (on object stores a server-side copy: the target appears whole), ``abort`` removes
    it. Signals are handled as for a ``TempFile``."""

    def __init__(self, final: str) -> None:
        self.final = final
        self.fs, path = storage.filesystem(final)
        self._target = path
        self._folder, _, name = path.rstrip("/").rpartition("/")
        self.path = f"{self._folder}/{TEMP_PREFIX}{os.urandom(4).hex()}-{name}"
        _GUARD.enter()

    def open(self) -> BinaryIO:
        try:
            self.fs.makedirs(self._folder, exist_ok=True)
            return self.fs.open(self.path, "wb")  # type: ignore[no-any-return]
        except OSError as e:  # the caller aborts
            raise ConfigError(f"{self.final}: cannot write the output here: {e}") from e

    def commit(self) -> None:
        try:
            self.fs.mv(self.path, self._target)
        except BaseException:
            self.abort()
            raise
        _GUARD.exit()

    def abort(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm(self.path)
        _GUARD.exit()


def _identity(path: Path) -> tuple[int, int]:
    info = os.stat(path)
    return info.st_dev, info.st_ino


def _create_temp(final: Path) -> tuple[Path, tuple[int, int]]:
    """A new temp file beside ``final``, and its identity (device, inode)."""
    mode = final.stat().st_mode & 0o7777 if final.exists() else 0o666
    while True:
        temp = _temp_name(final)
        try:
            fd = os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, mode)
        except FileExistsError:  # pragma: no cover - 32 random bits collided
            continue
        info = os.fstat(fd)
        os.close(fd)
        if final.exists():
            os.chmod(temp, mode)
        return temp, (info.st_dev, info.st_ino)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class AtomicOutput:
    """A binary output file (or stdout for ``"-"``) that appears only when complete.

    Use as a context manager and ``write`` record bytes; leaving the block normally ends the
    compressed stream, fsyncs and renames into place. ``discard()`` leaves the target untouched
    instead (an in-place fix that changed nothing keeps the file and its mtime). Stdout cannot
    be atomic: it is written as data comes.
    """

    def __init__(self, target: str | Path, compression: Compression = "none") -> None:
        self.target = str(target)
        self.compression: Compression = compression
        self.bytes_written = 0
        self._temp: TempFile | TempObject | None = None
        self._raw: BinaryIO | None = None
        self._stream: BinaryIO | None = None
        self._discard = False

    def __enter__(self) -> AtomicOutput:
        if self.target == STDOUT:
            self._stream = open_compressed(sys.stdout.buffer, self.compression)
            return self
        if storage.is_url(self.target):
            self._temp = TempObject(self.target)
        else:
            self._temp = TempFile(Path(self.target))
        try:
            self._raw = self._temp.open()
            self._stream = open_compressed(self._raw, self.compression)
        except BaseException:
            self._close_quietly()
            self._temp.abort()
            raise
        return self

    def write(self, data: bytes) -> None:
        """Append ``data``; raises if used outside the ``with`` block."""
        if self._stream is None:
            raise RuntimeError("AtomicOutput.write outside its with-block")
        with self._failures_named():
            self._stream.write(data)
        self.bytes_written += len(data)

    @contextlib.contextmanager
    def _failures_named(self) -> Iterator[None]:
        """An OSError while writing (ENOSPC, EFBIG, EIO) as an OutputError naming the output
        and saying what was left; a closed pipe stays itself (the reader stopped reading)."""
        try:
            yield
        except BrokenPipeError:
            raise
        except OSError as e:
            if self._temp is None:
                raise OutputError(f"standard output: cannot write: {e.strerror or e}") from e
            raise write_failure(self.target, e) from e

    def discard(self) -> None:
        """Leave the target as it was when the block ends (the temp file is removed)."""
        self._discard = True

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._temp is None:  # stdout
            if exc is None and self._stream is not None:
                with self._failures_named():
                    self._stream.close()
                    sys.stdout.buffer.flush()
            return
        if exc is not None or self._discard:
            self._close_quietly()
            self._temp.abort()
            return
        try:
            with self._failures_named():
                self._close()
        except BaseException:
            self._close_quietly()
            self._temp.abort()
            raise
        with self._failures_named():  # fsync is where a full disk may first show
            self._temp.commit()

    def _close(self) -> None:
        """End the compressed stream (its trailer), then flush and close the file."""
        assert self._stream is not None and self._raw is not None
        self._stream.close()
        self._raw.close()

    def _close_quietly(self) -> None:
        for stream in (self._stream, self._raw):
            if stream is not None:
                with contextlib.suppress(Exception):
                    stream.close()


def staged_name(target: str, token: str, index: int) -> str:
    """Where a worker of run ``token`` writes part ``index`` of ``target``: a temp name beside
    it, the same every time the part is tried, so a task run again overwrites what a killed
    one began instead of leaving it behind."""
    folder, slash, name = target.rstrip("/").rpartition("/")
    return f"{folder}{slash}{TEMP_PREFIX}{token}-{index:05d}-{name}"


@contextlib.contextmanager
def staged_writer(
    path: str, compression: Compression, target: str, *, durable: bool = True
) -> Iterator[BinaryIO]:
    """``path`` written from its start, as a compressed stream, and made ``durable``
    (fsynced) when the block ends; removed if the block fails, and a failure to write it
    named as one to write ``target``. Another process publishes it (``publish_staged``) or
    removes it (``remove_staged``). A part that is only copied into another staged file need
    not be durable: the copy is."""
    try:
        if storage.is_url(path):
            fs, inner = storage.filesystem(path)
            fs.makedirs(inner.rpartition("/")[0], exist_ok=True)
            raw: BinaryIO = fs.open(inner, "wb")
        else:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            raw = open(path, "wb", buffering=_BUFFER)  # noqa: SIM115 - closed or removed below
    except OSError as e:
        raise write_failure(target, e) from None
    try:
        stream = open_compressed(raw, compression)
        yield cast(BinaryIO, _Writes(stream, target))
        try:
            stream.close()
            if durable and not storage.is_url(path):
                raw.flush()
                os.fsync(raw.fileno())
            raw.close()
        except OSError as e:
            raise write_failure(target, e) from None
    except BaseException:
        with contextlib.suppress(Exception):
            raw.close()
        remove_staged(path)
        raise


class _Writes:
    """A stream whose write failures are named as failures to write ``target``."""

    def __init__(self, stream: BinaryIO, target: str) -> None:
        self._stream, self._target = stream, target

    def write(self, data: bytes) -> int:
        try:
            return self._stream.write(data)
        except OSError as e:
            raise write_failure(self._target, e) from None

    def flush(self) -> None:
        self._stream.flush()

    def fileno(self) -> int:
        return self._stream.fileno()


def concatenate_staged(
    parts: Sequence[str], whole: str, compression: Compression, target: str
) -> None:
    """Write the staged ``parts``, in order, into the staged file ``whole`` in
    ``compression``, for ``target`` (local files with no compression are copied by the
    kernel)."""
    local = not any(storage.is_url(p) for p in (*parts, whole))
    with staged_writer(whole, compression, target) as out:
        for part in parts:
            with storage.open_file(part) if storage.is_url(part) else open(part, "rb") as src:
                if local and compression == "none" and hasattr(os, "copy_file_range"):
                    out.flush()
                    _copy_by_kernel(src, out)
                else:
                    shutil.copyfileobj(src, out, _BUFFER)


def _copy_by_kernel(src: BinaryIO, out: BinaryIO) -> None:
    """Append all of ``src`` to the file under ``out`` (both local files)."""
    size = os.fstat(src.fileno()).st_size
    target = out.fileno()
    copied = 0
    while copied < size:
        try:
            step = os.copy_file_range(src.fileno(), target, size - copied)
        except OSError:  # a filesystem that cannot: the rest is copied the slow way
            break
        if step == 0:
            break
        copied += step
    shutil.copyfileobj(src, out, _BUFFER)  # nothing, unless the kernel stopped short


def publish_staged(path: str, target: str) -> None:
    """Move the complete staged file ``path`` into place as ``target``: a rename (on object
    stores a server-side copy), so the target appears whole or not at all."""
    if storage.is_url(target):
        fs, inner = storage.filesystem(target)
        fs.mv(storage.filesystem(path)[1], inner)
        return
    final = Path(target)
    if final.exists():  # an in-place fix keeps the file's permissions
        os.chmod(path, final.stat().st_mode & 0o7777)
    os.replace(path, final)
    _fsync_dir(final.parent)


def remove_staged(path: str) -> None:
    """Remove a staged file if it is there."""
    with contextlib.suppress(FileNotFoundError):
        if storage.is_url(path):
            fs, inner = storage.filesystem(path)
            fs.rm(inner)
        else:
            os.unlink(path)
