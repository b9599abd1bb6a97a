"""The hooks, run for real: pre-commit try-repo this checkout inside a temporary dataset repo."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Real pre-commit in temporary git repositories: the slowest tests (CI runs them; `-m "not slow"`
# leaves them out of a quick run).
pytestmark = [
    pytest.mark.skipif(shutil.which("git") is None, reason="needs git"),
    pytest.mark.slow,
]

DIRTY = {
    "id": "1",
    "url": "https://example.org/story",
    "text": "A quiet morning in the harbour town.\n\nADVERTISEMENT\n\n"
    "Fishing boats went out at dawn, as they have for a century.\n",
}
CLEAN = {"id": "2", "text": "Nothing here but the story itself, told plainly.\n"}


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One hook environment for the module: installing it is the slow part."""
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    repo = tmp_path / "dataset"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "data@example.org")
    git(repo, "config", "user.name", "Data")
    (repo / "dirty.jsonl").write_text(json.dumps(DIRTY) + "\n", encoding="utf-8")
    (repo / "clean.jsonl").write_text(json.dumps(CLEAN) + "\n", encoding="utf-8")
    (repo / "notes.md").write_text("ADVERTISEMENT\n", encoding="utf-8")  # not a dataset file
    git(repo, "add", ".")
    return repo


def try_repo(repo: Path, hook: str, home: Path, *files: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    args = ["--files", *files] if files else ["--all-files"]
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), hook, *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_check_hook_fails_on_residue_and_names_it(dataset: Path, pre_commit_home: Path):
    run = try_repo(dataset, "cleaner-check", pre_commit_home)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "dirty.jsonl:1:" in run.stdout
    assert "generic.advertisement" in run.stdout
    assert "notes.md" not in run.stdout
    assert json.loads((dataset / "dirty.jsonl").read_text()) == DIRTY  # check writes nothing


def test_check_hook_passes_on_clean_files(dataset: Path, pre_commit_home: Path):
    run = try_repo(dataset, "cleaner-check", pre_commit_home, "clean.jsonl")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Passed" in run.stdout


def test_fix_hook_rewrites_and_fails_once_then_passes(dataset: Path, pre_commit_home: Path):
    before_clean = (dataset / "clean.jsonl").read_bytes()
    first = try_repo(dataset, "cleaner-fix", pre_commit_home)
    assert first.returncode == 1, first.stdout + first.stderr
    fixed = json.loads((dataset / "dirty.jsonl").read_text())
    assert fixed["text"] == (
        "A quiet morning in the harbour town.\n\n"
        "Fishing boats went out at dawn, as they have for a century.\n"
    )
    assert {k: v for k, v in fixed.items() if k != "text"} == {
        k: v for k, v in DIRTY.items() if k != "text"
    }
    assert (dataset / "clean.jsonl").read_bytes() == before_clean
    git(dataset, "add", ".")
    second = try_repo(dataset, "cleaner-fix", pre_commit_home)
    assert second.returncode == 0, second.stdout + second.stderr
