"""Benchmark: staggered DiD (Callaway & Sant'Anna) on a national-size GP panel — evalkit vs diff-diff vs the others.

    .venv/bin/python benchmarks/did_bench.py            # national panel (52,000 GPs × 15 years), ≈ 3 min when quiet
    .venv/bin/python benchmarks/did_bench.py --quick    # 2,500 GPs: smoke check, < 1 min
    .venv/bin/python benchmarks/did_bench.py --blas-threads 1 --impls evalkit,diff-diff   # one OpenBLAS thread

Data: :func:`evalkit.simulate.msp.simulate` at ``NATIONAL_SCALE`` (``--scale``), outcome ``patients_mt``, cohorts
2009–2016, never-treated controls, no covariates, doubly robust (``dr``; without covariates every method reduces to
the same 2×2 difference of means), varying base period, analytic (influence-function) SEs, no bootstrap. The panel is
generated once and cached as Parquet in ``benchmarks/_work/``.

Implementations, each in a fresh subprocess (so its memory is its own):

- ``evalkit-contract`` (the reference row): :func:`evalkit.estimators.callaway_santanna` on the frame as
  :func:`evalkit.io.load` returns it (``gp_id`` strings with leading zeros; ``year``, ``patients_mt`` and
  ``msp_year`` nullable ``Int64``); it prepares the panel, fits diff-diff and computes all four aggregations
  (simple, event time, cohort, calendar) and the pre-test, i.e. more than the simple ATT the others are asked for;
- ``evalkit``: the same call on the integer-coded frame the others get, to show what the input types cost;
- ``evalkit-panel``: the same fit from a :class:`evalkit.estimators.Panel` prepared once outside the timed runs (what
  each further outcome or comparison group costs a chapter that fits several on one sample);
- ``diff-diff (raw)``: ``CallawaySantAnna(...).fit()`` + ``.aggregate("simple")`` on the integer-coded frame — the
  difference with ``evalkit-contract`` is the wrapper's overhead, input conversion included;
- ``moderndid``, ``csdid``, ``differences``: the other Python ports of R ``did``, installed only in the separate venv
  ``benchmarks/_work/venv-bench`` (created on first use from ``requirements.txt`` + ``requirements-bench.txt``).

Timed: the estimator call(s) from a prepared DataFrame to the simple ATT and its SE (reading the Parquet and putting
the frame in the package's input format are not timed); a warm-up run, then ``--runs`` timed runs (median
reported), with CPU time and the load average (other jobs on a 2-core machine distort everything: OpenBLAS threads
spin). "RSS before" is the worker's RSS after reading the data and importing the package; its peak (VmHWM) is then
reset (``5 > /proc/self/clear_refs``), so "peak RSS" is the peak during the warm-up and timed runs and "peak − before"
what the estimation adds. Every implementation's simple ATT, SE and ATT(g,t) are compared with evalkit's on the
contract frame (tolerance 1e-10). Target (issue 13): evalkit on the contract frame ≤ 2 × the raw diff-diff call at
national size. Results go to ``benchmarks/_work/did_bench.json``; the printed Markdown is what ``benchmarks/README.md``
records.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "_work"
VENV_BENCH = WORK / "venv-bench"
PROJECT_PY = ROOT / ".venv" / "bin" / "python"
TARGET_RATIO = 2.0  # evalkit on the contract frame / raw diff-diff fit + aggregate("simple")
TOL = 1e-10
REF = "evalkit-contract"
QUICK_SCALE = 0.5  # 2,500 GPs

# name → (interpreter: "project" | "bench", description)
IMPLS = {
    "evalkit-contract": ("project", "evalkit `callaway_santanna`, contract frame (str ids, Int64 columns; all "
                                    "aggregations + pre-test)"),
    "evalkit": ("project", "evalkit, integer-coded frame"),
    "evalkit-panel": ("project", "evalkit from a `Panel` prepared once (per further outcome or design)"),
    "diff-diff": ("project", "diff-diff 3.13.0 raw: `fit` + `aggregate('simple')`"),
    "moderndid": ("bench", "moderndid `att_gt` + `aggte('simple')`"),
    "csdid": ("bench", "csdid `ATTgt.fit` + `aggte('simple')`"),
    "differences": ("bench", "differences `ATTgt.fit` + `aggregate('simple')`"),
}
PACKAGES = {"evalkit": "evalkit", "evalkit-contract": "evalkit", "evalkit-panel": "evalkit", "diff-diff": "diff-diff",
            "moderndid": "moderndid", "csdid": "csdid", "differences": "differences"}


# --- worker (one implementation, in its own process) -------------------------------------------------------------


def _frames(path: Path, name: str):
    """The input frame of implementation ``name``: the contract frame as ``evalkit.io`` loads it (``gp_id`` strings,
    nullable ``Int64`` year, outcome and cohort) for ``evalkit-contract`` (a :class:`Panel` of it for
    ``evalkit-panel``), else the common integer-coded frame ``id, year, y, g``
    (``g = 0`` never treated, sorted by id and year). Returns (contract or None, common or None)."""
    import numpy as np
    import pandas as pd

    raw = pd.read_parquet(path)
    if name in ("evalkit-contract", "evalkit-panel"):
        for c in ("year", "patients_mt", "msp_year"):  # the contract's nullable integers, as evalkit.io.load reads them
            raw[c] = raw[c].astype("Int64")
        if name == "evalkit-panel":
            from evalkit.estimators import prepare

            return prepare(raw, "gp_id", "year", "msp_year"), None
        return raw, None
    common = pd.DataFrame({
        "id": raw["gp_id"].str[2:].astype(np.int64),
        "year": raw["year"].astype(np.int64),
        "y": raw["patients_mt"].astype(np.float64),
        "g": raw["msp_year"].fillna(0).astype(np.int64),
    }).sort_values(["id", "year"], ignore_index=True)
    return None, common


def _status_mb(key: str) -> float | None:
    """VmRSS / VmHWM of this process in MB (None where /proc is not available)."""
    try:
        for ln in Path("/proc/self/status").read_text().splitlines():
            if ln.startswith(key + ":"):
                return int(ln.split()[1]) / 1024
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    """Reset the process's peak RSS (VmHWM) to its current RSS (Linux ≥ 4.0: ``5 > /proc/self/clear_refs``)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _run_impl(name: str, contract, common):
    """One estimation: returns (simple ATT, SE, {(g, t): ATT(g,t)})."""
    import numpy as np

    if name in ("evalkit", "evalkit-contract", "evalkit-panel"):
        from evalkit.estimators.staggered import callaway_santanna

        if name == "evalkit":
            r = callaway_santanna(common, "y", "id", "year", "g")
        elif name == "evalkit-panel":
            r = callaway_santanna(contract, "patients_mt")
        else:
            r = callaway_santanna(contract, "patients_mt", "gp_id", "year", "msp_year")
        gt = {(int(a.cohort), int(a.time)): float(a.estimate) for a in r.att_gt.itertuples()}
        return r.simple.estimate, r.simple.std_error, gt
    if name == "diff-diff":
        from diff_diff import CallawaySantAnna

        raw = CallawaySantAnna(control_group="never_treated", estimation_method="dr", n_bootstrap=0,
                               cband=False).fit(common, outcome="y", unit="id", time="year", first_treat="g")
        s = raw.aggregate("simple").to_dataframe().iloc[0]
        gt = {(int(g), int(t)): float(v["effect"]) for (g, t), v in raw.group_time_effects.items()}
        return float(s["att"]), float(s["se"]), gt
    if name == "moderndid":
        import moderndid

        m = moderndid.att_gt(common, yname="y", tname="year", idname="id", gname="g", est_method="dr",
                             control_group="nevertreated", base_period="varying", boot=False, cband=False)
        a = moderndid.aggte(m, type="simple")
        gt = {(int(g), int(t)): float(v) for g, t, v in zip(m.groups, m.times, m.att_gt)}
        return float(a.overall_att), float(a.overall_se), gt
    if name == "csdid":
        from csdid.att_gt import ATTgt

        c = ATTgt(yname="y", gname="g", idname="id", tname="year", data=common, control_group="nevertreated",
                  cband=False)
        c.fit(est_method="dr", base_period="varying", bstrap=False)
        c.aggte(typec="simple", bstrap=False, cband=False)
        res = c.results
        gt = {(int(g), int(t)): float(v) for g, t, v in zip(res["group"], res["year"], res["att"])}
        return float(c.atte["overall_att"]), float(c.atte["overall_se"]), gt
    if name == "differences":
        from differences import ATTgt

        d = common.assign(c=common["g"].where(common["g"] > 0).astype(float)).set_index(["id", "year"])
        a = ATTgt(data=d, cohort_column="c", base_period="varying")
        a.fit("y", est_method="dr", control_group="never_treated", progress_bar=False, n_jobs=1)
        s = a.aggregate("simple")
        res = a.results()
        att = res[("ATTgtElements", "", "ATT")]
        gt = {(int(g), int(t)): float(v) for (g, _b, t), v in att.items()}
        return (float(s[("SimpleAggregation", "", "ATT")].iloc[0]),
                float(s[("SimpleAggregation", "analytic", "std_error")].iloc[0]), gt)
    raise ValueError(name)


