"""How a run goes (``RunOptions``) and who hears of it (``Listeners``).

Where a record keeps its text, url, title and id is the other value a run takes:
``cleaner.types.Fields``. Options are checked when they are made, not at first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cleaner.io.codecs import NO_TXT_META, TxtMeta
from cleaner.io.readers import BLOCK_BYTES
from cleaner.pipeline.records import Listener, OnError, Progress, check_on_error
from cleaner.pipeline.workers import Pool, resolve_jobs


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How to run.

    - ``jobs``: 1 in process, N worker processes, 0 every CPU; ``pool`` reuses a
      ``WorkerPool`` across runs instead (``jobs`` is then the pool's);
    - ``on_error``: ``"fail"`` stops at the first bad record or broken file (InputError,
      nothing written for that file); ``"skip"`` sets bad records aside and counts them, and
      records a broken file as an error, writes nothing for it and goes on;
    - ``rejects``: one file collecting every rejected line verbatim (created only if something
      is rejected; its name sets the compression);
    - ``resume``: skip files whose output already exists complete;
    - ``check``: changed documents are findings (the report's return code is 1);
    - ``txt``: the url and title of a single .txt input, which carries none;
    - ``block_bytes``: about how many bytes of whole lines go to a worker at a time.
    """

    jobs: int = 1
    on_error: OnError = "fail"
    rejects: str | Path | None = None
    resume: bool = False
    check: bool = False
    txt: TxtMeta = NO_TXT_META
    block_bytes: int = BLOCK_BYTES
    pool: Pool | None = None

    def __post_init__(self) -> None:
        resolve_jobs(self.jobs)
        check_on_error(self.on_error)

    @property
    def workers(self) -> int:
        """How many worker processes the run uses (1: none, all in process)."""
        return self.pool.jobs if self.pool is not None else resolve_jobs(self.jobs)


@dataclass(frozen=True, slots=True)
class Listeners:
    """Who hears of a run as it goes.

    ``on_outcome`` is called in input order: with each changed or rejected outcome of a run
    over files (spans files, diffs, findings: ``outcome.document`` is the original), and with
    every row's outcome of a run over ``Rows``, whose caller writes them back.
    ``on_progress`` hears of the documents and bytes a run over files read since its last
    call.
    """

    on_outcome: Listener | None = None
    on_progress: Progress | None = None


DEFAULT_OPTIONS = RunOptions()
NO_LISTENERS = Listeners()
