"""A Scrapy item pipeline that cleans each item's text in place.

Enable it in the project settings::

    ITEM_PIPELINES = {"cleaner.integrations.scrapy.CleanerPipeline": 800}

Settings (all optional):

- ``CLEANER_ENABLED`` (True): False leaves the pipeline out;
- ``CLEANER_TEXT_FIELD`` ("text"), ``CLEANER_URL_FIELD`` ("url"), ``CLEANER_TITLE_FIELD``
  ("title"): the item fields read (URL and title let site rules and the repeated-title rule work);
- ``CLEANER_RULES`` ([]): extra rule pack files or directories;
- ``CLEANER_DEFAULT_RULES`` (True): False uses only ``CLEANER_RULES``;
- ``CLEANER_DISABLE`` ([]): pack ids or qualified rule ids to leave out;
- ``CLEANER_MAX_REMOVAL`` (0.5): the over-removal guard's share;
- ``CLEANER_TIMEOUT`` (1.0): seconds a rule's regex may run per document and megabyte;
- ``CLEANER_DOMAIN_ALIASES`` ({}): hosts mapped to the host whose packs they get, e.g.
  ``{"mirror.example": "thehill.com"}`` for a crawl of a mirror.

Dict items and ``scrapy.Item`` objects (anything ``itemadapter`` knows) work. An item whose text
field is missing or not a string passes through untouched and is counted in the
``cleaner/items_without_text`` stat (those without the field at all also in
``cleaner/items_missing_text_field``, with a warning logged once per crawl). When the spider
closes, the summary is logged and the counts go into the crawler stats: ``cleaner/documents_read``, ``cleaner/documents_changed``,
``cleaner/documents_unchanged``, ``cleaner/chars_removed``, and per rule ``cleaner/rule/<id>``
(edits), ``cleaner/held_back/<id>`` and ``cleaner/timed_out/<id>``. The full ``Report`` is
``pipeline.report``.

Cleaning runs in the reactor thread: it is fast (milliseconds for an article), but a spider
scraping very large texts may prefer to clean them offline with ``cleaner clean``.
"""

from __future__ import annotations

import logging
from typing import Any

try:
    from itemadapter import ItemAdapter
    from scrapy.crawler import Crawler
    from scrapy.exceptions import NotConfigured
    from scrapy.statscollectors import StatsCollector
except ImportError as e:  # pragma: no cover - exercised by the import-guard test
    from cleaner.integrations import missing_dependency

    raise missing_dependency("scrapy", "scrapy", e) from e

from cleaner.engine import DEFAULT_MAX_REMOVAL, DEFAULT_TIMEOUT, Cleaner
from cleaner.integrations import clean_rows, resolve_cleaner
from cleaner.pipeline import Rows, SupportsClean
from cleaner.report import Report
from cleaner.types import DEFAULT_FIELDS, Fields

__all__ = ["CleanerPipeline"]

logger = logging.getLogger(__name__)


class CleanerPipeline:
    """Cleans ``item[fields.text]`` with ``cleaner`` (the default packs when None)."""

    def __init__(
        self,
        cleaner: SupportsClean | None = None,
        *,
        fields: Fields = DEFAULT_FIELDS,
        stats: StatsCollector | None = None,
        source: str = "scrapy",
    ) -> None:
        self.cleaner = resolve_cleaner(cleaner)
        self.fields = fields
        self.stats = stats
        self.source = source
        self.report = Report()
        self.items_without_text = 0
        self.warned_missing_field = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CleanerPipeline:
        settings = crawler.settings
        if not settings.getbool("CLEANER_ENABLED", True):
            raise NotConfigured("CLEANER_ENABLED is false")
        cleaner = Cleaner.load(
            settings.getlist("CLEANER_RULES"),
            default_rules=settings.getbool("CLEANER_DEFAULT_RULES", True),
            disable=settings.getlist("CLEANER_DISABLE"),
            max_removal=settings.getfloat("CLEANER_MAX_REMOVAL", DEFAULT_MAX_REMOVAL),
            timeout=settings.getfloat("CLEANER_TIMEOUT", DEFAULT_TIMEOUT),
            domain_aliases=settings.getdict("CLEANER_DOMAIN_ALIASES"),
        )
        spider = getattr(crawler, "spider", None)
        fields = Fields(
            text=settings.get("CLEANER_TEXT_FIELD", "text"),
            url=settings.get("CLEANER_URL_FIELD", "url"),
            title=settings.get("CLEANER_TITLE_FIELD", "title"),
        )
        return cls(
            cleaner,
            fields=fields,
            stats=crawler.stats,
            source=getattr(spider, "name", None) or "scrapy",
        )

    def process_item(self, item: Any, spider: Any = None) -> Any:
        adapter = ItemAdapter(item)
        [outcome], report = clean_rows(Rows([adapter], self.source), self.cleaner, self.fields)
        if outcome.result is None:
            self.items_without_text += 1
            if self.stats is not None:
                self.stats.inc_value("cleaner/items_without_text")
            missing = self.fields.text not in adapter
            if missing and not self.warned_missing_field:
                # Once per crawl: a misnamed CLEANER_TEXT_FIELD would otherwise clean nothing
                # without a word.
                self.warned_missing_field = True
                logger.warning(
                    "cleaner: an item has no field %r, so it was not cleaned; set "
                    "CLEANER_TEXT_FIELD to the field that holds the text (fields: %s)",
                    self.fields.text,
                    ", ".join(sorted(map(str, adapter.keys()))) or "none",
                )
            if missing and self.stats is not None:
                self.stats.inc_value("cleaner/items_missing_text_field")
            return item
        if outcome.changed:
            adapter[self.fields.text] = outcome.result.text
        self.report.merge(report)
        return item

    def close_spider(self, spider: Any = None) -> None:
        report = self.report
        logger.info("cleaner: %s", report)
        if self.stats is None:
            return
        for name, value in stats_values(report).items():
            self.stats.set_value(name, value)


def stats_values(report: Report) -> dict[str, int]:
    """The crawler stats for ``report`` (see the module docstring for the names)."""
    values = {
        "cleaner/documents_read": report.documents_read,
        "cleaner/documents_changed": report.documents_changed,
        "cleaner/documents_unchanged": report.documents_unchanged,
        "cleaner/chars_removed": report.chars_removed,
    }
    for rule_id, rule in sorted(report.rules.items()):
        if rule.spans:
            values[f"cleaner/rule/{rule_id}"] = rule.spans
        if rule.held_back:
            values[f"cleaner/held_back/{rule_id}"] = rule.held_back
        if rule.timeouts:
            values[f"cleaner/timed_out/{rule_id}"] = rule.timeouts
    return values
