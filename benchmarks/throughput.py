"""Throughput harness: how fast is cleaning, next to the I/O floor and a naive engine?

Why each number is here:

- **floor**: read every line, ``json.loads`` it, ``json.dumps`` it and write it (the stdlib
  ``json`` that ``cleaner.io`` uses), no cleaning: the speed no JSONL cleaner can beat here;
- **cli -j 1 / -j N**: the real ``cleaner clean IN -o OUT`` in a subprocess, what users get;
- **engine**: ``Cleaner.clean_document`` over the same records in one process (JSONL codec
  around it, no pipeline), to separate engine cost from pipeline cost;
- **the machine's ceiling** (with ``cli-jN``): a fixed pure-Python loop timed alone, then in
  N processes at once, as N × alone ÷ together: the most ``-j N`` can gain on this machine at
  this moment (shared virtual cores often give much less than N);
- **naive**: ``benchmarks.naive.NaiveCleaner`` (no prefilter, Python loops over lines, every
  phrase against every line): what the shortcuts buy. Its output must equal the cleaner's byte
  for byte, and the run fails if it does not.

Every stage runs as a child process on the same generated file, in one run, so wall time,
CPU time and memory are measured the same way for all (see ``measure``: the largest process's
peak RSS, and the peak of the whole process tree, workers included). MB are 10**6 bytes of
input. The first run generates the corpus into ``benchmarks/out/`` (git-ignored); later runs
reuse it. The packages are byte-compiled first, as pip does when it installs a wheel: a source
checkout run with ``PYTHONDONTWRITEBYTECODE`` would otherwise compile every module again in
every process, workers included, and time that instead.

    python -m benchmarks.throughput                       # 100 MB corpus, all stages
    python -m benchmarks.throughput --size 10MB --repeat 3 --json out.json
    python -m benchmarks.throughput --scaling [--big]     # 10 MB, 100 MB (, 1 GB): linear?
    python -m benchmarks.throughput --from ../shared/data/news-abp-dev.jsonl.gz
    python -m benchmarks.throughput --size 100MB --profile prof.html   # needs pyinstrument
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import json
import multiprocessing
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.corpus import MB, cached_corpus, parse_size

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "benchmarks" / "out"
STAGES = ("floor", "cli-j1", "cli-jN", "engine", "naive", "cli-j1-hostpacks", "cli-dask")
#: The rule-count case: this many host packs of this many rules each, added to the defaults.
HOST_PACKS, RULES_PER_PACK = 200, 20
_RSS_UNIT = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux


# -- the stages (each runs in its own child process) -------------------------------------------


#: Iterations of the ceiling's loop: about a second of one core here.
SPIN_LOOPS = 10_000_000


def _spin(loops: int) -> float:
    """Seconds this process takes for ``loops`` rounds of pure-Python arithmetic."""
    start = time.perf_counter()
    total = 0
    for i in range(loops):
        total += i * i
    return time.perf_counter() - start


def parallel_ceiling(jobs: int, loops: int = SPIN_LOOPS) -> float:
    """N × (the loop alone) ÷ (N copies at once in N processes, started and warm first)."""
    with multiprocessing.get_context("spawn").Pool(jobs) as pool:
        pool.map(_spin, [1] * jobs, chunksize=1)
        alone = _spin(loops)
        start = time.perf_counter()
        pool.map(_spin, [loops] * jobs, chunksize=1)
        together = time.perf_counter() - start
    return jobs * alone / together


def _records(path: Path) -> Iterator[tuple[int, bytes, bytes]]:
    """(line number, raw bytes, terminator) of every line, as ``cleaner.io`` keeps them."""
    with open(path, "rb") as fh:
        for n, line in enumerate(fh, 1):
            if line.endswith(b"\n"):
                yield n, line[:-1], b"\n"
            else:
                yield n, line, b""


def stage_floor(src: Path, dst: Path) -> dict[str, Any]:
    """Read, parse, serialise, write every record: the I/O floor."""
    start = time.perf_counter()
    records = 0
    with open(dst, "wb") as out:
        for _, raw, end in _records(src):
            if raw.strip():
                obj = json.loads(raw)
                out.write(json.dumps(obj, ensure_ascii=False).encode("utf-8"))
            out.write(end)
            records += 1
    return {"seconds": time.perf_counter() - start, "records": records}


def stage_clean(src: Path, dst: Path, engine: str, profile: Path | None = None) -> dict[str, Any]:
    """Clean every record with the cleaner or the naive engine, writing output as the CLI does
    (unchanged records verbatim, changed ones spliced by the JSONL codec)."""
    from cleaner.engine import Cleaner
    from cleaner.io.codecs import JsonlCodec
    from cleaner.io.readers import Record

    setup = time.perf_counter()
    cleaner = Cleaner.load()
    if engine == "naive":
        from benchmarks.naive import NaiveCleaner

        worker: Any = NaiveCleaner(cleaner)
    else:
        worker = cleaner
    codec = JsonlCodec()
    start = time.perf_counter()
    profiler = _profiler() if profile else None
    cleaning = 0.0
    records = changed = timeouts = 0
    with open(dst, "wb") as out:
        for n, raw, end in _records(src):
            record = Record(str(src), n, raw, end)
            doc = codec.decode(record)
            records += 1
            if doc is None:
                out.write(raw + end)
                continue
            t = time.perf_counter()
            result = worker.clean_document(doc)
            cleaning += time.perf_counter() - t
            timeouts += bool(result.timed_out)
            if result.spans:
                changed += 1
                out.write(codec.encode(record, result) + end)
            else:
                out.write(raw + end)
    seconds = time.perf_counter() - start
    if profiler is not None and profile is not None:
        profiler.stop()
        profile.write_text(
            profiler.output_html() if profile.suffix == ".html" else profiler.output_text()
        )
    return {
        "seconds": seconds,
        "clean_seconds": cleaning,
        "setup_seconds": start - setup,
        "records": records,
        "changed": changed,
        "docs_with_timeouts": timeouts,
    }


def _profiler() -> Any:
    try:
        from pyinstrument import Profiler
    except ImportError:
        sys.exit("--profile needs pyinstrument: pip install pyinstrument")
    profiler = Profiler(interval=0.001)
    profiler.start()
    return profiler


# -- measuring a child process -----------------------------------------------------------------


def _tree_memory(root: int) -> dict[int, tuple[int, int]]:
    """{pid: (VmRSS, VmHWM)} in bytes for ``root`` and all its descendants (Linux /proc)."""
    found: dict[int, tuple[int, int]] = {}
    todo = [root]
    while todo:
        pid = todo.pop()
        if pid in found:
            continue
        try:
            with open(f"/proc/{pid}/status") as fh:
                fields = dict(line.split(":", 1) for line in fh if line.startswith("Vm"))
            found[pid] = (_kib(fields.get("VmRSS")), _kib(fields.get("VmHWM")))
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            continue
    return found


def _kib(field: str | None) -> int:
    return int(field.split()[0]) * 1024 if field else 0


def measure(cmd: list[str], cwd: Path = ROOT) -> dict[str, Any]:
    """Run ``cmd``: wall and CPU time, and memory three ways.

    ``peak_rss_mb`` is the largest process's own high-water mark (VmHWM, sampled every 20 ms
    from /proc, so it misses at most the last 20 ms of growth); ``peak_tree_rss_mb`` the
    largest sum of resident memory of the process and its workers at one moment;
    ``ru_maxrss_mb`` what ``wait4`` reports, which on Linux also counts the parent's memory at
    the moment it spawned the child (exec keeps the high-water mark), so it is an upper bound.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err)
        tree_peak = 0
        hwm: dict[int, int] = {}
        done = threading.Event()

        def sample() -> None:
            nonlocal tree_peak
            while True:
                memory = _tree_memory(proc.pid)
                tree_peak = max(tree_peak, sum(rss for rss, _ in memory.values()))
                for pid, (_, high) in memory.items():
                    hwm[pid] = max(hwm.get(pid, 0), high)
                if done.wait(0.02):
                    return

        sampler = threading.Thread(target=sample, daemon=True)
        if os.path.isdir("/proc"):
            sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        done.set()
        if sampler.is_alive():
            sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    ru_maxrss = usage.ru_maxrss * _RSS_UNIT / MB
    return {
        "wall_seconds": wall,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": max(hwm.values()) / MB if hwm else ru_maxrss,
        "peak_tree_rss_mb": tree_peak / MB if tree_peak else None,
        "processes": len(hwm) or None,
        "ru_maxrss_mb": ru_maxrss,
        "returncode": proc.returncode,
        "stdout": stdout,
        "stderr": stderr,
    }


