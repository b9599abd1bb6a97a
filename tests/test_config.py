"""Settings come from --config, cleaner.toml or [tool.cleaner], found upward from here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cleaner.config import Settings, discover, load_settings
from cleaner.errors import ConfigError


def test_cleaner_toml_is_found_from_a_subdirectory(tmp_path: Path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "cleaner.toml").write_text('disable = ["generic.newsletter-prompt"]\n')
    sub = tmp_path / "data" / "raw"
    sub.mkdir(parents=True)
    assert discover(sub) == tmp_path / "cleaner.toml"


def test_pyproject_counts_only_with_a_tool_cleaner_table(tmp_path: Path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert discover(tmp_path) is None
    (tmp_path / "pyproject.toml").write_text("[tool.cleaner]\nmax-removal = 0.4\n")
    found = discover(tmp_path)
    assert found == tmp_path / "pyproject.toml"
    assert load_settings(found).max_removal == 0.4


def test_search_stops_at_the_repository_root(tmp_path: Path):
    (tmp_path / "cleaner.toml").write_text("max_removal = 0.3\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    assert discover(repo) is None


def test_rule_paths_are_relative_to_the_config_file(tmp_path: Path):
    (tmp_path / "cleaner.toml").write_text('rules = ["packs/mine.toml"]\ntext_key = "body"\n')
    settings = load_settings(tmp_path / "cleaner.toml")
    assert settings.rules == (str((tmp_path / "packs" / "mine.toml").resolve()),)
    assert settings.text_key == "body"


def test_a_discovered_file_names_only_packs_under_its_directory(tmp_path: Path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "cleaner.toml").write_text('rules = ["../shared/mine.toml"]\n')
    outside = str((tmp_path / "shared" / "mine.toml").resolve())
    with pytest.raises(ConfigError, match="found by discovery may name only packs under"):
        load_settings(project / "cleaner.toml", discovered=True)
    # Named with --config, the user vouches for it.
    assert load_settings(project / "cleaner.toml").rules == (outside,)


def test_a_discovered_file_names_no_pack_by_url_and_a_named_one_may(tmp_path: Path):
    (tmp_path / "cleaner.toml").write_text('rules = ["s3://packs/site.toml"]\n')
    with pytest.raises(ConfigError, match="is a URL; a configuration file found by discovery"):
        load_settings(tmp_path / "cleaner.toml", discovered=True)
    assert load_settings(tmp_path / "cleaner.toml").rules == ("s3://packs/site.toml",)


def test_command_line_values_override_the_file():
    settings = Settings(max_removal=0.3, text_key="body").overridden(max_removal=0.6, text_key=None)
    assert (settings.max_removal, settings.text_key) == (0.6, "body")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("maximum = 3\n", "unknown setting 'maximum'"),
        ('max_removal = "half"\n', "max_removal has the wrong type (str)"),
        ("rules = [1]\n", "rules must be a list of strings"),
        ("default_rules = 1\n", "default_rules has the wrong type (int)"),
        ("max_removal = [\n", "not valid TOML"),
        ("max_removal = 3\n", "max_removal must be a share in (0, 1], e.g. 0.5; got 3"),
        ("timeout = -1\n", "timeout must be seconds above 0, e.g. 1.0; got -1"),
        ('domain_aliases = ["a"]\n', "domain_aliases has the wrong type (list)"),
        ("text_key = true\n", "text_key has the wrong type (bool)"),
    ],
)
def test_bad_settings_are_refused_with_the_file_named(tmp_path: Path, body: str, message: str):
    path = tmp_path / "cleaner.toml"
    path.write_text(body)
    with pytest.raises(ConfigError, match=re.escape(message)) as err:
        load_settings(path)
    assert str(path) in str(err.value)
