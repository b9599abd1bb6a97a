"""Readers under attack: damaged archives, archives that expand without end, files that grow
while they are read, and input trees that loop or hold their own output.

A damaged input is exit 2 with a message naming the file (and the line where the damage was
met), and no output at all: a run never writes what it read before the damage as if it were
the whole file. Inputs that are odd but whole (concatenated gzip members, a file named twice)
are read whole, each document once.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import zstandard
from faultkit import (
    ROOT,
    Ledger,
    cleaner_command,
    count_documents,
    outputs,
    run_cleaner,
    temps,
    write_corpus,
)

from cleaner.io.readers import MAX_RECORD_BYTES


@pytest.fixture(scope="module")
def shard(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes, int]:
    """One JSONL shard (about 300 KB of news-like documents), what cleaning writes for it, and
    how many documents it holds."""
    root = tmp_path_factory.mktemp("readers")
    n = write_corpus(root / "in", files=1, documents_per_file=60, seed=23)
    source = root / "in" / "shard-00.jsonl"
    done = run_cleaner("clean", source, "-o", root / "clean.jsonl", "-q")
    assert done.returncode == 0, done.stderr
    return source.read_bytes(), (root / "clean.jsonl").read_bytes(), n


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


def _bad_gzip_crc(data: bytes) -> bytes:
    compressed = gzip.compress(data, mtime=0)
    return compressed[:-8] + bytes(4) + compressed[-4:]  # the trailer: CRC32, then size


def _zstd(data: bytes) -> bytes:
    return zstandard.ZstdCompressor(write_checksum=True).compress(data)


DAMAGE = {
    "gzip with a flipped byte mid-file": (".gz", lambda d: _flip(gzip.compress(d), 5000)),
    "gzip with a bad CRC": (".gz", _bad_gzip_crc),
    "gzip cut short": (".gz", lambda d: gzip.compress(d)[:-3000]),
    "zstd with a flipped byte mid-file": (".zst", lambda d: _flip(_zstd(d), 5000)),
    "zstd cut short": (".zst", lambda d: _zstd(d)[:-3000]),
}


@pytest.mark.parametrize("fault", DAMAGE)
def test_a_damaged_archive_is_exit_2_naming_it_with_no_output(
    shard, tmp_path: Path, ledger: Ledger, fault: str
):
    raw, _, documents = shard
    suffix, damage = DAMAGE[fault]
    source = tmp_path / f"shard.jsonl{suffix}"
    source.write_bytes(damage(raw))
    out = tmp_path / "out"
    with ledger.injecting("readers", fault, documents=documents) as cost:
        done = run_cleaner("clean", source, "-o", out, "-q")
        stderr = done.stderr.decode()
        cost.partial = len(outputs(out))  # any output of a damaged input would be partial
        assert done.returncode == 2, stderr
        assert f"{source}:" in stderr and "truncated or corrupt" in stderr, stderr
        assert "re-download or re-compress the file" in stderr and "Traceback" not in stderr
        assert cost.partial == 0 and temps(tmp_path) == []


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_concatenated_gzip_members_are_read_as_one_file(
    shard, tmp_path: Path, ledger: Ledger, jobs: str
):
    raw, _, documents = shard
    lines = raw.splitlines(keepends=True)
    thirds = [b"".join(lines[i::3]) for i in range(3)]  # three members, in line order below
    ordered = thirds[0] + thirds[1] + thirds[2]
    source = tmp_path / "members.jsonl.gz"
    source.write_bytes(b"".join(gzip.compress(part, mtime=0) for part in thirds))
    (tmp_path / "plain.jsonl").write_bytes(ordered)
    with ledger.injecting(
        "readers", f"3 concatenated gzip members, -j {jobs}", documents=documents
    ):
        members = run_cleaner("clean", source, "-o", tmp_path / "a.jsonl.gz", "-q", "-j", jobs)
        plain = run_cleaner("clean", tmp_path / "plain.jsonl", "-o", tmp_path / "b.jsonl", "-q")
        assert members.returncode == 0 and plain.returncode == 0, members.stderr
        written = gzip.decompress((tmp_path / "a.jsonl.gz").read_bytes())
        assert written == (tmp_path / "b.jsonl").read_bytes()
        assert count_documents(written) == documents


def _peak_rss_mb(command: list[str]) -> tuple[subprocess.CompletedProcess[bytes], float]:
    """Run ``command`` in a fresh parent, so the peak resident memory it reports is only this
    command's."""
    probe = (
        "import resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True)\n"
        "sys.stdout.buffer.write(done.stderr)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "sys.exit(done.returncode)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *command], capture_output=True, cwd=ROOT, timeout=300
    )
    *stderr, kilobytes = done.stdout.decode().strip().split("\n")
    return subprocess.CompletedProcess(command, done.returncode, b"", "\n".join(stderr).encode()), (
        int(kilobytes) / 1024
    )