def _evalkit_breakdown(contract) -> dict:
    """Where evalkit's time goes on the contract frame: preparation, diff-diff fit and aggregations, influence matrix,
    evalkit's own aggregations and pre-test (one run of each step, as ``callaway_santanna`` chains them)."""
    import numpy as np
    import pandas as pd
    from diff_diff import CallawaySantAnna

    from evalkit.estimators import staggered as st

    out = {}

    def step(label, fn):
        t = time.perf_counter()
        res = fn()
        out[label] = time.perf_counter() - t
        return res

    panel = step("prepare (codes, checks)", lambda: st.prepare(contract, "gp_id", "year", "msp_year"))
    d = step("estimation frame", lambda: panel.frame("patients_mt")[0])
    raw = step("diff-diff fit", lambda: CallawaySantAnna(
        control_group="never_treated", estimation_method="dr", n_bootstrap=0, cband=False, pscore_trim=0.01).fit(
        d, outcome="patients_mt", unit="gp_id", time="year", first_treat=st.FT))
    step("diff-diff simple", lambda: raw.aggregate("simple").to_dataframe())
    es = step("diff-diff event study", lambda: raw.aggregate("event_study"))
    codes = d["gp_id"].to_numpy()
    first = np.r_[True, codes[1:] != codes[:-1]]
    gt = step("influence matrix", lambda: st.GroupTimeInfluence.from_diff_diff(raw))
    sizes = pd.Series(d[st.FT].to_numpy()[first]).value_counts()
    kw = dict(bootstrap=0, seed=0, n_units=int(first.sum()), n_obs=len(d))
    step("att_gt table", lambda: st._att_gt_table(raw, sizes, gt, 0, 0))
    step("cohort (incl. diff-diff group)", lambda: st._group(raw, gt, sizes, 0, **kw))
    step("event time", lambda: st._dynamic(es, gt, sizes, **kw))
    step("calendar", lambda: st._calendar(gt, sizes, 0, **kw))
    step("pre-test", lambda: st.wald_pretest(gt, 0))
    step("pre_mean", lambda: st._pre_mean(d, "patients_mt", "year", 0))
    return out


