"""cleaner: remove scraping residue from text corpora, span by span, with a reason for each edit.

>>> import cleaner
>>> cleaner.clean("Body text.\\n\\nADVERTISEMENT\\n\\nMore text.\\n", url="https://thehill.com/x")
'Body text.\\n\\nMore text.\\n'
"""

from __future__ import annotations

from functools import lru_cache

from cleaner import engine as _engine
from cleaner.engine import Cleaner
from cleaner.errors import CleanerError, ConfigError, InputError, RuleFileError
from cleaner.settings import Settings
from cleaner.spans import apply_spans
from cleaner.types import CleanResult, Document, Fields, Span

__all__ = [
    "CleanResult",
    "Cleaner",
    "CleanerError",
    "ConfigError",
    "Document",
    "Fields",
    "InputError",
    "RuleFileError",
    "Settings",
    "Span",
    "apply_spans",
    "clean",
    "engine_compiled",
    "explain",
]
__version__ = "0.1.0"


@lru_cache(maxsize=1)
def default_cleaner() -> Cleaner:
    """The cleaner with the default packs, built once per process."""
    return Cleaner.load()


def clean(text: str, *, url: str | None = None, title: str | None = None) -> str:
    """Clean one text with the default packs."""
    return default_cleaner().clean(text, url=url, title=title)


def explain(text: str, *, url: str | None = None, title: str | None = None) -> CleanResult:
    """Clean one text with the default packs and say which rule made each edit."""
    return default_cleaner().explain(text, url=url, title=title)


def engine_compiled() -> bool:
    """Whether this install runs the engine compiled to C (a build with mypyc) or as Python."""
    return not (_engine.__file__ or "").endswith(".py")