BOMB_MEMBER = 64 << 20  # bytes of one expanding member; 64 of them expand to 4 GiB
BOMBS = {
    "gzip": (".gz", lambda data: gzip.compress(data, compresslevel=9, mtime=0)),
    "zstd": (".zst", lambda data: zstandard.ZstdCompressor(level=19).compress(data)),
}


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in kilobytes on Linux")
@pytest.mark.parametrize("kind", BOMBS)
def test_a_decompression_bomb_is_refused_in_bounded_memory(tmp_path: Path, ledger: Ledger, kind):
    suffix, compress = BOMBS[kind]
    member = compress(b"a" * BOMB_MEMBER)  # one endless line: no record ever ends
    source = tmp_path / f"bomb.jsonl{suffix}"
    source.write_bytes(compress(b'{"id": 1, "text": "') + member * 64)
    expands_to = 64 * BOMB_MEMBER
    assert source.stat().st_size * 1000 < expands_to  # a small file...
    with ledger.injecting("readers", f"{kind} bomb: 4 GiB in one line", documents=1) as cost:
        done, peak_mb = _peak_rss_mb(cleaner_command("clean", source, "-o", tmp_path / "out"))
        stderr = done.stderr.decode()
        cost.partial = len(outputs(tmp_path / "out"))
        assert done.returncode == 2, stderr
        assert f"{source}:1: a record runs past {MAX_RECORD_BYTES >> 20} MiB" in stderr, stderr
        assert "Traceback" not in stderr and cost.partial == 0
        # ...that would expand to 4 GiB is stopped at the record limit, not at memory's end.
        assert peak_mb < 2.5 * (MAX_RECORD_BYTES >> 20), f"peak RSS {peak_mb:.0f} MB"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_file_growing_while_it_is_read_gives_whole_records_of_it(
    tmp_path: Path, ledger: Ledger, jobs: str
):
    source_dir = tmp_path / "in"
    before = write_corpus(source_dir, files=1, documents_per_file=1500, seed=29)
    source = source_dir / "shard-00.jsonl"
    prefix = tmp_path / "prefix.jsonl"
    write_corpus(tmp_path / "more", files=1, documents_per_file=400, seed=31)
    appended = (tmp_path / "more" / "shard-00.jsonl").read_bytes().splitlines(keepends=True)
    out = tmp_path / "out.jsonl"
    with ledger.injecting("readers", f"input appended to mid-run, -j {jobs}", documents=before):
        process = subprocess.Popen(
            cleaner_command("clean", source, "-o", out, "-q", "-j", jobs),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=ROOT,
        )

        def append() -> None:  # one write per line, as a crawler appends records
            fd = os.open(source, os.O_WRONLY | os.O_APPEND)
            try:
                for line in appended:
                    if process.poll() is not None:
                        return
                    os.write(fd, line)
                    time.sleep(0.001)
            finally:
                os.close(fd)

        writer = threading.Thread(target=append)
        writer.start()
        _, stderr = process.communicate(timeout=300)
        writer.join()
        assert process.returncode == 0, stderr.decode()
        written = out.read_bytes()
        n = count_documents(written)
        assert before <= n <= before + len(appended)
        # What was written is the cleaning of the first n records of the file, each whole.
        grown = source.read_bytes().splitlines(keepends=True)
        prefix.write_bytes(b"".join(grown[:n]))
        again = run_cleaner("clean", prefix, "-o", tmp_path / "again.jsonl", "-q")
        assert again.returncode == 0, again.stderr
        assert written == (tmp_path / "again.jsonl").read_bytes()


