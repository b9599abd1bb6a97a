"""The README's examples do what the README says."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

import cleaner
from cleaner.cli import app

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def blocks(language: str = "") -> list[str]:
    """The README's fenced code blocks of ``language`` ("" = no language), in order."""
    return [
        body
        for lang, body in re.findall(r"^```(\w*)\n(.*?)^```$", README, flags=re.S | re.M)
        if lang == language
    ]


def test_the_article_example_cleans_as_shown():
    raw, clean = blocks()[0], blocks()[1]
    assert cleaner.clean(raw, url="https://thehill.com/homenews/story") == clean


def test_the_rule_pack_example_passes_its_own_tests(tmp_path: Path):
    (pack,) = [b for b in blocks("toml") if "[pack]" in b]
    path = tmp_path / "mysite.toml"
    path.write_text(pack, encoding="utf-8")
    result = CliRunner().invoke(app, ["rules", "test", str(path)])
    assert result.exit_code == 0, result.stderr
    assert "2 passed, 0 failed" in result.stderr


def test_the_config_example_loads(tmp_path: Path):
    from cleaner.config import load_settings

    (config,) = [b for b in blocks("toml") if "max_removal" in b]
    (tmp_path / "cleaner.toml").write_text(config, encoding="utf-8")
    settings = load_settings(tmp_path / "cleaner.toml")
    assert settings.max_removal == 0.4 and settings.text_key == "body"


def test_every_command_in_the_command_table_exists():
    for line in blocks("sh")[2].splitlines():
        words = line.split()
        if words and words[0] == "cleaner":
            command = [w for w in words[1:3] if w.isalpha() and w.islower()]
            result = CliRunner().invoke(app, [*command, "--help"])
            assert result.exit_code == 0, line
