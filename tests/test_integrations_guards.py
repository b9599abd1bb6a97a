"""Each integration says how to install what it needs when that is missing (no extras needed)."""

from __future__ import annotations

import importlib
import sys

import pytest

# module -> (the package it imports first, the extra that brings it)
GUARDED = {
    "scrapy": ("itemadapter", "scrapy"),
    "hf_datasets": ("datasets", "hf"),
    "datatrove": ("datatrove", "datatrove"),
    "dask": ("dask", "dask"),
}


@pytest.mark.parametrize("module", sorted(GUARDED))
def test_missing_package_names_the_extra(module: str, monkeypatch: pytest.MonkeyPatch) -> None:
    package, extra = GUARDED[module]
    for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, package, None)  # makes `import package` fail
    monkeypatch.delitem(sys.modules, f"cleaner.integrations.{module}", raising=False)
    with pytest.raises(ImportError) as caught:
        importlib.import_module(f"cleaner.integrations.{module}")
    message = str(caught.value)
    assert f"pip install 'cleaner[{extra}]'" in message
    assert package in message
    assert caught.value.name == package