def write_host_packs(
    directory: Path, src: Path, packs: int = HOST_PACKS, rules: int = RULES_PER_PACK
) -> Path:
    """``packs`` host packs of ``rules`` line rules each, shaped like what ``cleaner learn``
    writes: one per host, the corpus's own hosts first (so its documents get theirs), then
    made-up ones. Their templates name their host, so they remove nothing from the corpus:
    the output stays comparable, and the cost measured is the rules' presence alone."""
    from cleaner.hosts import host_of

    hosts: list[str] = []
    for _, raw, _ in _records(src):
        host = host_of(json.loads(raw).get("url"))
        if host and host not in hosts:
            hosts.append(host)
        if len(hosts) >= packs:
            break
    hosts += [f"outlet-{n}.example" for n in range(packs - len(hosts))]
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    for n, host in enumerate(hosts):
        name = host.replace(".", " ").title()
        parts = [f'[pack]\nid = "host-{n}"\ndomains = ["{host}"]\n']
        for k in range(rules):
            literal = f"{name} reader offer {k}"
            pattern = literal + r"(?: for \d+ days)?\.?"
            parts.append(
                f'[[rule]]\nid = "template-{k}"\nkind = "line"\n'
                f"pattern = '''{pattern}'''\nrequires = [\"{literal}\"]\n"
            )
        (directory / f"host-{n:03d}.toml").write_text("\n".join(parts), encoding="utf-8")
    return directory


