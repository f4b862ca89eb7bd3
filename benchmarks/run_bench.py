"""Benchmark: the whole ``evalkit run`` on national-size synthetic data, stage by stage.

    .venv/bin/python benchmarks/run_bench.py                     # national size (scale ≈ 10.4), ≈ 3 min (+ ≈ 5 min of profiles if slow)
    .venv/bin/python benchmarks/run_bench.py --quick             # default size (scale 1): smoke check, ≈ 2 min
    .venv/bin/python benchmarks/run_bench.py --profile-only msp  # cProfile of msp.analyse() on the data generated

Stages, each a separate command run as a user would, timed from outside:

1. ``evalkit simulate --scale S`` — generation of the three study files (msp, asalee, assistants) at national scale
   (per-file times from its progress lines);
2. ``evalkit validate`` — the data contracts (per-file times from its progress lines);
3. ``evalkit run`` — validation again (it always validates first), then every chapter's execution (the timings
   evalkit writes in ``OUT/results/run.json``; when it has none, those of the jupyter-book log ``evalkit run`` keeps in
   the temp dir) and the book build (jupyter-book's time outside the chapters: ``total`` − Σ chapters).

The code run is a ``git archive`` of one commit (``--commit``, default HEAD) unpacked in ``benchmarks/_work/``, with
its ``src`` first on ``PYTHONPATH``: the shared work tree may be edited by others during a run (``--worktree`` runs it
as it is).

Memory: for each stage, the peak RSS of its largest single process (``getrusage(RUSAGE_CHILDREN)`` of a fresh
wrapper process, which includes every reaped descendant — Jupyter kernels too) and the peak of the whole process tree
(sum of RSS over the tree, sampled every 0.2 s with psutil); for each chapter, the peak RSS of its kernel (sampled).
The 1-min load average is sampled too (2 cores: anything above 2 means other jobs competed).

Profiling (``--profile auto``, default): if a chapter takes longer than ``--slow`` seconds or the run misses its
3-minute target (issue 13), the three studies' ``analyse()`` are profiled with cProfile on the same national data (each in a
fresh process); the top evalkit functions by cumulative time and all functions by own time are printed.

Everything goes to ``benchmarks/_work/run_bench/`` (data, output, logs, ``run_bench.json``); the printed Markdown is
what ``benchmarks/README.md`` records. A compact summary (total wall time of ``evalkit run``, seconds per stage and per
chapter, peak RSS, rows per file, machine, date, commit, load average; no local path) goes to
``benchmarks/results/run_bench.json`` — committed, and read by the guide (:func:`evalkit.guide.sizing`) — when the
run is at national size; otherwise (``--quick``, ``--scale``) to ``benchmarks/_work/run_bench/summary.json``, unless
``--summary PATH`` says where.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "_work" / "run_bench"
SUMMARY = ROOT / "benchmarks" / "results" / "run_bench.json"
TARGET_SECONDS = 3 * 60  #: issue 13: the whole national `evalkit run` within 3 minutes on this 2-core machine
STUDIES = ("msp", "asalee", "assistants")
_PROGRESS = re.compile(r"^\[\s*([\d.]+) s\] (.*)$")


def evalkit_exe() -> str:
    exe = Path(sys.executable).with_name("evalkit")
    return str(exe) if exe.exists() else "evalkit"


class TreeSampler:
    """Samples the RSS of a process tree: peak of the sum, and the peak of every process (by pid)."""

    def __init__(self, pid: int, interval: float = 0.2):
        import psutil

        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak_total = 0
        self.procs: dict[int, dict] = {}  # pid → {first_seen, cmd, peak}
        self.loads: list[float] = []  # 1-min load average, sampled every second
        self._last_load = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        import psutil

        while not self._stop.is_set():
            try:
                tree = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                break
            total = 0
            now = time.monotonic()
            for p in tree:
                try:
                    rss = p.memory_info().rss
                    if p.pid not in self.procs:
                        self.procs[p.pid] = {"first_seen": now, "cmd": " ".join(p.cmdline())[:200], "peak": 0}
                except psutil.Error:
                    continue
                total += rss
                self.procs[p.pid]["peak"] = max(self.procs[p.pid]["peak"], rss)
            self.peak_total = max(self.peak_total, total)
            if not self.loads or now - self._last_load >= 1.0:
                self.loads.append(os.getloadavg()[0])
                self._last_load = now
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


_WRAP = r"""
import json, resource, subprocess, sys, time
t = time.monotonic()
p = subprocess.Popen(sys.argv[2:], stderr=subprocess.PIPE, text=True)
lines = []
for line in p.stderr:
    lines.append([round(time.monotonic() - t, 2), line.rstrip("\n")])
    sys.stderr.write(line); sys.stderr.flush()
