"""Inputs and outputs by URL, against a real S3 API: moto's server on 127.0.0.1, reached
through s3fs as users reach AWS (AWS_ENDPOINT_URL, keys in the environment). The same
commands as on local files, with the same outputs byte for byte, on the local engine and on
a Dask cluster whose workers read their own byte ranges from the bucket."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cleaner.io import is_temp

pytest.importorskip("s3fs")
pytest.importorskip("moto.server")

sys.path.insert(0, str(Path(__file__).resolve().parent / "faults"))
from faultkit import cleaner_command, outputs, run_cleaner, write_corpus
from moto.server import ThreadedMotoServer

BUCKET = "corpus"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def s3() -> Iterator[Any]:
    """A fresh S3 endpoint on loopback, and an s3fs filesystem on it; the environment
    points every `cleaner` process of the module at it."""
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        env.setenv("AWS_CONFIG_FILE", os.devnull)
        env.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
        import s3fs

        fs = s3fs.S3FileSystem(skip_instance_cache=True)
        fs.mkdir(BUCKET)
        try:
            yield fs
        finally:
            server.stop()


@pytest.fixture(scope="module")
def corpus(s3: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A local corpus (plain shards cut into several byte ranges, a gzip shard in a
    subdirectory, a file of no known type) and its copy at s3://corpus/in/."""
    root = tmp_path_factory.mktemp("storage") / "in"
    write_corpus(root, files=2, documents_per_file=700, seed=53)
    (root / "deeper").mkdir()
    shard = (root / "shard-01.jsonl").read_bytes()
    (root / "deeper" / "packed.jsonl.gz").write_bytes(gzip.compress(shard))
    (root / "notes.md").write_text("not a corpus file\n")
    s3.put(str(root), f"{BUCKET}/in", recursive=True)
    return root


def _objects(s3: Any, prefix: str) -> dict[str, bytes]:
    """Every object under ``prefix``, by its name under it."""
    s3.invalidate_cache()
    base = f"{BUCKET}/{prefix}"
    return {name[len(base) + 1 :]: s3.cat_file(name) for name in sorted(s3.find(base))}


def _report(path: Path) -> dict[str, Any]:
    report = json.loads(path.read_text())
    report.pop("timings")  # and what names the files, which differ
    return {k: v for k, v in report.items() if k not in ("files", "files_not_read")}


def test_clean_from_a_bucket_to_a_bucket_writes_what_a_local_run_writes(
    s3: Any, corpus: Path, tmp_path: Path
) -> None:
    local = run_cleaner("clean", corpus, "-o", tmp_path / "local", "--report", tmp_path / "l.json")
    assert local.returncode == 0, local.stderr
    remote = run_cleaner(
        "clean", f"s3://{BUCKET}/in/", "-o", f"s3://{BUCKET}/out/", "--report", tmp_path / "r.json"
    )
    assert remote.returncode == 0, remote.stderr
    written = _objects(s3, "out")
    assert sorted(written) == ["deeper/packed.jsonl.gz", "shard-00.jsonl", "shard-01.jsonl"]
    assert written == outputs(tmp_path / "local")  # no temp object is left either
    assert _report(tmp_path / "r.json") == _report(tmp_path / "l.json")
    assert json.loads((tmp_path / "r.json").read_text())["files_not_read"] == [
        f"s3://{BUCKET}/in/notes.md"
    ]


def test_the_dask_engine_reads_and_writes_the_bucket_with_the_same_output(
    s3: Any, corpus: Path, tmp_path: Path
) -> None:
    pytest.importorskip("distributed")
    local = run_cleaner("clean", corpus, "-o", tmp_path / "local", "-q")
    assert local.returncode == 0, local.stderr
    done = run_cleaner(
        "clean", f"s3://{BUCKET}/in/", "-o", f"s3://{BUCKET}/dask-out/", "--engine", "dask"
    )
    assert done.returncode == 0, done.stderr
    assert _objects(s3, "dask-out") == outputs(tmp_path / "local")


def test_check_and_learn_read_a_bucket_as_they_read_a_directory(
    s3: Any, corpus: Path, tmp_path: Path
) -> None:
    local = run_cleaner("check", corpus, "-q")
    remote = run_cleaner("check", f"s3://{BUCKET}/in/", "-q", "-j", "2")
    assert local.returncode == remote.returncode == 1
    assert remote.stdout.decode() == local.stdout.decode().replace(str(corpus), f"s3://{BUCKET}/in")

    for name, source in (("local", str(corpus)), ("remote", f"s3://{BUCKET}/in/")):
        learned = run_cleaner("learn", source, "-o", tmp_path / name, "-q", "-j", "2")
        assert learned.returncode == 0, learned.stderr
    assert outputs(tmp_path / "remote") == outputs(tmp_path / "local") != {}


