"""Input planning: command-line paths -> an ordered list of (source, target) file jobs.

All checks that can fail happen here, before any document is read, so a run either starts
with a consistent plan or stops with one clear error: missing inputs, unreadable files,
unknown extensions, an output inside an input directory (a rerun would read its own output),
an output that would overwrite an input, two sources mapped to one target.

Order is deterministic: inputs in the order given, each directory's files sorted by relative
path. Directory scans take only known extensions and skip hidden entries (``.git``, our temp
files); a file named explicitly is always taken.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from cleaner.errors import ConfigError, InputError
from cleaner.io import storage
from cleaner.io.atomic import STDOUT, is_complete
from cleaner.io.formats import (
    KNOWN_SUFFIXES,
    Compression,
    Format,
    detect_format,
    format_from_name,
    strip_compression_suffix,
)
from cleaner.io.readers import STDIN


@dataclass(frozen=True, slots=True)
class FileJob:
    """One input file and where its cleaned version goes.

    ``target`` is a path, ``"-"`` (stdout) or ``None`` (nothing is written: check / diff).
    """

    source: str
    target: str | None
    input_format: Format
    output_format: Format

    @property
    def in_place(self) -> bool:
        return self.target == self.source

    def is_done(self) -> bool:
        """True if the target exists complete (``--resume`` skips the job)."""
        return self.target not in (None, STDOUT) and is_complete(str(self.target))


@dataclass(frozen=True, slots=True)
class _Source:
    path: Path | str  # a local path, or a URL (see cleaner.io.storage)
    relative: PurePosixPath  # where it lands under an output directory
    fmt: Format
    from_directory: bool


def plan_files(
    inputs: Sequence[str | Path],
    output: str | Path | None = None,
    *,
    in_place: bool = False,
    input_format: Format | None = None,
    compression: Compression | None = None,
    skipped: list[str] | None = None,
) -> list[FileJob]:
    """Plan the work for ``inputs`` (files, directories, or ``"-"`` alone for stdin).

    ``output``: ``None`` writes nothing; ``"-"`` is stdout (one input only); for a single
    input file, a name with a known extension is the output file (its extension sets the
    compression); anything else is a directory (created as needed) that mirrors each input
    directory's tree, with named files placed at its top. ``in_place`` targets every source
    itself (``cleaner fix``). ``input_format`` overrides name-based detection (needed for
    stdin that is not JSONL). ``compression`` overrides the output compression, which
    otherwise follows the input's. Empty files are fine (see ``read_records``); an input
    directory with no known files is an error. Files of a directory that are not of a known
    type are left out, and added to ``skipped`` where it is given.
    """
    if not inputs:
        raise ConfigError("no inputs given; pass files, directories or - for stdin")
    if in_place and output is not None:
        raise ConfigError("in-place cleaning writes each input back; do not also give an output")
    given = [storage.local_path(str(p)) for p in inputs]
    if output is not None:
        output = storage.local_path(str(output))
    if any(p == STDIN for p in given):
        return [_plan_stdin(given, output, in_place, input_format, compression)]
    left_out: list[str] = [] if skipped is None else skipped
    sources = _dedupe([s for p in given for s in _expand(p, input_format, left_out)])
    jobs = _targets(sources, given, output, in_place, compression)
    _check_collisions(jobs)
    return jobs


def _plan_stdin(
    inputs: Sequence[str | Path],
    output: str | Path | None,
    in_place: bool,
    input_format: Format | None,
    compression: Compression | None,
) -> FileJob:
    if len(inputs) > 1:
        raise ConfigError("stdin (-) cannot be combined with other inputs")
    if in_place:
        raise ConfigError("stdin cannot be cleaned in place; give an output or use -o -")
    fmt = input_format or Format("jsonl")
    if output is None:
        return FileJob(STDIN, None, fmt, fmt)
    if str(output) == STDOUT or not _names_a_file(Path(output)):
        out = fmt.with_compression(compression or "none")
        target = STDOUT if str(output) == STDOUT else str(Path(output) / f"stdin{_suffix(out)}")
        return FileJob(STDIN, target, fmt, out)
    return FileJob(STDIN, str(output), fmt, _output_format(Path(output), fmt, compression))


def _names_a_file(out: Path | str) -> bool:
    """An output with a known extension that is not an existing directory names a file;
    anything else (``clean/``, ``clean``) is a directory, created if needed."""
    if format_from_name(out) is None:
        return False
    return not (storage.is_dir(str(out)) if storage.is_url(out) else Path(out).is_dir())


def _key(path: Path | str) -> str:
    """What two names of one file have in common: the resolved path, or the URL."""
    return str(path) if storage.is_url(path) else str(Path(path).resolve())


def _suffix(fmt: Format) -> str:
    return {"txt": ".txt", "jsonl": ".jsonl", "parquet": ".parquet"}[fmt.kind] + (
        fmt.compression_suffix
    )


def _expand(given: str, input_format: Format | None, skipped: list[str]) -> list[_Source]:
    """The sources one command-line path stands for."""
    if storage.is_url(given):
        return _expand_url(given, input_format, skipped)
    path = Path(given)
    if path.is_dir():
        return _scan(path, input_format, skipped)
    if not path.exists():
        raise InputError(path, "no such file or directory; check the path")
    if not os.access(path, os.R_OK):
        raise InputError(path, "permission denied; make the file readable")
    fmt = input_format or detect_format(path)
    return [_Source(path, PurePosixPath(path.name), fmt, from_directory=False)]


def _expand_url(url: str, input_format: Format | None, skipped: list[str]) -> list[_Source]:
    """The sources a URL stands for: one file, or the files under a prefix or of a glob."""
    listed = storage.listing(url)
    if listed is None:
        leaf = PurePosixPath(url.rsplit("/", 1)[-1])
        found = [_Source(url, leaf, input_format or detect_format(url), from_directory=False)]
    else:
        found = []
        for name, relative in listed:
            fmt = input_format if input_format is not None else format_from_name(name)
            if fmt is None:
                skipped.append(name)
            else:
                found.append(_Source(name, relative, fmt, from_directory=True))
        if not found:
            raise InputError(url, f"no input files found (looked for {', '.join(KNOWN_SUFFIXES)})")
    return found


def _scan(root: Path, input_format: Format | None, skipped: list[str]) -> list[_Source]:
    """Known-format files under ``root``, recursively, sorted; unreadable entries are errors,
    other files go to ``skipped``."""
    found: list[_Source] = []
    unreadable: list[str] = []

    def on_error(error: OSError) -> None:
        unreadable.append(str(error.filename))

    for directory, dirs, files in os.walk(root, onerror=on_error):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            path = Path(directory) / name
            fmt = input_format if input_format is not None else format_from_name(name)
            if name.startswith("."):
                continue
            if fmt is None:
                skipped.append(str(path))
                continue
            if path.is_symlink() and not path.exists():
                raise InputError(
                    path, "is a symlink loop or a broken link; remove it or point it at a file"
                )
            if not os.access(path, os.R_OK):
                unreadable.append(str(path))
                continue
            relative = PurePosixPath(path.relative_to(root).as_posix())
            found.append(_Source(path, relative, fmt, from_directory=True))
    if unreadable:
        shown = ", ".join(sorted(unreadable)[:5]) + (", ..." if len(unreadable) > 5 else "")
        raise InputError(root, f"cannot read {len(unreadable)} entries ({shown}); fix permissions")
    if not found:
        raise InputError(root, f"no input files found (looked for {', '.join(KNOWN_SUFFIXES)})")
    return sorted(found, key=lambda s: s.relative.as_posix())


def _dedupe(sources: list[_Source]) -> list[_Source]:
    """A file reached twice (named and inside a named directory) is cleaned once."""
    seen: set[str] = set()
    unique = []
    for source in sources:
        key = _key(source.path)
        if key not in seen:
            seen.add(key)
            unique.append(source)
    return unique


def _targets(
    sources: list[_Source],
    inputs: Sequence[str | Path],
    output: str | Path | None,
    in_place: bool,
    compression: Compression | None,
) -> list[FileJob]:
    if in_place:
        return [FileJob(str(s.path), str(s.path), s.fmt, s.fmt) for s in sources]
    if output is None:
        return [FileJob(str(s.path), None, s.fmt, s.fmt) for s in sources]
    if str(output) == STDOUT:
        if len(sources) != 1:
            raise ConfigError("stdout (-o -) takes exactly one input file; give -o DIRECTORY")
        s = sources[0]
        return [FileJob(str(s.path), STDOUT, s.fmt, s.fmt.with_compression(compression or "none"))]
    out = str(output)
    single_file = len(sources) == 1 and not sources[0].from_directory
    if single_file and _names_a_file(out):
        return [_file_target(sources[0], out, compression)]
    _check_output_dir(out, inputs)
    return [_mirrored(s, out, compression) for s in sources]


def _file_target(source: _Source, out: str, compression: Compression | None) -> FileJob:
    if _key(out) == _key(source.path):
        raise ConfigError(f"{out}: output is the input file; use in-place cleaning (fix) instead")
    return FileJob(
        str(source.path), str(out), source.fmt, _output_format(out, source.fmt, compression)
    )


def _output_format(out: Path | str, fmt: Format, compression: Compression | None) -> Format:
    """An output file's format: its extension decides the compression; the kind must match."""
    named = format_from_name(out)
    if named is None:  # pragma: no cover - callers check _names_a_file first
        return fmt.with_compression(compression or fmt.compression)
    if named.kind != fmt.kind:
        raise ConfigError(f"{out}: output is {named.kind} but the input is {fmt.kind}")
    if compression is not None and compression != named.compression:
        raise ConfigError(f"{out}: the name says {named.compression} but compression {compression}")
    return named


