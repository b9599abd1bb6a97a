"""The Scrapy item pipeline: a real crawl of a local site, and the pipeline on its own."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("scrapy")
pytest.importorskip("itemadapter")

import scrapy
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from cleaner import Cleaner
from cleaner.integrations.scrapy import CleanerPipeline

SPONSOR_PACK = """
[pack]
id = "local"
[[rule]]
id = "sponsor"
kind = "line"
pattern = 'Sponsored by [A-Z][a-z]+\\.'
requires = ["Sponsored by"]
examples = [{ raw = "Body.\\nSponsored by Acme.\\nMore.", clean = "Body.\\nMore." }]
keep = ["The race was sponsored by Acme."]
"""

TOOLTIP = (
    'The news comes as Mayor <a href="/p/jane">Jane Doe</a><span class="rollover">Jane Doe'
    '<a href="/h/1">Council votes on budget</a> <a href="/h/2">Storm closes schools</a> MORE'
    "</span> and the city council meet on Friday."
)

BRIDGE = [
    "Harbour bridge reopens after a year of repairs",
    "© Getty Images",
    TOOLTIP,
    "ADVERTISEMENT",
    "-Updated 7:32 p.m.",
]

# path -> (canonical url or None, headline, paragraphs as HTML); "item" in the path: a
# scrapy.Item. A page without a canonical link is known by the URL it was fetched from.
ARTICLES: dict[str, tuple[str | None, str, list[str]]] = {
    "/news/bridge.html": (
        "https://thehill.com/homenews/state-watch/bridge",
        "Harbour bridge reopens after a year of repairs",
        BRIDGE,
    ),
    # The same article on a local mirror: only its text says it is The Hill's.
    "/mirror/bridge.html": (None, "Harbour bridge reopens after a year of repairs", BRIDGE),
    "/item/lakes.html": (
        "https://www.example-globe.ca/science/lakes",
        "Lake study finds chemical near farms",
        [
            "Researchers collected water samples from 40 lakes across the province.",
            "Advertisement",
            "They found the highest levels in lakes near farms and golf courses.",
            "Sponsored by Acme.",
            "The study was published in a peer-reviewed journal on Monday.",
        ],
    ),
    "/news/vote.html": (
        "https://www.example-gazette.com/news/wage-vote",
        "Voters approve minimum wage increase",
        [
            "A voter fills out a ballot on Tuesday, in Springfield. (AP Photo/Jo Example)",
            "Voters in the state approved a measure on Tuesday that will raise the minimum wage.",
        ],
    ),
    "/item/library.html": (
        "https://www.example-news.com/library",
        "City opens new library branch",
        ["The city opened its newest library branch on Saturday, with a rooftop garden."],
    ),
}


def _page(canonical: str | None, headline: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return (
        f'<html><head><meta charset="utf-8">{link}'
        f"<title>{html.escape(headline)} | Site</title></head><body><h1>{html.escape(headline)}</h1>"
        f'<nav><a href="/">Home</a></nav><article>{body}</article></body></html>'
    )


def _index() -> str:
    links = "".join(f'<li><a class="article" href="{p}">{p}</a></li>' for p in ARTICLES)
    return f"<html><body><ul>{links}</ul></body></html>"


def plain(paragraph: str) -> str:
    """The text a spider gets from a paragraph's text nodes."""
    return html.unescape(re.sub(r"<[^>]+>", "", paragraph))


def raw_text(path: str) -> str:
    return "\n\n".join(plain(p) for p in ARTICLES[path][2])


