"""Hosts of document URLs, read as a person would: a web-archive snapshot is the page it holds.

>>> host_of("https://web.archive.org/web/20190301000000/https://thehill.com/homenews/a")
'thehill.com'
>>> within("www.thehill.com", ["thehill.com"]), within("notthehill.com", ["thehill.com"])
(True, False)
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import SplitResult, urlsplit

import regex

# Web archives that name the page they hold in their own path: /web/<stamp>/<original URL>,
# /<stamp>/<original URL>, /o/<id>/<original URL>, /newest/<original URL>.
_ARCHIVES = frozenset(
    {"web.archive.org", "wayback.archive.org"}
    | {f"archive.{tld}" for tld in ("ph", "today", "is", "li", "vn", "fo", "md")}
)
_ARCHIVED = regex.compile(
    r"(?i)^/(?:web/)?(?:[0-9]{4}[0-9.\-]*[a-z_]*|o/[A-Za-z0-9]+|newest|oldest)/"
    r"(?:https?:/{1,2})?(?P<original>[^/?#]+\.[^/?#]+)"
)


def host_of(url: str | None) -> str | None:
    """The host of ``url``, or of the page it holds where it is a web-archive snapshot."""
    if not url:
        return None
    if url.startswith(("http://", "https://")):
        # Cached by what precedes the path: URLs are mostly unique, their hosts are not.
        cut = min((i for i in (url.find(c, 8) for c in "/?#") if i != -1), default=len(url))
        host = _host(url[:cut])
        path = url[cut:]
    else:
        host = _host.__wrapped__(url)
        path = _path(url)
    if host in _ARCHIVES and (held := _ARCHIVED.match(path)) is not None:
        return _host.__wrapped__(held["original"])
    return host


def domain(name: str) -> str:
    """A host or domain as written in packs and settings: lower case, no outer dots."""
    return name.lower().strip().strip(".")


@lru_cache(maxsize=4096)
def _host(url: str) -> str | None:
    try:
        host = _split(url).hostname
    except ValueError:
        return None
    return host.lower().rstrip(".") if host else None


def _path(url: str) -> str:
    try:
        return _split(url).path
    except ValueError:
        return ""


def _split(url: str) -> SplitResult:
    # A URL without a scheme ("thehill.com/a") is read as one whose host comes first.
    return urlsplit(url if _SCHEMED.match(url) else "//" + url)


_SCHEMED = regex.compile(r"(?:[A-Za-z][A-Za-z0-9+.\-]*:)?//")


def within(host: str, domains: Iterable[str]) -> bool:
    """Whether ``host`` is one of ``domains`` or a subdomain of one."""
    return any(host == d or host.endswith("." + d) for d in domains)