def test_learned_packs_can_be_written_to_a_bucket(s3: Any, corpus: Path, tmp_path: Path) -> None:
    assert run_cleaner("learn", corpus, "-o", tmp_path / "packs", "-q").returncode == 0
    learned = run_cleaner("learn", corpus, "-o", f"s3://{BUCKET}/packs/")
    assert learned.returncode == 0, learned.stderr
    assert f"into s3://{BUCKET}/packs/" in learned.stderr.decode()
    assert _objects(s3, "packs") == outputs(tmp_path / "packs") != {}


def test_rule_packs_can_be_read_from_a_bucket(s3: Any, corpus: Path, tmp_path: Path) -> None:
    assert run_cleaner("learn", corpus, "-o", tmp_path / "packs", "-q").returncode == 0
    s3.put(str(tmp_path / "packs"), f"{BUCKET}/rules", recursive=True)
    one = sorted((tmp_path / "packs").glob("*.toml"))[0]
    runs = {
        "local": ["--rules", tmp_path / "packs"],
        "prefix": ["--rules", f"s3://{BUCKET}/rules/"],
        "objects": [
            arg for p in sorted((tmp_path / "packs").glob("*.toml"))
            for arg in ("--rules", f"s3://{BUCKET}/rules/{p.name}")
        ],
    }  # fmt: skip
    for name, rules in runs.items():
        done = run_cleaner("clean", corpus, "-o", tmp_path / name, "-q", *rules)
        assert done.returncode == 0, done.stderr
    assert outputs(tmp_path / "prefix") == outputs(tmp_path / "local")
    assert outputs(tmp_path / "objects") == outputs(tmp_path / "local")
    plain = run_cleaner("clean", corpus, "-o", tmp_path / "plain", "-q")
    assert plain.returncode == 0 and outputs(tmp_path / "plain") != outputs(tmp_path / "local")
    missing = run_cleaner("check", corpus, "--rules", f"s3://{BUCKET}/rules/{one.stem}.tom")
    assert missing.returncode == 2
    assert f"s3://{BUCKET}/rules/{one.stem}.tom: no such rule pack" in missing.stderr.decode()


def test_a_glob_mirrors_its_matches_below_its_fixed_part(s3: Any, corpus: Path) -> None:
    done = run_cleaner("clean", f"s3://{BUCKET}/in/**/*.gz", "-o", f"s3://{BUCKET}/globbed/")
    assert done.returncode == 0, done.stderr
    assert list(_objects(s3, "globbed")) == ["deeper/packed.jsonl.gz"]


def test_resume_skips_the_objects_already_written(s3: Any, corpus: Path, tmp_path: Path) -> None:
    out = f"s3://{BUCKET}/resumed/"
    assert run_cleaner("clean", f"s3://{BUCKET}/in/shard-00.jsonl", "-o", out).returncode == 0
    again = run_cleaner("clean", f"s3://{BUCKET}/in/", "-o", out, "--resume", "--report",
                        tmp_path / "report.json")  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert json.loads((tmp_path / "report.json").read_text())["files_skipped"] == 1
    assert len(_objects(s3, "resumed")) == 3


def test_a_bad_record_leaves_no_object_for_its_file(s3: Any, corpus: Path) -> None:
    s3.pipe(f"{BUCKET}/bad/a.jsonl", (corpus / "shard-00.jsonl").read_bytes())
    s3.pipe(f"{BUCKET}/bad/b.jsonl", b'{"text": "fine"}\n{"text": 3}\n')
    done = run_cleaner("clean", f"s3://{BUCKET}/bad/", "-o", f"s3://{BUCKET}/bad-out/")
    assert done.returncode == 2
    assert f"s3://{BUCKET}/bad/b.jsonl:2" in done.stderr.decode()
    assert list(_objects(s3, "bad-out")) == ["a.jsonl"]  # complete; b's never appeared


def test_parquet_is_read_and_written_by_url_as_a_local_file_is(
    s3: Any, corpus: Path, tmp_path: Path
) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    rows = [json.loads(line) for line in (corpus / "shard-00.jsonl").read_text().splitlines()]
    local = tmp_path / "in" / "rows.parquet"
    local.parent.mkdir()
    pq.write_table(pa.Table.from_pylist(rows[:200]), local)
    s3.put(str(local), f"{BUCKET}/parquet/rows.parquet")
    assert run_cleaner("clean", local.parent, "-o", tmp_path / "out").returncode == 0
    done = run_cleaner("clean", f"s3://{BUCKET}/parquet/", "-o", f"s3://{BUCKET}/parquet-out/")
    assert done.returncode == 0, done.stderr
    assert _objects(s3, "parquet-out") == outputs(tmp_path / "out")