def _check_output_dir(out: str, inputs: Sequence[str | Path]) -> None:
    if storage.is_url(out):
        if storage.exists_as_file(out):
            raise ConfigError(
                f"{out}: output must be a directory for several inputs or a directory"
            )
        for given in map(str, inputs):
            if storage.is_url(given) and (out.rstrip("/") + "/").startswith(
                given.rstrip("/") + "/"
            ):
                raise ConfigError(
                    f"{out}: output is inside input {given}; a rerun would read its own "
                    "output. Choose an output outside it"
                )
        return
    _check_local_output_dir(Path(out), inputs)


def _check_local_output_dir(out: Path, inputs: Sequence[str | Path]) -> None:
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out}: output must be a directory for several inputs or a directory")
    resolved = out.resolve()
    for given in inputs:
        path = Path(given)
        if path.is_dir():
            root = path.resolve()
            if resolved == root or root in resolved.parents:
                raise ConfigError(
                    f"{out}: output directory is inside input directory {path}; "
                    "a rerun would read its own output. Choose an output outside it"
                )


def _mirrored(source: _Source, out: str, compression: Compression | None) -> FileJob:
    fmt = source.fmt
    relative = source.relative
    if compression is not None and fmt.kind != "parquet" and compression != fmt.compression:
        fmt = fmt.with_compression(compression)
        relative = relative.with_name(
            strip_compression_suffix(relative.name) + fmt.compression_suffix
        )
    target = storage.join(out, relative)
    if _key(target) == _key(source.path):
        raise ConfigError(f"{target}: output would overwrite its input; choose another output")
    return FileJob(str(source.path), str(target), source.fmt, fmt)


def _check_collisions(jobs: list[FileJob]) -> None:
    owners: dict[str, str] = {}
    for job in jobs:
        if job.target is None or job.target == STDOUT or job.in_place:
            continue
        key = _key(job.target)
        if key in owners:
            raise ConfigError(
                f"{job.target}: both {owners[key]} and {job.source} would be written here; "
                "clean them into separate output directories"
            )
        owners[key] = job.source