def byte_compile() -> None:
    """Write the bytecode of ``cleaner`` and ``benchmarks`` (into git-ignored ``__pycache__``)."""
    for package in ("cleaner", "benchmarks"):
        compileall.compile_dir(ROOT / package, quiet=1)


def cli_command() -> list[str]:
    """The installed ``cleaner`` console script of this interpreter, else ``cleaner.cli.main``."""
    script = Path(sys.executable).with_name("cleaner")
    if script.exists():
        return [str(script)]
    found = shutil.which("cleaner")
    if found:
        return [found]
    return [sys.executable, "-c", "import sys; from cleaner.cli import main; sys.exit(main())"]


def stage_command(stage: str, src: Path, dst: Path, jobs: int) -> list[str]:
    if stage.startswith("cli-"):
        n = jobs if stage == "cli-jN" else 1
        command = [*cli_command(), "clean", str(src), "-o", str(dst), "-j", str(n), "-q"]
        if stage == "cli-dask":  # a LocalCluster of one worker per core, its start included
            command = [*cli_command(), "clean", str(src), "-o", str(dst), "-q"]
            command += ["--engine", "dask"]
        if stage == "cli-j1-hostpacks":
            command += ["--rules", str(write_host_packs(dst.parent / "hostpacks", src))]
        return [*command, "--isolated"]
    return [sys.executable, "-m", "benchmarks.throughput", "--stage", stage, str(src), str(dst)]


