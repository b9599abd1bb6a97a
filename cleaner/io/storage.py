"""Inputs and outputs named by URL: object stores and every other fsspec filesystem.

A path with a scheme (``s3://bucket/shards/``, ``gs://…``, ``hf://datasets/…``,
``memory://…``) is read and written through fsspec, installed with ``cleaner[fsspec]``; the
filesystem's own package is the user's choice (s3fs, gcsfs, huggingface_hub) and takes its
credentials and endpoint as it always does (``AWS_ENDPOINT_URL``, profiles, …). A
``file://`` URL is a local path and gets everything local paths get.

Planning, reading and byte ranges treat a URL as they treat a local path: a "directory" is a
prefix, listed recursively; a glob (``*``, ``?``, ``[``) is expanded by the filesystem; names
starting with a dot are skipped in listings. An output is written to a temp object beside
its target and moved into place when complete (``cleaner.io.atomic``): on object stores the
move is a server-side copy, so the target appears whole or not at all.
"""

from __future__ import annotations

import io
import os
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

import regex

from cleaner.errors import ConfigError, InputError

_SCHEME = regex.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")
_MAGIC = regex.compile(r"[*?\[]")


def is_url(path: object) -> bool:
    """Whether ``path`` names a file through fsspec (a scheme other than ``file``)."""
    found = _SCHEME.match(str(path))
    return found is not None and found.group(1).lower() != "file"


def local_path(path: str) -> str:
    """``file:///data/x.jsonl`` as ``/data/x.jsonl``; any other path as it is."""
    found = _SCHEME.match(path)
    return path[found.end() :] if found and found.group(1).lower() == "file" else path


def filesystem(url: str) -> tuple[Any, str]:
    """The fsspec filesystem of ``url`` and the path within it."""
    try:
        import fsspec
    except ImportError:
        raise ConfigError(
            f"{url}: reading and writing URLs needs fsspec: pip install 'cleaner[fsspec]' "
            "(and the filesystem's package, such as s3fs for s3://)"
        ) from None
    try:
        fs, path = fsspec.core.url_to_fs(url)
    except ImportError as e:
        raise ConfigError(f"{url}: this filesystem needs a package that is missing: {e}") from None
    except ValueError as e:  # an unknown protocol
        raise ConfigError(f"{url}: {e}") from None
    return fs, str(path)


def join(base: str, relative: PurePosixPath) -> str:
    """``relative`` under ``base``, a directory or a directory URL."""
    if is_url(base):
        return f"{base.rstrip('/')}/{relative.as_posix()}"
    return str(Path(local_path(base)) / relative)


def exists_as_file(url: str) -> bool:
    """Whether ``url`` is a file now (asked of the store: a listing cached earlier in the
    process may predate this run's outputs)."""
    fs, path = filesystem(url)
    try:
        fs.invalidate_cache(path)
        return bool(fs.isfile(path))
    except OSError:
        return False


def is_dir(url: str) -> bool:
    fs, path = filesystem(url)
    try:
        return bool(fs.isdir(path))
    except OSError:
        return False


def size(path: str | Path) -> int:
    """The size in bytes of a local file or of a URL's object."""
    if not is_url(path):
        return os.path.getsize(path)
    fs, inner = filesystem(str(path))
    return int(fs.size(inner))


def listing(url: str) -> list[tuple[str, PurePosixPath]] | None:
    """The files a directory URL or a glob stands for, as (URL, path relative to the
    directory or to the glob's fixed part), sorted by relative path; None for a single file.
    Raises InputError when nothing is there."""
    fs, path = filesystem(url)
    try:
        # Entries are kept by type: a listing that races a writer can name a directory.
        if _MAGIC.search(path):
            root = path[: _MAGIC.search(path).start()].rsplit("/", 1)[0]  # type: ignore[union-attr]
            entries = fs.glob(path, detail=True)
        elif fs.isdir(path):
            root, entries = path.rstrip("/"), fs.find(path, detail=True)
        elif fs.isfile(path):
            return None
        else:
            raise InputError(url, "no such file or directory; check the URL")
    except (PermissionError, FileNotFoundError) as e:
        raise InputError(url, f"cannot list: {e}; check the URL and the credentials") from None
    files = []
    for name in [name for name, info in entries.items() if info["type"] == "file"]:
        relative = PurePosixPath(name).relative_to(root)
        if any(part.startswith(".") for part in relative.parts):
            continue  # hidden, like our temp objects
        files.append((fs.unstrip_protocol(name), relative))
    if not files and _MAGIC.search(path):
        raise InputError(url, "the glob matches no files; check the pattern")
    return sorted(files, key=lambda f: f[1].as_posix())


def open_file(url: str) -> BinaryIO:
    """``url`` opened for reading, seekable (``readers.open_binary`` says why it fails)."""
    fs, path = filesystem(url)
    # buffered as local files are: the readers use read1, which fsspec's files lack
    return io.BufferedReader(fs.open(path, "rb"), buffer_size=1 << 20)