class _Site(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/":
            body = _index()
        elif self.path in ARTICLES:
            body = _page(*ARTICLES[self.path])
        else:
            self.send_error(404)
            return
        data = body.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


CRAWL = """
import json
import sys

import scrapy
from scrapy.crawler import CrawlerProcess

start, feed, stats_path, pack = sys.argv[1:5]


class Article(scrapy.Item):
    url = scrapy.Field()
    title = scrapy.Field()
    text = scrapy.Field()
    page = scrapy.Field()


class Site(scrapy.Spider):
    name = "local-site"
    start_urls = [start]

    def parse(self, response):
        yield from response.follow_all(css="a.article", callback=self.parse_article)

    def parse_article(self, response):
        fields = {
            "url": response.css("link[rel=canonical]::attr(href)").get() or response.url,
            "title": response.css("h1::text").get(),
            "text": "\\n\\n".join(
                "".join(p.css("::text").getall()) for p in response.css("article p")
            ),
            "page": response.url,
        }
        yield Article(**fields) if "/item/" in response.url else fields


process = CrawlerProcess(
    {
        "ITEM_PIPELINES": {"cleaner.integrations.scrapy.CleanerPipeline": 300},
        "CLEANER_RULES": [pack],
        "CLEANER_DISABLE": ["generic.update-stamp"],
        "FEEDS": {feed: {"format": "jsonlines", "encoding": "utf8"}},
        "LOG_LEVEL": "INFO",
        "TELNETCONSOLE_ENABLED": False,
        "COOKIES_ENABLED": False,
        "HTTPPROXY_ENABLED": False,
        "ROBOTSTXT_OBEY": False,
        "DOWNLOAD_TIMEOUT": 10,
    }
)
crawler = process.create_crawler(Site)
process.crawl(crawler)
process.start()
with open(stats_path, "w", encoding="utf-8") as f:
    json.dump(crawler.stats.get_stats(), f, default=str)
"""


def _offline_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


def test_a_real_crawl_cleans_items_and_records_stats(site: str, tmp_path: Path) -> None:
    pack = tmp_path / "local.toml"
    pack.write_text(SPONSOR_PACK, encoding="utf-8")
    script = tmp_path / "crawl.py"
    script.write_text(CRAWL, encoding="utf-8")
    feed, stats_path = tmp_path / "items.jsonl", tmp_path / "stats.json"

    run = subprocess.run(
        [sys.executable, str(script), site, str(feed), str(stats_path), str(pack)],
        cwd=tmp_path,
        env=_offline_env(),
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert run.returncode == 0, run.stderr[-3000:]

    items = {
        item["page"].removeprefix(site.rstrip("/")): item
        for item in map(json.loads, feed.read_text(encoding="utf-8").splitlines())
    }
    assert set(items) == set(ARTICLES)
    reference = Cleaner.load([pack], disable=["generic.update-stamp"])
    for path, (canonical, headline, _) in ARTICLES.items():
        url = canonical or site.rstrip("/") + path
        assert items[path]["url"] == url
        expected = reference.clean(raw_text(path), url=url, title=headline)
        assert items[path]["text"] == expected, path

    bridge = items["/news/bridge.html"]["text"]
    assert bridge == (
        "Harbour bridge reopens after a year of repairs\n\n"
        "The news comes as Mayor Jane Doe and the city council meet on Friday.\n\n"
        "-Updated 7:32 p.m."  # generic.update-stamp is disabled
    )
    # Served from 127.0.0.1, the copy is recognised by its tooltip card and cleaned the same.
    assert items["/mirror/bridge.html"]["text"] == bridge
    lakes = items["/item/lakes.html"]["text"]
    assert "Advertisement" not in lakes and "Sponsored by" not in lakes
    assert "(AP Photo" not in items["/news/vote.html"]["text"]
    assert items["/item/library.html"]["text"] == raw_text("/item/library.html")

    stats = json.loads(stats_path.read_text(encoding="utf-8"))
    assert stats["item_scraped_count"] == 5
    assert stats["cleaner/documents_read"] == 5
    assert stats["cleaner/documents_changed"] == 4
    assert stats["cleaner/documents_unchanged"] == 1
    assert stats["cleaner/chars_removed"] > 0
    assert stats["cleaner/rule/thehill.person-tooltip"] == 2
    assert stats["cleaner/rule/local.sponsor"] == 1
    assert "cleaner/rule/generic.update-stamp" not in stats
    assert "cleaner: 5 documents: 4 changed, 1 unchanged" in run.stderr


# -- the pipeline in process (no reactor) -------------------------------------------------


class Article(scrapy.Item):
    body = scrapy.Field()
    link = scrapy.Field()


def _pipeline(**settings: Any) -> CleanerPipeline:
    crawler = get_crawler(settings_dict=settings)
    return CleanerPipeline.from_crawler(crawler)


def test_field_settings_and_item_objects() -> None:
    pipeline = _pipeline(CLEANER_TEXT_FIELD="body", CLEANER_URL_FIELD="link")
    first, second = "The council met on Monday night.", "It passed the budget at midnight."
    item = Article(body=f"{first}\n\nADVERTISEMENT\n\n{second}", link="https://example.com/a")
    assert pipeline.process_item(item) is item
    assert item["body"] == f"{first}\n\n{second}"
    assert pipeline.report.documents_changed == 1


def test_items_without_text_pass_through_and_are_counted() -> None:
    pipeline = _pipeline()
    items: list[dict[str, Any]] = [{"title": "no text"}, {"text": None}, {"text": ["a", "b"]}]
    for item in items:
        before = dict(item)
        assert pipeline.process_item(item) == before
    assert pipeline.items_without_text == 3
    assert pipeline.report.documents_read == 0
    pipeline.close_spider()
    assert pipeline.stats is not None
    assert pipeline.stats.get_value("cleaner/items_without_text") == 3
    assert pipeline.stats.get_value("cleaner/documents_read") == 0


def test_a_misnamed_text_field_is_warned_of_once_and_counted(caplog: Any) -> None:
    pipeline = _pipeline(CLEANER_TEXT_FIELD="body")
    with caplog.at_level("WARNING", logger="cleaner.integrations.scrapy"):
        for n in range(3):
            pipeline.process_item({"text": f"Story {n}.", "url": "https://example.com/"})
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1
    assert "no field 'body'" in warnings[0] and "CLEANER_TEXT_FIELD" in warnings[0]
    assert "fields: text, url" in warnings[0]
    assert pipeline.stats is not None
    assert pipeline.stats.get_value("cleaner/items_missing_text_field") == 3
    assert pipeline.stats.get_value("cleaner/items_without_text") == 3


def test_disabled_pipeline_is_not_configured() -> None:
    with pytest.raises(NotConfigured):
        _pipeline(CLEANER_ENABLED=False)


def test_bad_max_removal_fails_at_startup() -> None:
    with pytest.raises(ValueError, match="max_removal"):
        _pipeline(CLEANER_MAX_REMOVAL=0)