rc = p.wait()
json.dump({"rc": rc, "pid": p.pid, "wall": time.monotonic() - t, "stderr": lines,
           "max_rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}, open(sys.argv[1], "w"))
sys.exit(rc)
"""


def snapshot(commit: str = "HEAD") -> tuple[Path, str]:
    """A copy of the committed tree (``git archive``) to run from: other engineers edit the shared work tree while a
    30-minute benchmark runs, so it runs the code of one commit. Returns (folder, commit hash)."""
    sha = subprocess.run(["git", "rev-parse", commit], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.strip()
    dest = WORK / "snapshot"
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    arch = subprocess.Popen(["git", "archive", sha], cwd=ROOT, stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(dest)], stdin=arch.stdout, check=True)
    if arch.wait() != 0:
        raise SystemExit("git archive failed")
    return dest, sha


def run_stage(name: str, cmd: list[str], env: dict | None = None, log=print, cwd: Path = ROOT) -> dict:
    """Run one stage in a fresh wrapper process (its RUSAGE_CHILDREN is this stage's own) and sample its tree."""
    rep = WORK / f"{name}.stage.json"
    rep.unlink(missing_ok=True)
    log(f"{name}: {' '.join(cmd)}")
    t = time.monotonic()
    p = subprocess.Popen([sys.executable, "-c", _WRAP, str(rep), *cmd], cwd=cwd, env=env,
                         stdout=subprocess.DEVNULL, stderr=open(WORK / f"{name}.log", "w"))
    with TreeSampler(p.pid) as s:
        rc = p.wait()
    wall = time.monotonic() - t
    out = json.loads(rep.read_text()) if rep.exists() else {"rc": rc, "stderr": [], "max_rss_kb": 0}
    out.update(name=name, cmd=cmd, wall=wall, peak_tree_mb=s.peak_total / 2**20,
               max_rss_mb=out["max_rss_kb"] / 1024, procs=s.procs, t0=t,
               load_mean=sum(s.loads) / max(len(s.loads), 1), load_max=max(s.loads, default=0.0))
    log(f"{name}: exit {out['rc']}, {wall:.1f} s, largest process {out['max_rss_mb']:.0f} MB, "
        f"tree {out['peak_tree_mb']:.0f} MB, load avg mean {out['load_mean']:.1f}")
    if out["rc"] != 0:
        tail = "\n".join(x[1] for x in out["stderr"][-15:])
        raise SystemExit(f"stage {name} failed (exit {out['rc']}); see {WORK / (name + '.log')}\n{tail}")
    return out


def progress_steps(stage: dict, pattern: str) -> dict[str, float]:
    """Durations between evalkit's progress lines ``[  t s] <pattern matching a study>`` (study → seconds)."""
    marks = []
    for _, line in stage["stderr"]:
        m = _PROGRESS.match(line)
        if m:
            marks.append((float(m.group(1)), m.group(2)))
    out = {}
    for i, (t, msg) in enumerate(marks):
        m = re.match(pattern, msg)
        if m:
            end = marks[i + 1][0] if i + 1 < len(marks) else stage["wall"]
            out[m.group(1)] = end - t
    return out


_EXECUTING = re.compile(r"(\S+)\.ipynb: Executing notebook")
_EXECUTED = re.compile(r"(\S+)\.ipynb: Executed notebook in ([\d.]+) seconds")


def build_log(stage: dict) -> str:
    """The jupyter-book log ``evalkit run`` keeps in the temp dir (``evalkit-build-<pid>.log``)."""
    import tempfile

    f = Path(tempfile.gettempdir()) / f"evalkit-build-{stage.get('pid')}.log"
    return f.read_text(encoding="utf-8", errors="replace") if f.exists() else ""


def chapter_times(run_json: dict, log: str) -> tuple[dict[str, float], str]:
    """Seconds per executed notebook: from run.json, else (when it has none) from the build log."""
    t = {k: v for k, v in run_json["timings_seconds"].items() if k != "total"}
    if t:
        return t, "OUT/results/run.json"
    t = {Path(m.group(1)).name: float(m.group(2)) for m in _EXECUTED.finditer(log)}
    return t, "jupyter-book's log (OUT/results/run.json has no chapter timings)"


def chapter_kernels(stage: dict, log: str) -> dict[str, float]:
    """Peak RSS (MB) of each notebook's kernel: the k-th kernel started ↔ the k-th notebook executed."""
    order = [Path(m.group(1)).name for m in _EXECUTING.finditer(log)]
    kernels = sorted((p for p in stage["procs"].values() if "ipykernel" in p["cmd"]), key=lambda p: p["first_seen"])
    if len(kernels) != len(order):
        return {}
    return {c: k["peak"] / 2**20 for c, k in zip(order, kernels)}


_PROFILE = r"""
import cProfile, io, json, pstats, sys, warnings
warnings.filterwarnings("ignore")
import os
os.environ["EVALKIT_DATA"] = sys.argv[2]
import importlib
import evalkit.io, evalkit.paths
study = sys.argv[1]
df = evalkit.io.load(study)
mod = importlib.import_module(f"evalkit.studies.{study}")
pr = cProfile.Profile()
pr.enable()
mod.analyse(df, seed=evalkit.paths.seed())
pr.disable()
st = pstats.Stats(pr)
rows = []
for (file, line, fn), (cc, nc, tt, ct, callers) in st.stats.items():
    rows.append({"function": f"{os.path.basename(file)}:{line}({fn})" if line else fn, "file": file,
                 "ncalls": nc, "tottime": tt, "cumtime": ct})
json.dump({"total": st.total_tt, "rows": rows}, open(sys.argv[3], "w"))
"""


def profile_study(study: str, data: Path, env: dict, log=print, cwd: Path = ROOT) -> dict:
    out = WORK / f"profile_{study}.json"
    log(f"profile {study}.analyse() with cProfile")
    t = time.monotonic()
    subprocess.run([sys.executable, "-c", _PROFILE, study, str(data), str(out)], check=True, cwd=cwd, env=env)
    res = json.loads(out.read_text())
    res["wall"] = time.monotonic() - t
    return res


def profile_table(prof: dict, n: int = 15) -> str:
    rows = prof["rows"]
    interesting = [r for r in rows if "site-packages" in r["file"] or "evalkit" in r["file"] or r["file"] == "~"]
    by_cum = sorted((r for r in interesting if "evalkit" in r["file"]), key=lambda r: -r["cumtime"])[:n]
    by_tot = sorted(rows, key=lambda r: -r["tottime"])[:n]

    def short(r):
        f = r["file"]
        for key in ("site-packages/", "src/"):
            if key in f:
                f = f.split(key, 1)[1]
        return f"`{f}:{r['function'].split(':', 1)[-1]}`" if r["file"] != "~" else f"`{r['function']}`"

    lines = [f"cProfile total {prof['total']:.1f} s (profiled; the chapter runs unprofiled).", "",
             "| evalkit function (by cumulative time) | calls | cumulative (s) | own (s) |", "|---|---|---|---|"]
    lines += [f"| {short(r)} | {r['ncalls']} | {r['cumtime']:.1f} | {r['tottime']:.2f} |" for r in by_cum]
    lines += ["", "| any function (by own time) | calls | own (s) | cumulative (s) |", "|---|---|---|---|"]
    lines += [f"| {short(r)} | {r['ncalls']} | {r['tottime']:.2f} | {r['cumtime']:.1f} |" for r in by_tot]
    return "\n".join(lines)


AGREEMENT_ORDER = ("sun_abraham", "imputation_bjs", "two_stage_gardner", "dcdh", "wooldridge_etwfe", "twfe")


def agreement_costs(path: Path) -> dict:
    """{page: outcomes, units, seconds, {estimator: seconds}, skipped} from the JSON lines the panels wrote."""
    out: dict = {}
    if not path.exists():
        return out
    for ln in path.read_text().splitlines():
        r = json.loads(ln)
        v = out.setdefault(r["page"] or "?", {"outcomes": 0, "n_units": 0, "seconds": 0.0, "estimators": {},
                                              "skipped": [], "_seen": set()})
        if r["outcome"] not in v["_seen"]:
            v["_seen"].add(r["outcome"])
            v["outcomes"] += 1
        v["n_units"] = max(v["n_units"], r["n_units"])
        v["seconds"] = round(v["seconds"] + r["seconds"], 3)
        if r["status"] == "skipped":
            v["skipped"] = sorted({*v["skipped"], r["estimator"]})
        else:
            v["estimators"][r["estimator"]] = round(v["estimators"].get(r["estimator"], 0.0) + r["seconds"], 3)
    for v in out.values():
        del v["_seen"]
    return out


def write_summary(path: Path, *, sha: str, scale: float, seed: int, national: bool, stages: dict, chapters: dict,
                  chapters_src: str, kernels: dict, files: dict, run_json: dict, book_s: float, t_exec: float,
                  machine: dict, exec_s: float | None = None, panel: dict | None = None) -> dict:
    """The compact, committed result of a run (read by :func:`evalkit.guide.sizing`): seconds, MB, rows, where and
    when — no local path, no per-process detail."""
    def stage(st: dict) -> dict:
        return {"seconds": round(st["wall"], 1), "peak_rss_mb_largest_process": round(st["max_rss_mb"]),
                "peak_rss_mb_process_tree": round(st["peak_tree_mb"]),
                "load_avg": {"mean": round(st["load_mean"], 2), "max": round(st["load_max"], 2)}}

    run = stages["run"]
    out = {
        "benchmark": "benchmarks/run_bench.py",
        "what": "evalkit run (validation, every chapter executed, book built) on synthetic data, each stage a "
                "separate command timed from outside; peak RSS of the largest process and of the whole process tree",
        "date": time.strftime("%Y-%m-%d"), "commit": sha if sha == "work tree" else sha[:10],
        "scale": scale, "national_size": national, "seed": seed,
        "files": {s: {"rows": v["rows"], "csv_mb": round(v["mb"], 1)} for s, v in files.items()},
        "run": {**stage(run), "validation_seconds": round(t_exec, 1),
                "run_json_total_seconds": round(run_json["timings_seconds"]["total"], 1),
                "book_build_seconds": round(book_s, 1),
                **({"chapter_execution_seconds": round(exec_s, 1)} if exec_s is not None else {})},
        "chapters": {Path(c).stem: {"seconds": round(v, 1),
                                    **({"peak_rss_mb": round(kernels[c])} if c in kernels else {})}
                     for c, v in chapters.items()},
        "chapter_times_from": "run.json" if chapters_src.startswith("OUT") else "jupyter-book log",
        "stages": {k: stage(v) for k, v in stages.items()},
        "end_to_end_seconds": round(sum(v["wall"] for v in stages.values()), 1),
        "agreement_panel": panel or {},
        "target_seconds": TARGET_SECONDS,
        "machine": machine,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    return out


def fmt_t(s: float) -> str:
    return f"{s:.1f} s" if s < 120 else f"{s:.0f} s ({s / 60:.1f} min)"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="default-size data (scale 1) for a smoke check")
    ap.add_argument("--scale", type=float, default=None, help="simulation scale (default NATIONAL_SCALE ≈ 10.4)")
    ap.add_argument("--seed", type=int, default=None, help="simulation seed (default evalkit's)")
    ap.add_argument("--reuse-data", action="store_true", help="skip generation if the data folder matches")
    ap.add_argument("--profile", choices=["auto", "always", "never"], default="auto")
    ap.add_argument("--slow", type=float, default=180.0, help="a chapter slower than this is profiled (auto)")
    ap.add_argument("--profile-only", metavar="STUDIES",
                    help="only profile these studies' analyse() (comma-separated) on the data already generated")
    ap.add_argument("--commit", default="HEAD", help="commit to benchmark (run from a git archive of it)")
    ap.add_argument("--worktree", action="store_true", help="run the work tree as it is instead of a commit")
    ap.add_argument("--summary", type=Path, default=None,
                    help="where to write the compact summary JSON (default: benchmarks/results/run_bench.json at "
                         "national size, benchmarks/_work/run_bench/summary.json otherwise)")
    args = ap.parse_args(argv)

    sys.path.insert(0, str(ROOT / "src"))
    from evalkit.paths import DEFAULT_SEED
    from evalkit.simulate.msp import NATIONAL_SCALE

    scale = args.scale if args.scale is not None else (1.0 if args.quick else NATIONAL_SCALE)
    seed = DEFAULT_SEED if args.seed is None else args.seed
    WORK.mkdir(parents=True, exist_ok=True)
    data, out = WORK / "data", WORK / "out"
    log = lambda m: print(f"[{time.strftime('%H:%M:%S')}] {m}", file=sys.stderr, flush=True)  # noqa: E731
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONWARNINGS="ignore::DeprecationWarning")
    if args.worktree:
        cwd, sha = ROOT, "work tree"
    else:
        cwd, sha = snapshot(args.commit)
        env["PYTHONPATH"] = os.pathsep.join([str(cwd / "src"), *filter(None, [env.get("PYTHONPATH")])])
        log(f"running commit {sha[:10]} from {cwd}")
    ek = evalkit_exe()
    stages = {}
    if args.profile_only:
        if not (data / "SYNTHETIC").exists():
            raise SystemExit(f"--profile-only: no data in {data}; run once without it first")
        meta = json.loads((data / "SYNTHETIC").read_text())
        parts = []
        for s in [x.strip() for x in args.profile_only.split(",") if x.strip()]:
            prof = profile_study(s, data, env, log, cwd)
            parts += [f"Profile of `evalkit.studies.{s}.analyse()` (commit {sha[:10]}) at scale {meta['scale']:g} "
                      f"(seed {meta['seed']}); load avg {os.getloadavg()[0]:.1f} at the end:", "",
                      profile_table(prof), ""]
        print("\n".join(parts))
        return 0

    marker = data / "SYNTHETIC"
    same = marker.exists() and json.loads(marker.read_text()).get("scale") == scale \
        and json.loads(marker.read_text()).get("seed") == seed
    if args.reuse_data and same:
        log(f"reusing {data}")
    else:
        shutil.rmtree(data, ignore_errors=True)
        stages["simulate"] = run_stage("simulate", [ek, "simulate", "--out", str(data), "--scale", str(scale),
                                                    "--seed", str(seed)], env, log, cwd)
    stages["validate"] = run_stage("validate", [ek, "validate", "--data", str(data)], env, log, cwd)
    timings_file = WORK / "agreement_timings.jsonl"  # each agreement panel's fits, written by the chapters
    timings_file.unlink(missing_ok=True)
    stages["run"] = run_stage("run", [ek, "run", "--data", str(data), "--out", str(out), "--seed", str(seed)],
                              {**env, "EVALKIT_TIMINGS": str(timings_file)}, log, cwd)
    panel = agreement_costs(timings_file)
    run_json = json.loads((out / "results" / "run.json").read_text())
    timings = run_json["timings_seconds"]
    blog = build_log(stages["run"])
    chapters, chapters_src = chapter_times(run_json, blog)
    kern = chapter_kernels(stages["run"], blog)
    files = {s: {"rows": v["rows"], "mb": (data / v["file"]).stat().st_size / 2**20}
             for s, v in run_json["files"].items()}

    # --- table ---------------------------------------------------------------------------------------------------
    rows = []  # (stage, wall s, largest process MB, tree MB, note)

    def load(st):
        return f"load avg {st['load_mean']:.1f} (max {st['load_max']:.1f})"

    if "simulate" in stages:
        st = stages["simulate"]
        per = progress_steps(st, r"simulate (\w+) ")
        rows.append(("generation (`evalkit simulate`, 3 files)", st["wall"], st["max_rss_mb"], st["peak_tree_mb"],
                     "; ".join(f"{k} {v:.1f} s" for k, v in per.items()) + "; " + load(st)))
    st = stages["validate"]
    per = progress_steps(st, r"validate (\w+)\.")
    rows.append(("validation (`evalkit validate`)", st["wall"], st["max_rss_mb"], st["peak_tree_mb"],
                 "; ".join(f"{k} {v:.1f} s" for k, v in per.items()) + "; " + load(st)))
    st = stages["run"]
    marks = [(float(m.group(1)), m.group(2)) for _, x in st["stderr"] if (m := _PROGRESS.match(x))]
    # evalkit run's progress lines (French): chapters executed in parallel, then the book built from them
    t_exec = next((t for t, msg in marks if msg.startswith(("exécution des chapitres", "execute chapters"))), 0.0)
    t_book = next((t for t, msg in marks if msg.startswith("construction du livre")), None)
    t_end = next((t for t, msg in marks if msg.startswith("terminé")), marks[-1][0] if marks else 0.0)
    rows.append(("`evalkit run` — validation (inside run)", t_exec, None, None, "run validates before executing"))
    for ch, s in chapters.items():
        rows.append((f"`evalkit run` — chapter {ch}", s, kern.get(ch), None, ""))
    if t_book is not None:  # parallel execution: the chapters overlap, their sum is not a duration
        rows.append(("`evalkit run` — chapter execution (in parallel, wall)", t_book - t_exec, None, None,
                     f"{len(chapters)} pages, Σ chapters {sum(chapters.values()):.0f} s"))
        book = t_end - t_book
        note = "jupyter-book on the executed pages, results collection, note de synthèse"
    else:
        book = timings["total"] - sum(chapters.values())
        note = "total − Σ chapters: Sphinx parse/write, kernel start-up, results collection"
    rows.append(("`evalkit run` — book build (jupyter-book outside the chapters)", book, None, None, note))
    rows.append(("**`evalkit run` total**", st["wall"], st["max_rss_mb"], st["peak_tree_mb"],
                 f"run.json total {timings['total']:.1f} s (after validation); " + load(st)))
    end_to_end = sum(s["wall"] for s in stages.values())
    rows.append(("**end to end (generation + validation + run)**", end_to_end,
                 max(s["max_rss_mb"] for s in stages.values()), max(s["peak_tree_mb"] for s in stages.values()), ""))

    import platform

    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())
    mem = next(int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal"))
    deps = run_json["dependencies"]
    head = (f"`evalkit run` (commit {sha[:10]}) on synthetic data at scale {scale:g} (seed {seed}): "
            + ", ".join(f"{s} {v['rows']:,} rows ({v['mb']:.0f} MB CSV)" for s, v in files.items())
            + f". Machine: {os.cpu_count()} cores, {mem / 2**20:.1f} GiB, {cpu}; Python {run_json['python']}, "
            + ", ".join(f"{k} {v}" for k, v in deps.items() if k in ("pandas", "numpy", "diff-diff", "linearmodels",
                                                                        "jupyter-book"))
            + f"; {time.strftime('%Y-%m-%d')}.")
    head += (f" Chapter times from {chapters_src}; a chapter's RSS is its kernel's peak (sampled); "
             "chapters run two at a time (evalkit.execute: study chapters first, summary pages last). Load avg: 1-min load average sampled during the "
             f"stage ({os.cpu_count()} cores: above {os.cpu_count()}, other jobs competed for the CPU).")
    lines = [head, "", "| stage | wall time | peak RSS, largest process (MB) | peak RSS, process tree (MB) | notes |",
             "|---|---|---|---|---|"]
    for name, s, m1, m2, note in rows:
        lines.append(f"| {name} | {fmt_t(s)} | {'' if m1 is None else f'{m1:.0f}'} | "
                     f"{'' if m2 is None else f'{m2:.0f}'} | {note} |")
    run_wall = st["wall"]
    national = abs(scale - NATIONAL_SCALE) < 1e-9
    verdict = ("met" if run_wall <= TARGET_SECONDS else "missed") if national else "not assessed (not national size)"
    lines += ["", f"Target: full national `evalkit run` ≤ {TARGET_SECONDS // 60} min — {verdict} "
                  f"({run_wall / 60:.1f} min; end to end with "
                  f"generation {end_to_end / 60:.1f} min)."]

    if panel:
        lines += ["", "Estimator agreement panel inside this run (seconds of each fit, summed over the outcomes; "
                      "`skipped`: not fitted at this size, see `estimators.agreement.COSTLY`):", "",
                  "| chapter | outcomes | units | " + " | ".join(AGREEMENT_ORDER) + " | panel total |",
                  "|---|---|---|" + "---|" * (len(AGREEMENT_ORDER) + 1)]
        for page, v in panel.items():
            cells = [("skipped" if e in v["skipped"] else f"{v['estimators'][e]:.1f} s") if e in v["estimators"]
                     or e in v["skipped"] else "" for e in AGREEMENT_ORDER]
            lines.append(f"| {page} | {v['outcomes']} | {v['n_units']:,} | " + " | ".join(cells)
                         + f" | {v['seconds']:.1f} s |")

    # --- profiles ------------------------------------------------------------------------------------------------
    todo = []
    if args.profile == "always":
        todo = list(STUDIES)
    elif args.profile == "auto":
        slow = any(v > args.slow for v in chapters.values()) or run_wall > TARGET_SECONDS
        todo = [s for s in STUDIES if s in chapters] if slow else []
    profiles = {}
    for s in todo:
        profiles[s] = profile_study(s, data, env, log, cwd)
        lines += ["", f"Profile of `evalkit.studies.{s}.analyse()` at scale {scale:g} (chapter {s}: "
                  f"{fmt_t(chapters[s])}; profiled run {fmt_t(profiles[s]['wall'])} with loading):",
                  "", profile_table(profiles[s])]
    text = "\n".join(lines)
    print(text)
    summary_path = args.summary or (SUMMARY if national else WORK / "summary.json")
    write_summary(summary_path, sha=sha, scale=scale, seed=seed, national=national, stages=stages,
                  chapters=chapters, chapters_src=chapters_src, kernels=kern, files=files, run_json=run_json,
                  book_s=book, t_exec=t_exec, exec_s=None if t_book is None else t_book - t_exec, panel=panel,
                  machine={"cpu": cpu, "cores": os.cpu_count(),
                                                      "ram_gib": round(mem / 2**20, 1),
                                                      "os": platform.platform(), "python": run_json["python"],
                                                      **{k: v for k, v in deps.items()
                                                         if k in ("pandas", "numpy", "diff-diff", "linearmodels",
                                                                  "jupyter-book")}})
    log(f"summary written to {summary_path}")
    (WORK / "run_bench.json").write_text(json.dumps(
        {"commit": sha, "scale": scale, "seed": seed, "files": files, "run_json": run_json, "markdown": text,
         "stages": {k: {kk: vv for kk, vv in v.items() if kk != "procs"} for k, v in stages.items()},
         "kernels_mb": kern, "profiles": {k: {"total": v["total"], "wall": v["wall"],
                                              "top": sorted(v["rows"], key=lambda r: -r["cumtime"])[:60]}
                                          for k, v in profiles.items()}}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