def worker(name: str, data: Path, runs: int) -> None:
    warnings.filterwarnings("ignore")
    os.environ.setdefault("MPLBACKEND", "Agg")
    import gc

    t = time.perf_counter()
    contract, common = _frames(data, name)
    load_s = time.perf_counter() - t
    # import the package before measuring the baseline (imports are part of "RSS after load", not of the estimation)
    __import__({"evalkit": "evalkit.estimators.staggered", "evalkit-contract": "evalkit.estimators.staggered",
                "evalkit-panel": "evalkit.estimators.staggered", "diff-diff": "diff_diff",
                "moderndid": "moderndid", "csdid": "csdid.att_gt",
                "differences": "differences"}[name])
    gc.collect()
    rss_before = _status_mb("VmRSS")
    reset = _reset_peak()  # from here VmHWM is the peak during the estimation runs
    t = time.perf_counter()
    att, se, gt = _run_impl(name, contract, common)
    warm = time.perf_counter() - t
    times, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        att, se, gt = _run_impl(name, contract, common)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    peak_est = _status_mb("VmHWM") if reset else None
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    breakdown = _evalkit_breakdown(contract) if name == REF else None
    frame = common if common is not None else (contract if name == REF else contract._df)
    from importlib import metadata

    print("RESULT " + json.dumps({
        "impl": name, "att": att, "se": se, "att_gt": {f"{g},{t}": v for (g, t), v in sorted(gt.items())},
        "warmup_s": warm, "times_s": times, "cpu_s": cpu, "load_s": load_s, "rss_before_mb": rss_before,
        "peak_est_mb": peak_est, "peak_life_mb": peak / 1024, "version": metadata.version(PACKAGES[name]),
        "n_units": int(frame.iloc[:, 0].nunique()), "n_obs": len(frame),
        "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS"), "breakdown_s": breakdown,
        "python": sys.executable,
    }), flush=True)