def test_a_run_killed_mid_way_leaves_only_complete_objects_and_resume_finishes(
    s3: Any, tmp_path: Path
) -> None:
    write_corpus(tmp_path / "in", files=6, documents_per_file=1200, seed=59)
    s3.put(str(tmp_path / "in"), f"{BUCKET}/kill/in", recursive=True)
    assert run_cleaner("clean", tmp_path / "in", "-o", tmp_path / "expected", "-q").returncode == 0
    expected = outputs(tmp_path / "expected")
    out = f"s3://{BUCKET}/kill/out/"
    run = subprocess.Popen(cleaner_command("clean", f"s3://{BUCKET}/kill/in/", "-o", out, "-q"))
    deadline = time.monotonic() + 120
    while not _published(s3, "kill/out") and run.poll() is None:  # the first file is out
        assert time.monotonic() < deadline
        time.sleep(0.05)
    run.kill()
    run.wait()
    published = _visible(s3, "kill/out")
    assert published and len(published) < len(expected)
    assert all(expected[name] == data for name, data in published.items())

    done = run_cleaner("clean", f"s3://{BUCKET}/kill/in/", "-o", out, "--resume")
    assert done.returncode == 0, done.stderr
    assert _visible(s3, "kill/out") == expected


def _published(s3: Any, prefix: str) -> list[str]:
    s3.invalidate_cache()
    # Only objects: an empty listing that races the first temp object's creation makes
    # s3fs's find report the prefix itself, as a directory.
    found = s3.find(f"{BUCKET}/{prefix}", detail=True).items()
    return [name for name, info in found if info["type"] == "file" and not is_temp(name)]


def _visible(s3: Any, prefix: str) -> dict[str, bytes]:
    """The objects a reader of the output sees: not the temp objects a kill left."""
    return {name: data for name, data in _objects(s3, prefix).items() if not is_temp(name)}


def test_rejects_can_be_set_aside_in_the_bucket(s3: Any, corpus: Path) -> None:
    s3.pipe(f"{BUCKET}/skip/b.jsonl", b'{"text": "fine"}\n{"text": 3}\n')
    done = run_cleaner("clean", f"s3://{BUCKET}/skip/", "-o", f"s3://{BUCKET}/skip-out/",
                       "--on-error", "skip", "--rejects", f"s3://{BUCKET}/rejects/bad.jsonl")  # fmt: skip
    assert done.returncode == 2, done.stderr  # a rejection is reported as exit 2
    assert _objects(s3, "rejects") == {"bad.jsonl": b'{"text": 3}\n'}
    assert _objects(s3, "skip-out") == {"b.jsonl": b'{"text": "fine"}\n'}


def test_the_report_spans_and_audit_page_can_be_written_to_the_bucket(
    s3: Any, corpus: Path, tmp_path: Path
) -> None:
    source = f"s3://{BUCKET}/in/shard-00.jsonl"
    done = run_cleaner(
        "clean", source, "-o", tmp_path / "out.jsonl", "--spans", tmp_path / "s.jsonl"
    )
    assert done.returncode == 0, done.stderr
    done = run_cleaner(
        "clean", source, "-o", tmp_path / "again.jsonl", "--report", f"s3://{BUCKET}/run/r.json",
        "--spans", f"s3://{BUCKET}/run/spans.jsonl", "--html", f"s3://{BUCKET}/run/audit.html",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    run = _objects(s3, "run")
    assert sorted(run) == ["audit.html", "r.json", "spans.jsonl"]
    assert run["spans.jsonl"] == (tmp_path / "s.jsonl").read_bytes() != b""
    assert json.loads(run["r.json"])["documents"]["read"] == 700
    assert run["audit.html"].startswith(b"<!DOCTYPE html>")


def test_a_missing_url_is_exit_2_with_its_name(s3: Any, tmp_path: Path) -> None:
    done = run_cleaner("clean", f"s3://{BUCKET}/nowhere/", "-o", tmp_path / "out")
    assert done.returncode == 2
    assert f"s3://{BUCKET}/nowhere/: no such file or directory; check the URL" in (
        done.stderr.decode()
    )
    assert not (tmp_path / "out").exists()


def test_an_output_inside_the_input_prefix_is_refused(s3: Any, corpus: Path) -> None:
    done = run_cleaner("clean", f"s3://{BUCKET}/in/", "-o", f"s3://{BUCKET}/in/clean/")
    assert done.returncode == 2
    assert "a rerun would read its own output" in done.stderr.decode()


def test_a_file_url_is_a_local_path(corpus: Path, tmp_path: Path) -> None:
    shutil.copy(corpus / "shard-00.jsonl", tmp_path / "x.jsonl")
    done = run_cleaner("clean", (tmp_path / "x.jsonl").as_uri(), "-o", tmp_path / "y.jsonl")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "y.jsonl").exists()


def test_an_unknown_scheme_is_exit_2_with_the_reason(tmp_path: Path) -> None:
    done = run_cleaner("clean", "nosuchfs://bucket/x.jsonl", "-o", tmp_path / "out")
    assert done.returncode == 2
    assert "nosuchfs://bucket/x.jsonl: " in done.stderr.decode()
