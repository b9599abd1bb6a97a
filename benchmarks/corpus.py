"""A deterministic generator of large, news-like JSONL corpora for throughput runs.

Why synthetic: the real evaluation sets are small (3,143 articles, ~19 MB) and may not be
redistributed, so a speed run needs text we can make in any size, the same bytes every time
(same seed -> same file), on any machine. Every word, name and fragment here is made up; the
*rates* and *shapes* are modelled on ``../shared/data/news-abp-dev.jsonl.gz``: about 22% of
documents from thehill.com (person tooltips in ~90% of them, ~5 per document, ``ADVERTISEMENT``
lines in ~94%, update stamps in ~16%), a dozen outlets with their own furniture (BBC image
captions, NPR toggle captions, AP and Reuters credits, Washington Times footers, Fox app
prompts, Washington Post ``AD`` slots, ...), and a long tail of made-up outlets where most
documents are clean and a few carry generic residue (ad markers, newsletter and share prompts,
embedded tweets, a repeated headline). Bodies are paragraphs separated by blank lines, median
~19 paragraphs of ~210 characters, ~6 KB per document, with the prose vocabulary that makes
prefilter literals ("More", "Update", "Share", "Read", "Twitter", "Photo", "AP") occur in clean
text too, so the prefilter is exercised as on real text.

``--from PATH`` resamples an existing JSONL(.gz) corpus instead (seeded, with replacement; ids
get a ``-N`` suffix so they stay unique), e.g. to run the harness on the real articles blown up
to 100 MB on a machine that has them.

``python -m benchmarks.corpus --size 100MB --seed 0 -o corpus.jsonl``
``python -m benchmarks.corpus --stats corpus.jsonl``   (per-rule hit rates, for calibration)
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import string
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Any

import regex

MB = 1_000_000
#: Part of cached corpus names: bump it when a change to this file changes the bytes written.
GENERATOR_VERSION = 1
_SIZE = regex.compile(r"(?i)^\s*(\d+(?:\.\d+)?)\s*(b|kb|k|mb|m|gb|g)?\s*$")
_UNITS = {"b": 1, "k": 1000, "kb": 1000, "m": MB, "mb": MB, "g": 1000 * MB, "gb": 1000 * MB}


def parse_size(text: str) -> int:
    """``"100MB"`` -> 100_000_000 (decimal units: sizes and MB/s figures use 10**6 bytes)."""
    m = _SIZE.match(text)
    if not m:
        raise ValueError(f"size must look like 10MB, 1.5GB or 500kB, got {text!r}")
    return int(float(m.group(1)) * _UNITS[(m.group(2) or "b").lower()])


def _split(text: str) -> list[str]:
    """Word lists are kept as plain text: easier to read and extend than list literals."""
    return text.split()


# -- vocabulary (made up for this file; ordered roughly by frequency, Zipf-weighted) ------------

_WORDS = _split("""
the of to and a in that said for on is was with he it as at by his be from have has are
an they not who but this had will were been would their its about more after one we or
also than new which two last year people when she her over up there could other all what
state government officials told into first some house percent because out like can while
years time former only most many before president week since any those just no including
three against now federal under our public report where during so even if back city law
officials plan told according than later policy both support group between members told
make country million city county school court police health care workers money vote bill
campaign party office election states national data news security local business program
order lawmakers agency department committee senator leader administration members board
decision deal meeting case effort issue question statement interview spokesman spokeswoman
month months day days night morning evening today monday tuesday wednesday thursday friday
saturday sunday january february march april may june july august september october november
december share read watch update updated photo video image twitter facebook email print post
online social media reporters press conference analysis review study survey poll voters
economy market prices jobs trade tax taxes budget spending funding plan plans rules rule
water energy climate oil gas power weather storm fire flood roads transit housing rent
students teachers parents children families women men residents patients doctors nurses
companies company industry firm firms bank banks investors shares stock costs growth
said says say saying asked added noted called expected announced released reported found
showed wrote warned argued agreed declined refused approved rejected signed passed voted
made took gave left came went put kept held brought built opened closed moved turned raised
cut set ran met led won lost paid sent began ended helped tried wanted needed seemed looked
high low long short large small big little early late major key top recent current past
next final full open free clear strong local regional national foreign military political
economic legal social public private senior junior chief general special official daily
very still already however often again never always almost nearly about around much well
only just really quite perhaps likely soon ago once twice ahead across through toward
without within among behind beyond despite whether though although unless until because
more most less least better best worse worst many few several other another each every
""")

_FIRST = _split("""Alma Bram Cato Dela Elio Fenna Gideon Hale Ines Joren Kasia Lionel Mira Nolan Odile
Petra Quill Rosa Soren Talia Ulric Vera Wendell Xenia Yusuf Zora Anders Beatrix Corwin Daria
Emrys Flora Gareth Helena Ivo Juno Kellan Lorna Magnus Nadia Orrin Priya Rhett Selma Tobias
Una Viggo Willa Ambrose Celeste Dorian Esme Fabian Greta Hollis Isolde Jasper Keira Leander
Marisol Niall Ophelia Percival Rowena Silas Thea Valentin Winona""")

_LAST = _split("""Ashdown Brackett Calloway Dunmore Everly Fairbourne Garrow Holloway Ingram Jessup
Kettering Lindqvist Marlowe Northcott Oakhurst Pemberton Quarles Ravensworth Stirling
Thackeray Underhill Vandermeer Whitlock Yardley Zeller Abernathy Blackwood Castellan
Delacroix Ellsworth Fenwick Grantham Harrowgate Iverson Jardine Kingsley Langford Merriweather
Nettleton Ormsby Pryce Radcliffe Sutherland Tennant Upton Vickery Wadsworth Alcott Bellamy
Crowther Dalgleish Eastwood Farrington Galloway Hartwell Ironside Kenward Lockridge Mansfield
Penhallow Rutherford Sedgwick Treadwell Winterbourne""")

_PLACES = [
    "Ashford",
    "Brookvale",
    "Cedar Falls",
    "Dunmere",
    "Eastport",
    "Fairhaven",
    "Glenrock",
    "Harbor City",
    "Ironbridge",
    "Juniper Bay",
    "Kestrel Point",
    "Lakemont",
    "Millbrook",
    "Northgate",
    "Oakridge",
    "Riverton",
    "Stonehill",
    "Westmoor",
]

_ORGS = [
    "the Senate",
    "the House",
    "the White House",
    "the Pentagon",
    "the State Department",
    "the Justice Department",
    "the Supreme Court",
    "the Federal Reserve",
    "the city council",
    "the school board",
    "the transit authority",
    "the water district",
    "the state legislature",
    "the county commission",
]

_ROLES = ["Sen.", "Rep.", "Gov.", "Mayor", "Secretary", "President", "Speaker", "Attorney General"]
_PARTIES = ["R", "D", "I"]
_STATES = ["Ky.", "Calif.", "Texas", "N.Y.", "Ohio", "Fla.", "Ariz.", "Mich.", "Ore.", "N.J."]
_AGENCIES = ["AP", "Reuters", "AFP", "Getty Images", "EPA", "Bloomberg", "Pool", "Shutterstock"]
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_WEIGHTS = list(accumulate(1.0 / (rank + 2.7) for rank in range(len(_WORDS))))


# -- the text generator -------------------------------------------------------------------------


class Prose:
    """Sentences, paragraphs and headlines from a seeded RNG.

    A pool of sentences is drawn once per generator and documents sample from it: drawing
    every word anew would make a 1 GB corpus take longer to write than to clean, and regex cost
    does not depend on whether a sentence occurs once or thirty times.
    """

    POOL = 30_000

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.pool = [self._sentence() for _ in range(self.POOL)]

    def name(self) -> str:
        return f"{self.rng.choice(_FIRST)} {self.rng.choice(_LAST)}"

    def _sentence(self) -> str:
        rng = self.rng
        words = rng.choices(_WORDS, cum_weights=_WEIGHTS, k=rng.randint(7, 30))
        for _ in range(rng.choices((0, 1, 2), (4, 4, 2))[0]):
            entity = rng.choice(
                (
                    self.name(),
                    rng.choice(_ORGS),
                    rng.choice(_PLACES),
                    f"{rng.choice(_ROLES)} {self.name()}",
                    str(rng.randint(2, 990)),
                    f"{rng.randint(1, 99)} percent",
                    f"${rng.randint(1, 900)} million",
                )
            )
            words.insert(rng.randrange(len(words) + 1), entity)
        if rng.random() < 0.45:
            words[rng.randrange(1, len(words))] += ","
        text = " ".join(words)
        text = text[0].upper() + text[1:]
        r = rng.random()
        if r < 0.12:
            return f"“{text},” {self.name()} said."
        if r < 0.17:
            return text + "?"
        if r < 0.20:
            return f"{text} ({rng.choice(_ORGS).removeprefix('the ').title()})."
        return text + "."

    def sentence(self) -> str:
        return self.rng.choice(self.pool)

    def paragraph(self) -> str:
        return " ".join(self.rng.choice(self.pool) for _ in range(self.rng.choice((1, 2, 2, 2, 3))))

    def headline(self, words: tuple[int, int] = (5, 11)) -> str:
        rng = self.rng
        picked = rng.choices(_WORDS, cum_weights=_WEIGHTS, k=rng.randint(*words))
        if rng.random() < 0.5:
            picked.insert(rng.randrange(len(picked) + 1), rng.choice(_LAST))
        text = " ".join(picked)
        return text[0].upper() + text[1:]

    def title(self) -> str:
        return " ".join(w.capitalize() for w in self.headline((6, 12)).split())

    def clock(self) -> str:
        return f"{self.rng.randint(1, 12)}:{self.rng.randint(0, 59):02d} {self.rng.choice(('a.m.', 'p.m.'))}"

    def date(self) -> str:
        return (
            f"{self.rng.choice(_MONTHS)} {self.rng.randint(1, 28)}, {self.rng.randint(2012, 2020)}"
        )

    def token(self, n: int) -> str:
        return "".join(self.rng.choices(string.ascii_letters + string.digits, k=n))


# -- artifacts: each returns (where, text); where is "top", "bottom", "line" or "inline" --------

Artifact = Callable[[Prose], tuple[str, str]]


def hill_tooltip(p: Prose) -> tuple[str, str]:
    """A name followed by the hidden person card (full name + headlines) ending in MORE."""
    rng = p.rng
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    heads = [p.headline() for _ in range(rng.choice((1, 2, 3, 3)))]
    run = rng.choice((" ", " | ")).join(heads)
    middle = f"{rng.choice(_FIRST)} " if rng.random() < 0.5 else ""
    shape = rng.random()
    if shape < 0.55:  # glued: "Alma PryceAlma PryceHeadline ... MORE"
        card = f"{first} {last}{first} {last}{run} MORE"
    elif shape < 0.9:  # spaced: "Alma Pryce Alma Bram PryceHeadline ... MORE"
        card = f"{first} {last} {first} {middle}{last}{run} MORE"
    else:  # glued, with the card ending straight in MORE
        card = f"{first} {last}{first} {last}{run}MORE"
    role = rng.choice(_ROLES)
    tail = rng.choice(
        (
            f" ({rng.choice(_PARTIES)}-{rng.choice(_STATES)})",
            "’s",
            ",",
            " on " + rng.choice(_WEEKDAYS),
            "",
            "",
        )
    )
    rest = p.sentence()
    return "inline", f"{role} {card}{tail} {rest[0].lower()}{rest[1:]}"


def _fixed(where: str, *texts: str) -> Artifact:
    return lambda p: (where, p.rng.choice(texts))


def update_stamp(p: Prose) -> tuple[str, str]:
    return p.rng.choice(("top", "bottom")), p.rng.choice(
        (f"-Updated {p.clock()}", f"Updated at {p.clock()} ET", f"Updated {p.clock()}")
    )


def tweet_embed(p: Prose) -> tuple[str, str]:
    name = p.name()
    handle = name.replace(" ", "")[: p.rng.randint(6, 14)]
    return "line", f"{p.sentence()} pic.twitter.com/{p.token(10)} — {name} (@{handle}) {p.date()}"


def hill_column_tagline(p: Prose) -> tuple[str, str]:
    return (
        "bottom",
        f"The Memo is a reported column by {p.name()}, primarily focused on {p.headline((2, 4)).lower()}.",
    )


def ap_caption(p: Prose) -> tuple[str, str]:
    return "top", f"{p.sentence()[:-1]}, {p.date()}. (AP Photo/{p.name()})"


def ap_fact_check(p: Prose) -> tuple[str, str]:
    return "bottom", f"Find AP Fact Checks at http://apne.ws/{p.token(7)}"


def usat_photo(p: Prose) -> tuple[str, str]:
    return "inline", f"{p.sentence()} (Photo: {p.name()}, {p.rng.choice(_AGENCIES)})"


def usat_share(p: Prose) -> tuple[str, str]:
    return "bottom", f"Read or Share this story: https://usat.ly/{p.token(7)}"


def bbc_caption(p: Prose) -> tuple[str, str]:
    return "line", f"Image copyright {p.rng.choice(_AGENCIES)} Image caption {p.headline()}"


def npr_caption(p: Prose) -> tuple[str, str]:
    credit = f"{p.name()}/{p.rng.choice(_AGENCIES)}"
    return "top", f"Enlarge this image toggle caption {credit} {credit}"


def reuters_caption(p: Prose) -> tuple[str, str]:
    return "line", f"{p.sentence()[:-1]}, {p.date()}. REUTERS/{p.name()}"


def guardian_caption(p: Prose) -> tuple[str, str]:
    return "line", f"{p.sentence()} Photograph: {p.name()}/{p.rng.choice(_AGENCIES)}"


def credit_line(p: Prose) -> tuple[str, str]:
    return "line", f"{p.name()}/{p.rng.choice(_AGENCIES)}"


def wt_footer(p: Prose) -> tuple[str, str]:
    return (
        "bottom",
        f"Copyright © {p.rng.randint(2012, 2020)} The Washington Times, LLC. Click here for reprint permission.",
    )


def nr_lead_caption(p: Prose) -> tuple[str, str]:
    return "top", f"{p.sentence()[:-1]}. (Photo: {p.name()}/{p.rng.choice(_AGENCIES)})"


def read_more_link(p: Prose) -> tuple[str, str]:
    return "line", f"{p.rng.choice(('READ MORE', 'Read more', 'RELATED'))}: {p.title()}"


def related_inline(p: Prose) -> tuple[str, str]:
    return "inline", f"{p.sentence()} (RELATED: {p.title()})"


def follow_prompt(p: Prose) -> tuple[str, str]:
    return "bottom", f"Follow {p.name()} on Twitter"


def newsletter(p: Prose) -> tuple[str, str]:
    return "line", p.rng.choice(
        (
            "Sign up for our newsletter to get the day's top stories in your inbox.",
            "Get our free morning newsletter delivered to your inbox.",
            "Subscribe to the daily newsletter for the latest news from the region.",
        )
    )


def photo_paren(p: Prose) -> tuple[str, str]:
    return "inline", f"{p.sentence()} (Photo by {p.name()}/Getty Images)"


@dataclass(frozen=True)
class Outlet:
    """A site: how often it appears and the residue its scrapes carry.

    ``artifacts`` are (maker, share of documents that have it, mean count when present).
    """

    domains: tuple[str, ...]
    source: str
    weight: float
    artifacts: tuple[tuple[Artifact, float, float], ...] = ()
    repeated_title: float = 0.01


_ADVERT = _fixed("line", "ADVERTISEMENT")
OUTLETS: tuple[Outlet, ...] = (
    Outlet(
        ("thehill.com",),
        "The Hill",
        22.0,
        (
            (hill_tooltip, 0.89, 5.5),
            (_ADVERT, 0.94, 1.4),
            (update_stamp, 0.16, 1.0),
            (tweet_embed, 0.08, 1.6),
            (hill_column_tagline, 0.05, 1.0),
        ),
    ),
    Outlet(
        ("foxnews.com",),
        "Fox News",
        3.6,
        (
            (_fixed("line", "CLICK HERE TO GET THE FOX NEWS APP"), 0.27, 1.5),
            (_fixed("line", "[pullquote]"), 0.06, 1.0),
            (newsletter, 0.08, 1.0),
        ),
    ),
    Outlet(
        ("nationalreview.com",),
        "National Review",
        3.0,
        (
            (_ADVERT, 0.98, 6.0),
            (nr_lead_caption, 0.6, 1.0),
            (
                _fixed("bottom", "Copyright 2019 The Associated Press. All rights reserved."),
                0.28,
                1,
            ),
        ),
    ),
    Outlet(
        ("nytimes.com",),
        "New York Times",
        2.5,
        ((_fixed("line", "Advertisement Continue reading the main story"), 0.05, 1.5),),
    ),
    Outlet(
        ("cnn.com",),
        "CNN",
        2.0,
        ((_fixed("bottom", "Follow CNN Opinion Join us on Twitter and Facebook"), 0.12, 1),),
    ),
    Outlet(
        ("usatoday.com",),
        "USA Today",
        1.0,
        ((usat_share, 0.4, 1.0), (usat_photo, 0.33, 1.0), (_fixed("top", "CLOSE"), 0.15, 1)),
    ),
    Outlet(
        ("washingtontimes.com",),
        "Washington Times",
        1.0,
        (
            (wt_footer, 0.97, 1.0),
            (_fixed("bottom", "Sign up for Daily Newsletters Manage Newsletters"), 0.97, 1),
        ),
    ),
    Outlet(
        ("nbcnews.com",),
        "NBC News",
        0.9,
        (
            (
                _fixed("line", "Let our news meet your inbox. The news and stories that matter."),
                0.75,
                1.5,
            ),
        ),
    ),
    Outlet(("npr.org",), "NPR", 0.9, ((npr_caption, 0.95, 1.2),)),
    Outlet(("reuters.com",), "Reuters", 0.7, ((reuters_caption, 0.87, 1.0),)),
    Outlet(("apnews.com",), "AP", 0.8, ((ap_caption, 0.96, 1.0), (ap_fact_check, 0.5, 1.0))),
    Outlet(("bbc.com", "bbc.co.uk"), "BBC", 0.7, ((bbc_caption, 1.0, 3.0),)),
    Outlet(("washingtonpost.com",), "Washington Post", 0.6, ((_fixed("line", "AD"), 0.9, 8.0),)),
    Outlet(("theguardian.com",), "The Guardian", 0.5, ((guardian_caption, 0.3, 1.0),)),
)
_GENERIC: tuple[tuple[Artifact, float, float], ...] = (
    (
        _fixed("line", "Advertisement", "ADVERTISEMENT", "Story continues below advertisement"),
        0.08,
        2.5,
    ),
    (tweet_embed, 0.06, 2.5),
    (newsletter, 0.03, 1.0),
    (photo_paren, 0.02, 1.4),
    (read_more_link, 0.02, 1.3),
    (credit_line, 0.015, 1.2),
    (_fixed("line", "Share on Facebook Share on Twitter Email"), 0.015, 1.0),
    (follow_prompt, 0.015, 1.1),
    (related_inline, 0.006, 1.3),
)
_TAIL_WORDS = _split(
    "ledger courier herald sentinel tribune gazette dispatch chronicle observer beacon"
)
_TAIL_KINDS = _split("daily weekly metro valley capital coast prairie harbor summit union")
TAIL_OUTLETS = tuple(
    Outlet((f"{a}{b}.com",), f"The {a.title()} {b.title()}", 60.0 / 100, _GENERIC, 0.015)
    for a in _TAIL_KINDS
    for b in _TAIL_WORDS
)
ALL_OUTLETS = OUTLETS + TAIL_OUTLETS
_OUTLET_WEIGHTS = list(accumulate(o.weight for o in ALL_OUTLETS))


def _count(rng: random.Random, mean: float) -> int:
    """At least one; geometric-ish around ``mean`` so some documents carry many."""
    n = 1
    while n < 40 and rng.random() < 1 - 1 / mean:
        n += 1
    return n


def documents(seed: int = 0) -> Iterator[dict[str, Any]]:
    """An endless, deterministic stream of news-like records (id, source, url, title, date, text)."""
    rng = random.Random(seed)
    prose = Prose(rng)
    n = 0
    while True:
        n += 1
        outlet = rng.choices(ALL_OUTLETS, cum_weights=_OUTLET_WEIGHTS)[0]
        title = prose.title()
        paragraphs = [prose.paragraph() for _ in range(max(2, int(rng.lognormvariate(3.1, 0.55))))]
        top: list[str] = []
        bottom: list[str] = []
        for make, share, mean in outlet.artifacts:
            if rng.random() >= share:
                continue
            for _ in range(_count(rng, mean)):
                where, text = make(prose)
                if where == "top":
                    top.append(text)
                elif where == "bottom":
                    bottom.append(text)
                elif where == "line":
                    paragraphs.insert(rng.randrange(1, len(paragraphs) + 1), text)
                else:
                    i = rng.randrange(len(paragraphs))
                    paragraphs[i] = f"{paragraphs[i]} {text}"
        if rng.random() < outlet.repeated_title:
            top.insert(0, title)
        body = "\n\n".join(top + paragraphs + bottom)
        domain = rng.choice(outlet.domains)
        slug = "-".join(title.lower().split()[:6])
        yield {
            "id": f"syn{seed}-{n:08d}",
            "source": outlet.source,
            "url": f"https://www.{domain}/{rng.choice(('news', 'politics', 'world', 'opinion'))}/{slug}-{n}",
            "title": title,
            "date": f"{rng.randint(2012, 2020)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "text": body,
        }


def resampled(source: Path, seed: int = 0) -> Iterator[dict[str, Any]]:
    """An endless, deterministic resampling (with replacement) of an existing JSONL corpus."""
    opener = gzip.open if source.name.endswith(".gz") else open
    with opener(source, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    if not rows:
        raise ValueError(f"{source}: no records to resample")
    rng = random.Random(seed)
    n = 0
    while True:
        n += 1
        row = dict(rng.choice(rows))
        if "id" in row:
            row["id"] = f"{row['id']}-{n}"
        yield row


def write_corpus(
    path: Path, size: int, seed: int = 0, source: Path | None = None
) -> tuple[int, int]:
    """Write records until ``size`` bytes are reached; returns (records, bytes).

    Streams in chunks, so a 1 GB corpus never sits in memory. A smaller corpus with the same
    seed is a prefix of a larger one.
    """
    stream = resampled(source, seed) if source else documents(seed)
    written = records = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "wb") as out:
        chunk: list[bytes] = []
        for record in stream:
            line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
            chunk.append(line)
            written += len(line)
            records += 1
            if len(chunk) >= 2000 or written >= size:
                out.write(b"".join(chunk))
                chunk = []
            if written >= size:
                break
    tmp.replace(path)
    return records, written


def cached_corpus(directory: Path, size: int, seed: int = 0, source: Path | None = None) -> Path:
    """The corpus file for these parameters, generated once and reused by later runs."""
    tag = f"from-{source.name.split('.')[0]}" if source else "news"
    path = directory / f"{tag}-v{GENERATOR_VERSION}-{size // MB}MB-s{seed}.jsonl"
    if not path.exists():
        write_corpus(path, size, seed, source)
    return path


def corpus_stats(path: Path, limit: int | None = None) -> dict[str, Any]:
    """Per-rule share of documents hit and of characters removed, for comparing corpora."""
    from cleaner import Cleaner, Document

    cleaner = Cleaner.load()
    docs = chars = removed = changed = 0
    hit_docs: Counter[str] = Counter()
    spans: Counter[str] = Counter()
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if limit is not None and docs >= limit:
                break
            row = json.loads(line)
            result = cleaner.clean_document(Document(row["text"], row.get("url"), row.get("title")))
            docs += 1
            chars += len(row["text"])
            removed += result.removed_chars()
            changed += bool(result.spans)
            spans.update(s.rule_id for s in result.spans)
            hit_docs.update({s.rule_id for s in result.spans})
    return {
        "documents": docs,
        "mean_chars": round(chars / max(docs, 1)),
        "share_changed": round(changed / max(docs, 1), 4),
        "share_chars_removed": round(removed / max(chars, 1), 4),
        "rules": {
            rule: {
                "docs_per_1000": round(1000 * hit_docs[rule] / docs, 1),
                "spans_per_1000": round(1000 * n / docs, 1),
            }
            for rule, n in spans.most_common()
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", type=Path, help="where to write the corpus (.jsonl)")
    parser.add_argument("--size", default="100MB", help="target size, e.g. 10MB, 1GB")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--from", dest="source", type=Path, help="resample this JSONL(.gz) file")
    parser.add_argument("--stats", type=Path, help="print per-rule hit rates of a corpus")
    parser.add_argument("--limit", type=int, help="with --stats: only the first N records")
    args = parser.parse_args(argv)
    if args.stats:
        print(json.dumps(corpus_stats(args.stats, args.limit), indent=2))
        return 0
    if args.output is None:
        parser.error("-o/--output is required (or --stats FILE)")
    if args.source is not None and not args.source.exists():
        print(f"{args.source}: not found; nothing to resample", file=sys.stderr)
        return 2
    records, written = write_corpus(args.output, parse_size(args.size), args.seed, args.source)
    print(f"{args.output}: {records} records, {written / MB:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