def _tree(root: Path, shard: bytes) -> Path:
    (root / "in" / "sub").mkdir(parents=True)
    (root / "in" / "a.jsonl").write_bytes(shard)
    (root / "in" / "sub" / "b.jsonl").write_bytes(shard)
    return root / "in"


def test_a_directory_symlink_loop_in_an_input_tree_is_not_followed(
    shard, tmp_path: Path, ledger: Ledger
):
    raw, cleaned, documents = shard
    tree = _tree(tmp_path, raw)
    (tree / "sub" / "up").symlink_to("..", target_is_directory=True)
    with ledger.injecting("readers", "directory symlink loop", documents=2 * documents) as cost:
        done = run_cleaner("clean", tree, "-o", tmp_path / "out", "-q")
        assert done.returncode == 0, done.stderr
        found = outputs(tmp_path / "out")
        cost.lost = 2 * documents - sum(count_documents(data) for data in found.values())
        assert found == {"a.jsonl": cleaned, "sub/b.jsonl": cleaned}


def test_a_file_symlink_loop_is_exit_2_naming_it(shard, tmp_path: Path, ledger: Ledger):
    raw, _, documents = shard
    tree = _tree(tmp_path, raw)
    (tree / "loop.jsonl").symlink_to("loop.jsonl")
    with ledger.injecting("readers", "file symlink loop", documents=2 * documents) as cost:
        done = run_cleaner("clean", tree, "-o", tmp_path / "out", "-q")
        stderr = done.stderr.decode()
        cost.partial = len(outputs(tmp_path / "out"))
        assert done.returncode == 2, stderr
        assert f"{tree / 'loop.jsonl'}: is a symlink loop or a broken link" in stderr, stderr
        assert cost.partial == 0


@pytest.mark.parametrize(
    "twice",
    [
        pytest.param(lambda tree: [tree / "a.jsonl", tree / "a.jsonl"], id="named twice"),
        pytest.param(lambda tree: [tree, tree / "sub" / "b.jsonl"], id="named and in a dir"),
        pytest.param(lambda tree: [tree, tree / "sub" / ".." / "a.jsonl"], id="by another path"),
    ],
)
def test_a_file_given_twice_is_cleaned_once(shard, tmp_path: Path, ledger: Ledger, twice):
    raw, cleaned, documents = shard
    tree = _tree(tmp_path, raw)
    inputs = twice(tree)
    expected = {"a.jsonl": cleaned} if len(set(map(str, inputs))) == 1 else None
    with ledger.injecting("readers", "the same file given twice", documents=documents):
        done = run_cleaner("clean", *inputs, "-o", tmp_path / "out", "-q")
        assert done.returncode == 0, done.stderr
        found = outputs(tmp_path / "out")
        assert list(found.values()).count(cleaned) == len(found)
        if expected is not None:
            assert found == expected
        else:  # the directory's files, each once
            assert sorted(found) == ["a.jsonl", "sub/b.jsonl"]


def test_an_output_inside_the_input_tree_is_refused_before_anything_is_read(
    shard, tmp_path: Path, ledger: Ledger
):
    raw, _, documents = shard
    tree = _tree(tmp_path, raw)
    with ledger.injecting("readers", "output inside the input tree", documents=2 * documents):
        done = run_cleaner("clean", tree, "-o", tree / "cleaned", "-q")
        stderr = done.stderr.decode()
        assert done.returncode == 2, stderr
        assert f"output directory is inside input directory {tree}" in stderr, stderr
        assert not (tree / "cleaned").exists()