# --- parent --------------------------------------------------------------------------------------------------------


def ensure_bench_venv(log=print) -> Path:
    """The competitors' venv: requirements.txt + requirements-bench.txt + evalkit (editable), created once."""
    py = VENV_BENCH / "bin" / "python"
    stamp = VENV_BENCH / ".installed"
    reqs = [ROOT / "requirements.txt", ROOT / "benchmarks" / "requirements-bench.txt"]
    if stamp.exists() and all(stamp.stat().st_mtime >= r.stat().st_mtime for r in reqs):
        return py
    log(f"creating {VENV_BENCH} (requirements.txt + requirements-bench.txt), a few minutes")
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV_BENCH)], check=True)
    pip = [str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run(pip + ["-r", str(reqs[0]), "-r", str(reqs[1])], check=True)
    subprocess.run(pip + ["--no-deps", "--no-build-isolation", "-e", str(ROOT)], check=True)
    stamp.touch()
    return py


def make_data(scale: float, seed: int) -> Path:
    path = WORK / f"did_panel_scale{scale:g}_seed{seed}.parquet"
    if not path.exists():
        from evalkit.simulate.msp import simulate

        df = simulate(seed=seed, scale=scale)[["gp_id", "year", "patients_mt", "msp_year"]]
        df.attrs = {}
        WORK.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        df.to_parquet(tmp, index=False)
        tmp.replace(path)
    return path


def run_worker(name: str, py: Path, data: Path, runs: int, timeout: float, blas_threads: int | None = None) -> dict:
    env = dict(os.environ, PYTHONWARNINGS="ignore", MPLBACKEND="Agg")
    if blas_threads:
        env.update(OPENBLAS_NUM_THREADS=str(blas_threads), OMP_NUM_THREADS=str(blas_threads),
                   MKL_NUM_THREADS=str(blas_threads))
    cmd = [str(py), str(Path(__file__).resolve()), "--worker", name, "--data", str(data), "--runs", str(runs)]
    t = time.perf_counter()
    load0 = os.getloadavg()[0]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"impl": name, "error": f"timed out after {timeout:.0f} s (warm-up + {runs} runs)",
                "loadavg": f"{load0:.1f}→{os.getloadavg()[0]:.1f}"}
    loadavg = f"{load0:.1f}→{os.getloadavg()[0]:.1f}"
    wall = time.perf_counter() - t
    line = next((x for x in p.stdout.splitlines() if x.startswith("RESULT ")), None)
    if p.returncode != 0 or line is None:
        err = (p.stderr.strip().splitlines() or ["no output"])[-1]
        return {"impl": name, "error": f"exit {p.returncode}: {err[:300]}", "loadavg": loadavg}
    res = json.loads(line[len("RESULT "):])
    res["loadavg"] = loadavg
    res["worker_wall_s"] = wall
    return res


