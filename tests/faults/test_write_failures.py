"""Write failures: the disk refuses bytes part-way (RLIMIT_FSIZE gives EFBIG, /dev/full gives
ENOSPC) or the output directory cannot be written at all.

Each gives a clear message naming what failed, exit 2, and no half-written output: an output
either is the complete result or does not exist, and no temp file is left for a later run to
take for data.
"""

from __future__ import annotations

import os
import resource
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from faultkit import (
    Ledger,
    cleaner_command,
    count_documents,
    outputs,
    partial_outputs,
    run_cleaner,
    temps,
    write_corpus,
)

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="Linux limits and devices")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes], int]:
    """Three shards of about 300 KB each, and what an uninterrupted run writes."""
    root = tmp_path_factory.mktemp("writes")
    n = write_corpus(root / "in", files=3, documents_per_file=60, seed=16)
    done = run_cleaner("clean", root / "in", "-o", root / "complete", "-q")
    assert done.returncode == 0, done.stderr
    return root / "in", outputs(root / "complete"), n


def _limit_file_size(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_file_size_limit_mid_file_is_exit_2_with_no_partial_output(
    corpus, tmp_path: Path, ledger: Ledger, jobs: str
):
    source, complete, documents = corpus
    limit = min(len(data) for data in complete.values()) // 2
    out = tmp_path / "out"
    fault = f"RLIMIT_FSIZE mid-file, -j {jobs}"
    with ledger.injecting("write failures", fault, documents=documents) as cost:
        done = subprocess.run(
            cleaner_command("clean", source, "-o", out, "-q", "-j", jobs),
            capture_output=True,
            preexec_fn=lambda: _limit_file_size(limit),  # a write past it fails with EFBIG
            timeout=300,
        )
        cost.partial = len(partial_outputs(outputs(out), complete))
        stderr = done.stderr.decode()
        assert done.returncode == 2, stderr
        assert "cannot write the output: File too large. Nothing partial was left" in stderr
        assert ".jsonl" in stderr.split("cannot write")[0] and "Traceback" not in stderr
        assert cost.partial == 0 and temps(out) == []
        # Given room, the same command with --resume writes every document.
        rerun = run_cleaner("clean", source, "-o", out, "-q", "-j", jobs, "--resume")
        cost.lost = documents - sum(count_documents(data) for data in outputs(out).values())
        assert rerun.returncode == 0, rerun.stderr
        assert outputs(out) == complete


def test_stdout_on_a_full_disk_is_exit_2_with_a_message(corpus, ledger: Ledger):
    source, complete, _ = corpus
    shard = sorted(source.iterdir())[0]
    documents = count_documents(shard.read_bytes())
    fault = "stdout on /dev/full (ENOSPC)"
    # stdout is written as data comes, so nothing there is "partial": the reader sees the status.
    with ledger.injecting("write failures", fault, documents=documents) as cost:
        with open("/dev/full", "wb") as full:
            done = subprocess.run(
                cleaner_command("clean", shard, "-o", "-", "-q"),
                stdout=full,
                stderr=subprocess.PIPE,
                timeout=300,
            )
        stderr = done.stderr.decode()
        assert done.returncode == 2, stderr
        assert "standard output: cannot write: No space left on device" in stderr
        assert "Traceback" not in stderr
        rerun = run_cleaner("clean", shard, "-o", "-", "-q")
        cost.lost = documents - count_documents(rerun.stdout)
        assert rerun.returncode == 0 and rerun.stdout == complete[shard.name]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_a_read_only_output_directory_is_exit_2_and_names_it(corpus, tmp_path: Path):
    source, _, _ = corpus
    out = tmp_path / "locked"
    out.mkdir()
    out.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        done = run_cleaner("clean", source, "-o", out, "-q")
    finally:
        out.chmod(stat.S_IRWXU)
    assert done.returncode == 2, done.stderr
    assert str(out) in done.stderr.decode()
    assert outputs(out) == {}


def test_an_output_directory_that_is_a_file_is_exit_2_and_names_it(corpus, tmp_path: Path):
    """What a read-only directory does for root too: the output cannot be created."""
    source, _, _ = corpus
    blocker = tmp_path / "taken"
    blocker.write_text("not a directory\n")
    done = run_cleaner("clean", source, "-o", blocker / "out", "-q")
    stderr = done.stderr.decode()
    assert done.returncode == 2, stderr
    assert "taken" in stderr and "Traceback" not in stderr
    assert blocker.read_text() == "not a directory\n"


def _replace_with_other_bytes(temp: Path) -> None:
    other = temp.with_name("other-writer.tmp")
    other.write_bytes(b"another program's bytes\n")
    os.replace(other, temp)


@pytest.mark.parametrize(
    ("fault", "meddle"),
    [
        ("output deleted mid-run", Path.unlink),
        ("output replaced mid-run", _replace_with_other_bytes),
    ],
)
def test_an_output_deleted_or_replaced_mid_run_is_exit_2_and_never_published(
    tmp_path: Path, ledger: Ledger, fault: str, meddle
):
    documents = write_corpus(tmp_path / "in", files=1, documents_per_file=1500, seed=37)
    source = tmp_path / "in" / "shard-00.jsonl"
    out = tmp_path / "out"
    out.mkdir()
    with ledger.injecting("write failures", fault, documents=documents) as cost:
        process = subprocess.Popen(
            cleaner_command("clean", source, "-o", out / "clean.jsonl", "-q"),
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 120
        while not temps(out) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        [temp] = temps(out)  # the output being written: only a temp file so far
        meddle(temp)
        _, stderr_bytes = process.communicate(timeout=300)
        stderr = stderr_bytes.decode()
        assert process.returncode == 2, stderr
        assert f"{out / 'clean.jsonl'}: the temp file being written" in stderr, stderr
        assert "was deleted or replaced by something else during the run" in stderr
        assert "Traceback" not in stderr
        assert not (out / "clean.jsonl").exists()
        if temp.exists():  # what another program put there is left to it
            assert temp.read_bytes() == b"another program's bytes\n"
            temp.unlink()
        rerun = run_cleaner("clean", source, "-o", out / "clean.jsonl", "-q")
        assert rerun.returncode == 0, rerun.stderr
        cost.lost = documents - count_documents((out / "clean.jsonl").read_bytes())
        assert cost.lost == 0
