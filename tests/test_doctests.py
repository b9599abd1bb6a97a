"""The examples in the package's docstrings run, as ``--doctest-modules`` would run them; a
module whose optional dependency is missing (an integration) is skipped, not an error."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import cleaner

MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(cleaner.__path__, "cleaner.")
    if name != "cleaner.__main__"
)


@pytest.mark.parametrize("name", ["cleaner", *MODULES])
def test_docstring_examples_run(name: str) -> None:
    try:
        module = importlib.import_module(name)
    except ImportError as exc:  # an integration without its library installed
        pytest.skip(f"{name}: {exc}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