def machine() -> dict:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())
    mem = next(int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines()
               if ln.startswith("MemTotal"))
    import numpy

    return {"nproc": os.cpu_count(), "ram_gib": round(mem / 1024**2, 1), "cpu": cpu, "numpy": numpy.__version__,
            "python": platform.python_version(), "os": platform.platform()}


def fmt_s(x: float) -> str:
    return f"{x:.2f}" if x < 100 else f"{x:.0f}"


def _mem(r: dict) -> tuple[float, float, float]:
    """(RSS before the first estimation, peak RSS during the estimation runs, peak − before) in MB."""
    peak = r["peak_est_mb"] if r.get("peak_est_mb") is not None else r["peak_life_mb"]
    return r["rss_before_mb"], peak, peak - r["rss_before_mb"]


def table(results: list[dict], ref: dict | None) -> str:
    lines = ["| implementation | version | simple ATT | SE | max abs diff vs evalkit: ATT / SE / ATT(g,t) | "
             "median wall (s) | runs (s) | median CPU (s) | × evalkit (wall) | RSS before (MB) | "
             "peak RSS (MB) | peak − before (MB) | × evalkit (peak − before) | load avg |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    ok_ref = ref is not None and "error" not in ref
    for r in results:
        desc = IMPLS[r["impl"]][1]
        if "error" in r:
            lines.append(f"| {desc} | {r.get('version', '')} | — | — | failed: {r['error']} | — | — | — | — | — | — "
                         f"| — | — | {r.get('loadavg', '')} |")
            continue
        med = statistics.median(r["times_s"])
        before, peak, inc = _mem(r)
        if ok_ref:
            d_att = abs(r["att"] - ref["att"])
            d_se = abs(r["se"] - ref["se"])
            common = set(r["att_gt"]) & set(ref["att_gt"])
            d_gt = max((abs(r["att_gt"][k] - ref["att_gt"][k]) for k in common), default=float("nan"))
            extra = "" if len(common) == len(ref["att_gt"]) == len(r["att_gt"]) else \
                f" ({len(r['att_gt'])} vs {len(ref['att_gt'])} cells)"
            ok = "✓" if max(d_att, d_se, d_gt) <= TOL else "✗"
            diff = f"{d_att:.1e} / {d_se:.1e} / {d_gt:.1e} {ok}{extra}"
            ratio = f"{med / statistics.median(ref['times_s']):.2f}"
            ratio_m = f"{inc / _mem(ref)[2]:.2f}" if _mem(ref)[2] > 0 else "—"
        else:
            diff = ratio = ratio_m = "—"
        lines.append(
            f"| {desc} | {r['version']} | {r['att']:.6f} | {r['se']:.6f} | {diff} | {fmt_s(med)} | "
            f"{', '.join(fmt_s(x) for x in r['times_s'])} | {fmt_s(statistics.median(r['cpu_s']))} | {ratio} | "
            f"{before:.0f} | {peak:.0f} | {inc:.0f} | {ratio_m} | {r.get('loadavg', '')} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help=f"small panel (scale {QUICK_SCALE}: 2,500 GPs)")
    ap.add_argument("--scale", type=float, default=None, help="MSP scale (default NATIONAL_SCALE ≈ 10.4)")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--runs", type=int, default=3, help="timed runs after the warm-up")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per implementation (warm-up + runs)")
    ap.add_argument("--impls", default=",".join(IMPLS), help="comma-separated subset of " + ",".join(IMPLS))
    ap.add_argument("--blas-threads", type=int, default=None,
                    help="OPENBLAS_NUM_THREADS/OMP_NUM_THREADS for the workers (default: unset, i.e. all cores)")
    ap.add_argument("--json", default=str(WORK / "did_bench.json"))
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args.worker, Path(args.data), args.runs)
        return 0

    from evalkit.simulate.msp import NATIONAL_SCALE

    scale = args.scale if args.scale is not None else (QUICK_SCALE if args.quick else NATIONAL_SCALE)
    log = lambda m: print(f"[{time.strftime('%H:%M:%S')}] {m}", file=sys.stderr, flush=True)  # noqa: E731
    impls = [s.strip() for s in args.impls.split(",") if s.strip()]
    bad = [s for s in impls if s not in IMPLS]
    if bad:
        ap.error(f"unknown implementation(s) {bad}")
    log(f"panel: MSP scale {scale:g}, seed {args.seed}")
    t = time.perf_counter()
    data = make_data(scale, args.seed)
    log(f"panel ready ({time.perf_counter() - t:.1f} s): {data}")
    pys = {"project": Path(sys.executable) if not PROJECT_PY.exists() else PROJECT_PY}
    if any(IMPLS[i][0] == "bench" for i in impls):
        pys["bench"] = ensure_bench_venv(log)
    results = []
    for name in impls:
        log(f"{name}: warm-up + {args.runs} runs in a fresh process")
        r = run_worker(name, pys[IMPLS[name][0]], data, args.runs, args.timeout, args.blas_threads)
        log(f"{name}: " + (r["error"] if "error" in r else
                           f"median {statistics.median(r['times_s']):.2f} s, peak RSS {_mem(r)[1]:.0f} MB"))
        results.append(r)
    ref = next((r for r in results if r["impl"] == REF), None)
    ok = next((r for r in results if "error" not in r), None)
    m = machine()
    head = (f"MSP panel: {ok['n_units']:,} GPs × {ok['n_obs'] // ok['n_units']} years = {ok['n_obs']:,} rows "
            f"(scale {scale:g}, seed {args.seed}), outcome patients_mt, never-treated controls, no covariates, "
            f"dr, analytic SE; median of {args.runs} runs after a warm-up. Machine: {m['nproc']} cores, "
            f"{m['ram_gib']} GiB, {m['cpu']}, Python {m['python']}, numpy {m['numpy']} (OpenBLAS threads: "
            f"{args.blas_threads or 'default = all cores'}); {time.strftime('%Y-%m-%d')}. "
            "Load avg = 1-min load average before→after each worker (2 cores: above 2, other jobs competed). "
            "RSS before = the worker after reading the data and importing the package; peak RSS = its peak during "
            "the warm-up and timed runs."
            if ok else "every implementation failed")
    out = [head, "", table(results, ref)]
    if ref is not None and "error" not in ref:
        med = statistics.median(ref["times_s"])
        national = abs(scale - NATIONAL_SCALE) < 1e-9
        dd = next((r for r in results if r["impl"] == "diff-diff" and "error" not in r), None)
        if dd is None:
            verdict = "not assessed (diff-diff not run)"
        else:
            ratio = med / statistics.median(dd["times_s"])
            verdict = (("met" if ratio <= TARGET_RATIO else "missed") if national else "indicative only (not the "
                       "national panel)") + f": {ratio:.2f} × ({med:.2f} s vs {statistics.median(dd['times_s']):.2f} s)"
        out += ["", f"Target: evalkit on the contract frame, all aggregations + pre-test, ≤ {TARGET_RATIO:g} × raw "
                f"diff-diff fit + aggregate('simple') — {verdict}."]
        bd = ref["breakdown_s"]
        out += ["", "evalkit time by step (contract frame, one run): "
                + ", ".join(f"{k} {v:.2f} s" for k, v in bd.items())
                + f" (sum {sum(bd.values()):.2f} s)."]
    text = "\n".join(out)
    print(text)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({"machine": m, "scale": scale, "seed": args.seed, "runs": args.runs,
                                           "date": time.strftime("%Y-%m-%d"), "results": results,
                                           "markdown": text}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