def _digest(path: Path) -> str | None:
    if not path.exists():
        return None
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def first_differences(a: Path, b: Path, limit: int = 5) -> list[dict[str, Any]]:
    """The first differing lines of two outputs, with the record id, to see which rule differs."""
    diffs = []
    with open(a, "rb") as fa, open(b, "rb") as fb:
        for n, (la, lb) in enumerate(zip(fa, fb, strict=False), 1):
            if la != lb:
                try:
                    rid = json.loads(la).get("id")
                except ValueError:
                    rid = None
                diffs.append({"line": n, "id": rid})
                if len(diffs) >= limit:
                    break
    return diffs


def run_stage(
    stage: str, src: Path, jobs: int, size: int, records: int, out_dir: Path = OUT_DIR
) -> dict[str, Any]:
    dst = out_dir / f"{src.stem}.{stage}.out.jsonl"
    dst.unlink(missing_ok=True)
    m = measure(stage_command(stage, src, dst, jobs))
    result: dict[str, Any] = {
        k: m[k]
        for k in (
            "wall_seconds",
            "cpu_seconds",
            "peak_rss_mb",
            "peak_tree_rss_mb",
            "processes",
            "ru_maxrss_mb",
        )
    }
    if m["returncode"] != 0:
        result["error"] = (m["stderr"].strip() or m["stdout"].strip())[-2000:]
        result["returncode"] = m["returncode"]
    if not stage.startswith("cli-") and m["returncode"] == 0:
        result.update(json.loads(m["stdout"].strip().splitlines()[-1]))
    result["mb_per_s"] = size / MB / m["wall_seconds"]
    result["docs_per_s"] = records / m["wall_seconds"]
    result["sha256"] = _digest(dst) if m["returncode"] == 0 else None
    result["output"] = str(dst)
    return result


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median of every numeric field over repeated runs (the first run's other fields)."""
    out = dict(runs[-1])
    for key, value in runs[0].items():
        if isinstance(value, float | int) and not isinstance(value, bool):
            values = [r[key] for r in runs if isinstance(r.get(key), float | int)]
            out[key] = statistics.median(values)
    if len(runs) > 1:
        out["wall_seconds_all"] = [round(r["wall_seconds"], 3) for r in runs]
    return out


def benchmark(
    src: Path,
    stages: list[str],
    jobs: int,
    repeat: int,
    keep: bool = False,
    out_dir: Path = OUT_DIR,
) -> dict[str, Any]:
    """Run the stages on ``src`` (``repeat`` times, interleaved) and compare their outputs."""
    size = src.stat().st_size
    with open(src, "rb") as fh:
        records = sum(1 for _ in fh)
    runs: dict[str, list[dict[str, Any]]] = {s: [] for s in stages}
    ceilings: list[float] = []
    for i in range(repeat):
        for stage in stages:
            print(f"[{i + 1}/{repeat}] {stage} on {src.name} ...", file=sys.stderr, flush=True)
            runs[stage].append(run_stage(stage, src, jobs, size, records, out_dir))
        if "cli-jN" in stages:
            ceilings.append(parallel_ceiling(jobs))
    results = {s: _median(r) for s, r in runs.items()}
    report: dict[str, Any] = {
        "input": str(src),
        "input_mb": size / MB,
        "records": records,
        "jobs": jobs,
        "cpus": os.cpu_count(),
        "repeat": repeat,
        "python": sys.version.split()[0],
        "engine_compiled": _engine_compiled(),
        "stages": results,
    }
    report["ratios"] = _ratios(results)
    if ceilings:
        report["ratios"]["machine_jN_ceiling"] = statistics.median(ceilings)
        report["machine_jN_ceilings"] = [round(c, 2) for c in ceilings]
    report["identical"], report["differences"] = _compare(results)
    if not keep:
        for r in results.values():
            Path(r["output"]).unlink(missing_ok=True)
    return report


def _ratios(results: dict[str, dict[str, Any]]) -> dict[str, float]:
    def wall(stage: str) -> float | None:
        r = results.get(stage)
        return r["wall_seconds"] if r and "error" not in r else None

    ratios: dict[str, float] = {}
    floor, j1, jn, engine, naive, hostpacks, dask = (wall(s) for s in STAGES)
    if floor and j1:
        ratios["cli_j1_time_over_floor_time"] = j1 / floor
    if j1 and jn:
        ratios["cli_jN_speedup_over_j1"] = j1 / jn
    if naive and j1:
        ratios["naive_time_over_cli_j1_time"] = naive / j1
    if hostpacks and j1:
        ratios["hostpacks_time_over_cli_j1_time"] = hostpacks / j1
    if dask and jn:
        ratios["dask_time_over_cli_jN_time"] = dask / jn
    if naive and engine:
        ratios["naive_time_over_engine_time"] = naive / engine
        ratios["naive_clean_time_over_engine_clean_time"] = (
            results["naive"]["clean_seconds"] / results["engine"]["clean_seconds"]
        )
    return ratios


def _compare(results: dict[str, dict[str, Any]]) -> tuple[bool, list[dict[str, Any]]]:
    """All cleaning stages must write the same bytes; the first differing lines otherwise."""
    cleaned = {s: r for s, r in results.items() if s != "floor" and r.get("sha256")}
    if len(cleaned) < 2:
        return True, []
    names = list(cleaned)
    reference = names[0]
    differences = []
    for other in names[1:]:
        if cleaned[other]["sha256"] != cleaned[reference]["sha256"]:
            a, b = Path(cleaned[reference]["output"]), Path(cleaned[other]["output"])
            differences.append(
                {"stages": [reference, other], "first_lines": first_differences(a, b)}
            )
    return not differences, differences


def scaling(sizes: list[int], jobs: int, seed: int, source: Path | None) -> dict[str, Any]:
    """The CLI on growing corpora: seconds per MB and peak memory should stay flat."""
    rows = []
    for size in sizes:
        src = cached_corpus(OUT_DIR, size, seed, source)
        report = benchmark(src, ["floor", "cli-j1", "cli-jN"], jobs, 1)
        row: dict[str, Any] = {"input_mb": report["input_mb"], "records": report["records"]}
        for stage, r in report["stages"].items():
            row[stage] = {
                "wall_seconds": r["wall_seconds"],
                "seconds_per_mb": r["wall_seconds"] / report["input_mb"],
                "mb_per_s": r["mb_per_s"],
                "peak_rss_mb": r["peak_rss_mb"],
                "peak_tree_rss_mb": r["peak_tree_rss_mb"],
                **({"error": r["error"]} if "error" in r else {}),
            }
        rows.append(row)
    return {"jobs": jobs, "cpus": os.cpu_count(), "sizes": rows}


def _print_report(report: dict[str, Any]) -> None:
    print(f"\n{report['input']}: {report['input_mb']:.1f} MB, {report['records']} records")
    print(
        f"{'stage':<8} {'wall s':>8} {'cpu s':>8} {'MB/s':>7} {'docs/s':>8} {'RSS MB':>7} {'tree':>7}"
    )
    for stage, r in report["stages"].items():
        if "error" in r:
            print(f"{stage:<8} FAILED: {r['error'].splitlines()[-1] if r['error'] else '?'}")
            continue
        tree = f"{r['peak_tree_rss_mb']:7.0f}" if r["peak_tree_rss_mb"] else "      -"
        print(
            f"{stage:<8} {r['wall_seconds']:8.2f} {r['cpu_seconds']:8.2f} {r['mb_per_s']:7.2f} "
            f"{r['docs_per_s']:8.0f} {r['peak_rss_mb']:7.0f} {tree}"
        )
    for name, value in report["ratios"].items():
        print(f"  {name}: {value:.2f}")
    print("  engine compiled:", report["engine_compiled"])
    print("  outputs identical:", report["identical"])
    for d in report["differences"]:
        print("  DIFFERENT:", d)


def _engine_compiled() -> bool:
    """Whether the cleaner that the command-line stages run is the mypyc-compiled build: asked
    away from the repository, whose sources would shadow an installed build here."""
    probe = "import cleaner; print(cleaner.engine_compiled())"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tempfile.gettempdir(), capture_output=True, text=True
    )
    return done.stdout.strip() == "True"


def _print_scaling(report: dict[str, Any]) -> None:
    print(f"\nscaling (-j N = {report['jobs']})")
    for row in report["sizes"]:
        parts = [f"{row['input_mb']:7.0f} MB"]
        for stage in ("floor", "cli-j1", "cli-jN"):
            r = row[stage]
            if "error" in r:
                parts.append(f"{stage}: FAILED")
                continue
            tree = r["peak_tree_rss_mb"] or r["peak_rss_mb"]
            parts.append(
                f"{stage}: {r['wall_seconds']:7.1f} s {r['seconds_per_mb']:.3f} s/MB {tree:5.0f} MB"
            )
        print(" | ".join(parts))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="100MB", help="corpus size (default 100MB)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--from", dest="source", type=Path, help="resample this JSONL(.gz)")
    parser.add_argument("--input", type=Path, help="benchmark this JSONL file as it is")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2, help="N for -j N")
    parser.add_argument("--repeat", type=int, default=1, help="runs per stage; medians reported")
    parser.add_argument(
        "--stages", default=",".join(STAGES), help=f"comma-separated subset of {','.join(STAGES)}"
    )
    parser.add_argument("--scaling", action="store_true", help="10 MB and 100 MB, CLI only")
    parser.add_argument("--big", action="store_true", help="with --scaling: add 1 GB")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--keep", action="store_true", help="keep the stage outputs")
    parser.add_argument("--profile", type=Path, help="profile the engine stage (pyinstrument)")
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.stage:  # a child process of this harness
        src, dst = args.paths
        if args.stage == "floor":
            result = stage_floor(src, dst)
        else:
            profile = args.profile if args.stage == "engine" else None
            result = stage_clean(src, dst, args.stage, profile)
        print(json.dumps(result))
        return 0

    if args.source is not None and not args.source.exists():
        print(f"{args.source}: not found; skipping (--from needs the file)", file=sys.stderr)
        return 0
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    byte_compile()
    if args.profile:
        src = args.input or cached_corpus(OUT_DIR, parse_size(args.size), args.seed, args.source)
        dst = OUT_DIR / "profile.out.jsonl"
        result = stage_clean(src, dst, "engine", args.profile)
        dst.unlink(missing_ok=True)
        print(json.dumps(result, indent=2))
        print(f"profile written to {args.profile}")
        return 0
    if args.scaling:
        sizes = [10 * MB, 100 * MB] + ([1000 * MB] if args.big else [])
        report = scaling(sizes, args.jobs, args.seed, args.source)
        _print_scaling(report)
        ok = all(
            "error" not in r for row in report["sizes"] for r in row.values() if isinstance(r, dict)
        )
    else:
        stages = [s for s in args.stages.split(",") if s]
        unknown = sorted(set(stages) - set(STAGES))
        if unknown:
            parser.error(f"unknown stage {unknown[0]!r}; choose from {', '.join(STAGES)}")
        src = args.input or cached_corpus(OUT_DIR, parse_size(args.size), args.seed, args.source)
        report = benchmark(src, stages, args.jobs, args.repeat, args.keep)
        _print_report(report)
        ok = report["identical"] and all("error" not in r for r in report["stages"].values())
    # The largest single child of this whole run (RUSAGE_CHILDREN), as a cross-check.
    report["rusage_children_maxrss_mb"] = (
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * _RSS_UNIT / MB
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
