"""Benchmark: SNDS-shaped claims → the three contract tables (Asalée patient-year table, msp.csv and assistants.csv
with the GP-year panel), DuckDB vs Spark (a local standalone cluster, or ``local[2]``) vs plain pandas (Asalée table
only).

    .venv/bin/python benchmarks/claims_bench.py                      # 1 M, 10 M, 100 M claim lines, DuckDB + cluster
    .venv/bin/python benchmarks/claims_bench.py --lines 1e6 --engines duckdb,pandas   # a quick run
    .venv/bin/python benchmarks/claims_bench.py --engines duckdb,spark-cluster --spark-cluster-max-lines 2e7
    .venv/bin/python benchmarks/claims_bench.py --tables asalee      # the Asalée table alone (earlier benchmark)

Engines: ``duckdb`` (embedded, the default of ``evalkit claims``); ``spark-cluster`` — a Spark standalone cluster
this script starts on the machine (one master, one worker with ``--cluster-cores`` cores and ``--executor-memory``;
``spark-class org.apache.spark.deploy.master.Master`` / ``…worker.Worker`` from the pyspark package, in their own
process group) and stops at the end, also on error or Ctrl-C; the run is ``build_tables(engine="spark",
spark_master="spark://127.0.0.1:PORT")``, so the driver, the executor and the Python workers are separate processes
talking over the network as on a real cluster; ``spark`` — Spark ``local[2]`` in one JVM; ``pandas`` — the Asalée
rules written in plain pandas (below). The Spark runs are checked byte for byte against DuckDB's tables of the same
size (and all of them against the generator's truth).

For each size, synthetic claims are generated once with :func:`evalkit.claims.generate_claims` (DuckDB, straight to
Parquet; cached in ``benchmarks/_work/``), then each engine builds the tables (``--tables``) in a fresh subprocess while this
script samples the resident memory of the whole process tree (Python + DuckDB threads, or Python + the Spark JVM).
"Claim lines" are ER_PRS_F rows; the affiliated tables (ER_BIO_F, ER_CAM_F, ER_PHA_F, ER_ETE_F) come on top.
Every engine's tables are hashed; the report says whether each engine produced the generator's truth, byte for byte,
for every table it built (pandas implements the Asalée table only). Full results go to
``benchmarks/_work/claims_bench.json``; a compact summary (no local path) to ``benchmarks/results/claims_bench.json``,
which is committed and read by the guide (:func:`evalkit.guide.sizing`): each (size, engine) measured replaces its
previous entry there, so sizes can be run at different times (each entry keeps its own date, commit and load
average). The printed Markdown is what ``benchmarks/README.md`` records.

Limits (a run that exceeds them is stopped and reported as such): ``--timeout`` seconds per run, and for pandas an
address-space limit (``--pandas-memory``, GB) so that it fails with MemoryError instead of the kernel's OOM killer
(the machine is shared). DuckDB runs with 2 threads and ``memory_limit`` ``--duckdb-memory`` (spilling to disk
beyond); Spark ``local[2]`` with ``spark.driver.memory`` ``--spark-memory``; the cluster's executor with
``--executor-memory`` and the driver with ``--cluster-driver-memory``. The peak RSS of a cluster run sums the driver's
process tree and the master's and worker's (the executor JVM is the worker's child).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "_work"
RESULTS = ROOT / "benchmarks" / "results" / "claims_bench.json"
CORES = 2
YEARS = (2014, 2018)
# SCALPEL3 (arXiv 1910.07045): > 15 billion events (14.5 M patients, 3 years) in < 49 min on 15 nodes
SCALPEL_EVENTS, SCALPEL_SECONDS, SCALPEL_NODES = 15e9, 49 * 60, 15
GENERATOR = 2  # bump when evalkit.claims.synthetic changes what it writes: cached datasets are regenerated
TRUTH = {"asalee": "truth_asalee", "gp_panel": "truth_gp_panel", "msp": "truth_msp",
         "assistants": "truth_assistants"}


def bench_spec(n_patients: int, seed: int = 1):
    from evalkit.claims import SyntheticSpec

    return SyntheticSpec(n_patients=n_patients, first_year=YEARS[0], last_year=YEARS[1], seed=seed,
                         diabetic_share=0.06, asalee_gp_share=0.3, filler_lines=10.0)


def lines_per_person(log) -> float:
    """ER_PRS_F lines per person (whole period) of the benchmark spec, measured on a 20,000-person sample."""
    from evalkit.claims import generate_claims

    cal = WORK / "calibration.json"
    if cal.is_file():
        return json.loads(cal.read_text())["lines_per_person"]
    n = 20_000
    g = generate_claims(WORK / "calibration", bench_spec(n))
    lpp = g.rows["ER_PRS_F"] / n
    cal.write_text(json.dumps({"lines_per_person": lpp, "n": n}))
    log(f"calibration: {lpp:.1f} claim lines per person over {YEARS[1] - YEARS[0] + 1} years")
    return lpp


def dataset(target_lines: float, log) -> tuple[Path, dict]:
    """Generate (or reuse) the synthetic claims for a target number of ER_PRS_F lines."""
    from dataclasses import asdict

    from evalkit.claims import generate_claims

    n = max(2000, int(round(target_lines / lines_per_person(log))))
    spec = bench_spec(n)
    d = WORK / f"claims_{int(target_lines):d}"
    meta = d / "_truth" / "bench.json"
    if meta.is_file():
        old = json.loads(meta.read_text())
        if old.get("spec") == asdict(spec) and old.get("generator") == GENERATOR:
            return d, old
    log(f"generating {target_lines:,.0f} claim lines ({n:,} people) in {d} …")
    g = generate_claims(d, spec, threads=CORES, memory_limit="10GB", progress=log)
    truth = g.truth_asalee()
    info = {"spec": asdict(spec), "generator": GENERATOR, "rows": g.rows, "generation_seconds": g.seconds,
            "truth_sha": frame_sha(truth), "truth_rows": len(truth),
            "truth_shas": {t: frame_sha(getattr(g, f)()) for t, f in TRUTH.items()},
            "parquet_bytes": sum(f.stat().st_size for f in d.rglob("*.parquet") if "_truth" not in f.parts)}
    meta.write_text(json.dumps(info, indent=2))
    return d, info


def frame_sha(df) -> str:
    return hashlib.sha256(df.to_csv(index=False).encode()).hexdigest()[:16]


# --- plain pandas: the same rules, written as a pandas analyst would ----------------------------------------------

def pandas_asalee(claims_dir: Path):
    import numpy as np
    import pandas as pd
    import pyarrow.parquet as pq

    from evalkit.claims import load_codes
    from evalkit.claims.pipeline import _find_participation, find_table, normalize_asalee, read_participation
    from evalkit.claims.sql import JOIN_KEY

    K = list(JOIN_KEY)
    codes = load_codes()

    def read(table, cols):
        parts = [pq.read_table(f, columns=cols).to_pandas(date_as_object=False) for f in find_table(claims_dir, table)]
        return pd.concat(parts, ignore_index=True)

    def code_frame(system, as_int):
        c = codes[codes["code_system"] == system][["indicator", "code"]].copy()
        c["key"] = c["code"].astype("int64") if as_int else c["code"]
        return c

    prs = read("ER_PRS_F", K + ["BEN_NIR_PSA", "BEN_RNG_GEM", "EXE_SOI_DTD", "PRS_NAT_REF", "PRS_ACT_QTE", "DPN_QLF",
                                "PRS_DPN_QLP", "CPL_MAJ_TOP", "PFS_EXE_NUM", "PSE_SPE_COD"])
    yr = prs["EXE_SOI_DTD"].dt.year
    flx = prs["FLX_DIS_DTD"]
    keep = (~prs["DPN_QLF"].fillna(0).isin([71, 72]) & ~prs["PRS_DPN_QLP"].fillna(0).isin([71, 72])
            & ((flx.dt.year < yr + 1) | ((flx.dt.year == yr + 1) & (flx.dt.month < 7))))
    prs = prs[keep]
    ete = read("ER_ETE_F", K + ["ETE_IND_TAA"])
    ete = ete.loc[ete["ETE_IND_TAA"] == 1, K].drop_duplicates()
    prs = prs.merge(ete.assign(_public=1), on=K, how="left")
    prs = prs[prs["_public"].isna()].drop(columns="_public")

    bio = read("ER_BIO_F", K + ["BIO_PRS_IDE", "BIO_ACT_QSN"])
    bio = bio.merge(code_frame("NABM", True), left_on="BIO_PRS_IDE", right_on="key")
    bio = bio.assign(src="BIO", aqty=bio["BIO_ACT_QSN"].astype(float), gc=0, sglt2=0)
    cam = read("ER_CAM_F", K + ["CAM_PRS_IDE"])
    cam["key"] = cam["CAM_PRS_IDE"].astype(str).str.strip().str.upper()
    cam = cam.merge(code_frame("CCAM", False), on="key").assign(src="CAM", aqty=np.nan, gc=0, sglt2=0)
    ref = read("IR_PHA_R", ["PHA_CIP_C13", "PHA_ATC_C07", "PHA_CND_TOP"])
    atc = ref["PHA_ATC_C07"].astype(str).str.strip().str.upper()
    flags = {}
    for ind in ("diabetes_drug", "diabetes_drug_excluded", "sglt2"):
        prefixes = tuple(codes.loc[(codes["code_system"] == "ATC") & (codes["indicator"] == ind), "code"])
        flags[ind] = atc.str.startswith(prefixes) if prefixes else pd.Series(False, index=ref.index)
    ref = ref.assign(a10=flags["diabetes_drug"], excl=flags["diabetes_drug_excluded"], sglt2=flags["sglt2"].astype(int),
                     gc=(ref["PHA_CND_TOP"].astype(str).str.strip().str.upper() == "GC").astype(int))
    ref = ref[ref["a10"] | ref["excl"] | ref["sglt2"].astype(bool)]
    ref = ref.groupby("PHA_CIP_C13").agg(a10=("a10", "max"), excl=("excl", "max"), sglt2=("sglt2", "max"),
                                         gc=("gc", "max")).reset_index()
    ref = ref[ref["a10"] & ~ref["excl"]]
    pha = read("ER_PHA_F", K + ["PHA_PRS_C13", "PHA_ACT_QSN"]).merge(ref, left_on="PHA_PRS_C13",
                                                                      right_on="PHA_CIP_C13")
    pha = pha.assign(src="PHA", indicator="diabetes_drug", code=pha["PHA_PRS_C13"].astype(str),
                     aqty=pha["PHA_ACT_QSN"].astype(float))
    cols = K + ["src", "indicator", "code", "aqty", "gc", "sglt2"]
    bio["code"] = bio["key"].astype(str)
    aff = pd.concat([bio[cols], cam[cols], pha[cols]], ignore_index=True)

    lines = prs.merge(aff, on=K, how="left")
    consult = set(code_frame("PRS_NAT_REF", True).query("indicator == 'consultation'")["key"])
    spe = code_frame("PSE_SPE_COD", True)
    visit_spe = set(spe.loc[spe["indicator"].isin(["ecg_cardio", "fundus"]), "key"])
    is_visit = (lines["src"].isna() & (lines["CPL_MAJ_TOP"].fillna(0) < 2) & lines["PRS_NAT_REF"].isin(consult)
                & lines["PSE_SPE_COD"].isin(visit_spe))
    lines = lines[lines["src"].notna() | is_visit].copy()
    lines["src"] = lines["src"].fillna("VIS")
    lines["qty"] = np.where(lines["src"].isin(["VIS", "CAM"]), lines["PRS_ACT_QTE"], lines["aqty"])
    lines["gc"] = lines["gc"].fillna(0)
    lines["sglt2"] = lines["sglt2"].fillna(0)
    ben = read("IR_BEN_R", ["BEN_NIR_PSA", "BEN_RNG_GEM", "BEN_NIR_ANO", "BEN_NAI_ANN", "BEN_SEX_COD"])
    pairs = ben[["BEN_NIR_PSA", "BEN_RNG_GEM", "BEN_NIR_ANO"]].dropna().drop_duplicates()
    lines = lines.merge(pairs, on=["BEN_NIR_PSA", "BEN_RNG_GEM"])
    lines["yr"] = lines["EXE_SOI_DTD"].dt.year
    grp = ["BEN_NIR_ANO", "yr", "EXE_SOI_DTD", "PFS_EXE_NUM", "PSE_SPE_COD", "PRS_NAT_REF", "src", "indicator", "code"]
    ev = lines.groupby(grp, dropna=False).agg(gc=("gc", "max"), sglt2=("sglt2", "min"), qty=("qty", "sum"))
    ev = ev[ev["qty"] > 0].reset_index().rename(columns={"BEN_NIR_ANO": "patient"})

    disp = (ev[ev["src"] == "PHA"].groupby(["patient", "yr", "EXE_SOI_DTD"])
            .agg(gc=("gc", "max"), only=("sglt2", "min")).reset_index())
    d = disp.groupby(["patient", "yr"]).agg(n=("gc", "size"), gc=("gc", "max"), only=("only", "min")).reset_index()
    d = d[((d["n"] >= 3) | ((d["n"] >= 2) & (d["gc"] == 1))) & ~((d["yr"] >= 2022) & (d["only"] == 1))]
    diab = d[["patient", "yr"]]

    mtt = read("IR_MTT_R", ["BEN_NIR_PSA", "BEN_RNG_GEM", "MTT_PFS_NUM", "MTT_DEP_DTE", "MTT_FIN_DTE"])
    mtt = mtt.merge(pairs, on=["BEN_NIR_PSA", "BEN_RNG_GEM"]).rename(columns={"BEN_NIR_ANO": "patient"})
    mtt = mtt[mtt["patient"].isin(set(diab["patient"])) & mtt["MTT_PFS_NUM"].notna() & mtt["MTT_DEP_DTE"].notna()]
    fin = mtt["MTT_FIN_DTE"].where(mtt["MTT_FIN_DTE"] >= pd.Timestamp("1900-01-01"))
    mtt = mtt.assign(fin=fin)
    years = pd.DataFrame({"yr": sorted(ev["yr"].unique())})
    x = mtt.merge(years, how="cross")
    start, end = pd.to_datetime(x["yr"].astype(str) + "-12-31"), pd.to_datetime(x["yr"].astype(str) + "-01-01")
    x = x[(x["MTT_DEP_DTE"] <= start) & (x["fin"].isna() | (x["fin"] >= end))]
    x = x.assign(fin_key=x["fin"].fillna(pd.Timestamp.max))
    x = x.sort_values(["patient", "yr", "MTT_DEP_DTE", "fin_key", "MTT_PFS_NUM"],
                      ascending=[True, True, False, False, False]).drop_duplicates(["patient", "yr"])
    gp_map = {}
    if find_table(claims_dir, "DA_PRA_R"):
        pra = read("DA_PRA_R", ["PFS_PFS_NUM", "STA_PFS_NUM"]).dropna(subset=["PFS_PFS_NUM"])
        sta = pra["STA_PFS_NUM"].astype("string").str.strip()
        pra = pra.assign(gp=sta.where(sta.notna() & (sta != ""), pra["PFS_PFS_NUM"]))
        gp_map = pra.groupby("PFS_PFS_NUM")["gp"].max().to_dict()
    x["gp_id"] = x["MTT_PFS_NUM"].map(gp_map).fillna(x["MTT_PFS_NUM"])
    mt = x[["patient", "yr", "gp_id"]]

    spe_ind = spe[spe["indicator"].isin(["ecg_cardio", "fundus"])][["indicator", "key"]]
    ie = pd.concat([ev.loc[ev["src"].isin(["BIO", "CAM"]), ["patient", "yr", "EXE_SOI_DTD", "indicator"]],
                    ev[ev["src"] == "VIS"].drop(columns="indicator").merge(spe_ind, left_on="PSE_SPE_COD",
                                                                           right_on="key")
                    [["patient", "yr", "EXE_SOI_DTD", "indicator"]]], ignore_index=True)
    hb = ie[ie["indicator"] == "hba1c"].groupby(["patient", "yr"])["EXE_SOI_DTD"].nunique().ge(3).astype(int)
    ind = pd.crosstab([ie["patient"], ie["yr"]], ie["indicator"]).clip(upper=1)
    ind = ind.reindex(columns=["microalb", "creatinine", "lipids", "ecg_cardio", "fundus"], fill_value=0)
    ind["hba1c_3plus"] = hb.reindex(ind.index, fill_value=0)
    ind = ind.reset_index()

    sex_ok = pd.to_numeric(ben["BEN_SEX_COD"], errors="coerce")
    birth = pd.to_numeric(ben["BEN_NAI_ANN"], errors="coerce")
    pers = ben.assign(sex=sex_ok, birth=birth)
    pers = pers[pers["BEN_NIR_ANO"].notna() & pers["sex"].isin([1, 2]) & pers["birth"].between(1880, 2100)]
    pers = pers.groupby("BEN_NIR_ANO").agg(birth=("birth", "min"), sex=("sex", "min")).reset_index()
    pers = pers.rename(columns={"BEN_NIR_ANO": "patient"})

    gp_rows, pt_rows = [], []
    part = _find_participation(claims_dir)
    if part is not None:
        gp_rows, pt_rows = read_participation(part)
    ag = pd.DataFrame(gp_rows, columns=["gp_id", "asalee_year"])
    ag["gp_id"] = ag["gp_id"].map(gp_map).fillna(ag["gp_id"])
    ag = ag.groupby("gp_id")["asalee_year"].min().reset_index()
    fol = pd.DataFrame(pt_rows, columns=["patient", "yr"]).drop_duplicates().assign(listed=1)

    out = diab.merge(mt, on=["patient", "yr"]).merge(pers, on="patient")
    out = out.merge(ind, on=["patient", "yr"], how="left")
    prev = ind[["patient", "yr", "fundus"]].assign(yr=lambda t: t["yr"] + 1).rename(columns={"fundus": "fundus_prev"})
    out = out.merge(prev, on=["patient", "yr"], how="left").merge(ag, on="gp_id", how="left")
    out = out.merge(fol, on=["patient", "yr"], how="left")
    out["nurse_followed"] = ((out["listed"] == 1) & out["asalee_year"].notna()
                             & (out["asalee_year"] <= out["yr"])).astype(int)
    for c in ("hba1c_3plus", "microalb", "creatinine", "lipids", "ecg_cardio", "fundus", "fundus_prev"):
        out[c] = out[c].fillna(0).astype(int)
    out["fundus_2y"] = ((out["fundus"] == 1) | (out["fundus_prev"] == 1)).astype(int)
    out["age"] = out["yr"] - out["birth"]
    out["sex"] = np.where(out["sex"] == 2, "F", "M")
    out = out.rename(columns={"patient": "patient_id"})
    return normalize_asalee(out)


# --- one run, in its own process ----------------------------------------------------------------------------------

def run_one(engine: str, claims_dir: Path, out_json: Path, args) -> None:
    t0 = time.perf_counter()
    if engine == "pandas":
        gb = int(args.pandas_memory * 1024**3)
        resource.setrlimit(resource.RLIMIT_AS, (gb, gb))
        tables = {"asalee": pandas_asalee(claims_dir)}
        t_start = t0
    else:
        from evalkit.claims import ClaimsOptions, build_tables

        spark = None
        if engine in ("spark", "spark-cluster"):
            from evalkit.claims import spark_session

            (WORK / "spark_tmp").mkdir(parents=True, exist_ok=True)
            if engine == "spark":
                spark = spark_session(f"local[{CORES}]", {"spark.driver.memory": args.spark_memory,
                                                          "spark.local.dir": str(WORK / "spark_tmp")})
            else:  # the standalone cluster started by main(): driver here, executor in the worker's JVM child
                spark = spark_session(args.master, {
                    "spark.driver.memory": args.cluster_driver_memory, "spark.driver.host": "127.0.0.1",
                    "spark.driver.bindAddress": "127.0.0.1", "spark.executor.memory": args.executor_memory,
                    "spark.executor.cores": str(args.cluster_cores), "spark.cores.max": str(args.cluster_cores),
                    "spark.local.dir": str(WORK / "spark_tmp"), "spark.ui.enabled": "false",
                    "spark.sql.shuffle.partitions": str(args.shuffle_partitions)})
        t_start = time.perf_counter()
        opts = ClaimsOptions(duckdb_threads=CORES, duckdb_memory_limit=args.duckdb_memory,
                             temp_dir=str(WORK / "duckdb_tmp"))
        want = args.tables.split(",")
        res = build_tables(claims_dir, engine="spark" if engine == "spark-cluster" else engine, tables=want,
                           options=opts, spark=spark)
        tables = {t: getattr(res, t) for t in want}
    t1 = time.perf_counter()
    if engine.startswith("spark"):
        spark.stop()  # not timed: the tables are in the driver's memory
    out_json.write_text(json.dumps({"seconds": t1 - t0, "seconds_without_startup": t1 - t_start,
                                    "rows": len(tables["asalee"]) if "asalee" in tables else None,
                                    "sha": frame_sha(tables["asalee"]) if "asalee" in tables else None,
                                    "table_rows": {t: len(df) for t, df in tables.items()},
                                    "shas": {t: frame_sha(df) for t, df in tables.items()}}))


def tree_procs(proc) -> list:
    import psutil

    try:
        return [proc] + proc.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def tree_rss(proc) -> int:
    import psutil

    try:
        procs = [proc] + proc.children(recursive=True)
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def measure(engine: str, claims_dir: Path, args, cluster: "LocalCluster | None" = None) -> dict:
    import psutil

    out_json = WORK / f"run_{engine}.json"
    out_json.unlink(missing_ok=True)
    cmd = [sys.executable, __file__, "--run", engine, "--claims", str(claims_dir), "--result", str(out_json),
           "--pandas-memory", str(args.pandas_memory), "--duckdb-memory", args.duckdb_memory,
           "--spark-memory", args.spark_memory, "--tables", args.tables,
           "--executor-memory", args.executor_memory, "--cluster-driver-memory", args.cluster_driver_memory,
           "--cluster-cores", str(args.cluster_cores), "--shuffle-partitions", str(args.shuffle_partitions)]
    if engine == "spark-cluster":
        cmd += ["--master", cluster.url]
    others = [psutil.Process(p.pid) for p in cluster.procs] if engine == "spark-cluster" else []
    err_file = WORK / f"run_{engine}.stderr"  # a file, not a pipe: Spark's start-up logs would fill a pipe
    loads, last_load = [os.getloadavg()[0]], time.perf_counter()
    # CPU seconds: the run's process (reaped: RUSAGE_CHILDREN of this process, which reaps nothing else meanwhile)
    # plus, on the cluster, what the master, worker and executor JVMs used during the run (sampled)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cluster_cpu: dict[int, list[float]] = {}
    t0 = time.perf_counter()
    with open(err_file, "w") as errf:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=errf, start_new_session=True)
    ps = psutil.Process(proc.pid)
    peak, status = 0, "ok"
    while proc.poll() is None:
        peak = max(peak, tree_rss(ps) + sum(tree_rss(o) for o in others))
        for o in others:
            for q in tree_procs(o):
                try:
                    c = q.cpu_times()
                except psutil.Error:
                    continue
                cluster_cpu.setdefault(q.pid, [c.user + c.system, 0.0])[1] = c.user + c.system
        if time.perf_counter() - last_load >= 1.0:
            loads.append(os.getloadavg()[0])
            last_load = time.perf_counter()
        if time.perf_counter() - t0 > args.timeout:
            os.killpg(proc.pid, 9)  # this run's own process group only
            status = f"stopped after {args.timeout:.0f} s"
            break
        time.sleep(0.2)
    proc.wait()
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    cpu += sum(max(last - first, 0.0) for first, last in cluster_cpu.values())
    err = err_file.read_text(errors="replace")
    if status == "ok" and (proc.returncode != 0 or not out_json.is_file()):
        lines = err.strip().splitlines()
        errs = [ln for ln in lines if "Error" in ln or "Exception" in ln]  # not the last Spark WARN line
        last = (errs or lines)[-1][:160] if lines else proc.returncode
        status = "MemoryError" if "MemoryError" in err else f"failed ({last})"
    res = json.loads(out_json.read_text()) if status == "ok" else {}
    return {"engine": engine, "status": status, "peak_rss_gb": peak / 1024**3, "date": time.strftime("%Y-%m-%d"),
            "cpu_seconds": cpu,
            "load_start": loads[0], "load_mean": sum(loads) / len(loads), "load_max": max(loads), **res}


def _free_port() -> int:
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        return so.getsockname()[1]


class LocalCluster:
    """A Spark standalone cluster on this machine: one master and one worker, each a JVM started with the pyspark
    package's ``bin/spark-class`` in its own process group (so that stopping it kills the executors it launched and
    nothing else). Use as a context manager: the cluster is stopped on exit, also after an error or Ctrl-C."""

    def __init__(self, cores: int, memory: str, log, timeout: float = 90):
        import pyspark

        self.home = Path(pyspark.__file__).parent
        self.cores, self.memory, self.log, self.timeout = cores, memory, log, timeout
        self.dir = WORK / "spark_cluster"
        self.procs: list[subprocess.Popen] = []
        self.port = _free_port()
        self.url = f"spark://127.0.0.1:{self.port}"
        self.start_seconds = None

    def _spawn(self, name: str, args: list[str], ready: str) -> None:
        env = dict(os.environ, SPARK_HOME=str(self.home), PYSPARK_PYTHON=sys.executable,
                   PYSPARK_DRIVER_PYTHON=sys.executable, SPARK_LOCAL_IP="127.0.0.1",
                   SPARK_LOCAL_DIRS=str(WORK / "spark_tmp"), SPARK_LOG_DIR=str(self.dir), SPARK_WORKER_DIR=str(self.dir / "work"))
        logf = self.dir / f"{name}.log"
        p = subprocess.Popen([str(self.home / "bin" / "spark-class"), *args], env=env, stdout=open(logf, "w"),
                             stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(p)
        t0 = time.monotonic()
        while ready not in logf.read_text(errors="replace"):
            if p.poll() is not None or time.monotonic() - t0 > self.timeout:
                tail = logf.read_text(errors="replace").strip().splitlines()[-5:]
                raise RuntimeError(f"spark {name} did not start: " + " | ".join(tail))
            time.sleep(0.3)

    def __enter__(self) -> "LocalCluster":
        self.dir.mkdir(parents=True, exist_ok=True)
        (WORK / "spark_tmp").mkdir(parents=True, exist_ok=True)
        t0 = time.monotonic()
        try:
            self._spawn("master", ["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port",
                                   str(self.port), "--webui-port", str(_free_port())], "I have been elected leader")
            self._spawn("worker", ["org.apache.spark.deploy.worker.Worker", self.url, "--host", "127.0.0.1",
                                   "--cores", str(self.cores), "--memory", self.memory, "--webui-port",
                                   str(_free_port()), "--work-dir", str(self.dir / "work")],
                        "Successfully registered with master")
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - t0
        self.log(f"spark cluster up in {self.start_seconds:.1f} s: master {self.url}, one worker "
                 f"({self.cores} cores, {self.memory}); logs in {self.dir}")
        return self

    def stop(self) -> None:
        for p in reversed(self.procs):  # worker first: it kills its executors on SIGTERM
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)  # this cluster's own process group only
                except ProcessLookupError:
                    continue
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
            try:  # an executor still alive in the group after its worker exited
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.procs = []

    def __exit__(self, *exc) -> None:
        self.stop()
        self.log("spark cluster stopped")


def machine() -> dict:
    import duckdb
    import pandas
    import psutil
    import pyspark

    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gb": round(psutil.virtual_memory().total / 1024**3, 1),
            "os": platform.platform(), "python": platform.python_version(), "duckdb": duckdb.__version__,
            "pyspark": pyspark.__version__, "pandas": pandas.__version__, "java": java_version()}


def java_version() -> str:
    try:
        out = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr
        return out.splitlines()[0] if out else "?"
    except OSError:
        return "?"


ENGINE_SETUP = {
    "duckdb": "DuckDB embarqué, {cores} threads, memory_limit {duckdb_memory}",
    "spark-cluster": "Spark standalone : un master et un worker sur la machine ({cluster_cores} cœurs, exécuteur "
                     "{executor_memory}, driver {cluster_driver_memory}, {shuffle_partitions} partitions de "
                     "shuffle)",
    "spark": "Spark local[{cores}], driver {spark_memory}",
    "pandas": "pandas seul (table Asalée), mémoire adressable limitée à {pandas_memory:g} Go",
}


def commit() -> str:
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()[:10]
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        return sha + ("+modified" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "?"


def _no_paths(text: str) -> str:
    return text.replace(str(WORK), "_work").replace(str(ROOT), ".").replace(str(Path.home()), "~")


def update_summary(results: dict, path: Path = RESULTS) -> dict:
    """Merge this session's runs into the committed compact summary: an entry per (target size, engine), replaced
    when measured again. No local path, no per-process detail: what the guide and the README need."""
    old = json.loads(path.read_text()) if path.is_file() else {}
    runs = {(r["target_lines"], r["engine"]): r for r in old.get("runs", [])}
    for s in results["sizes"]:
        duck = next((r for r in s["runs"] if r["engine"] == "duckdb" and r["status"] == "ok"), None)
        if duck is None:  # a DuckDB run of the same data from an earlier session
            prev = runs.get((s["target"], "duckdb"))
            if prev and prev.get("status") == "ok" and prev.get("truth_shas") == s["truth_shas"]:
                duck = prev
        for r in s["runs"]:
            ok = r["status"] == "ok"
            shas = r.get("shas", {})
            checked = {t: v for t, v in shas.items() if t in s["truth_shas"]}
            e = {"target_lines": s["target"], "prs_lines": s["prs_lines"], "all_er_rows": s["all_rows"],
                 "parquet_gb": round(s["parquet_gb"], 3), "engine": r["engine"],
                 "engine_setup": ENGINE_SETUP[r["engine"]].format(**results["settings"]), "status": _no_paths(r["status"]),
                 "tables": list(shas) if ok else [], "seconds": round(r["seconds"], 1) if ok else None,
                 "seconds_without_startup": round(r["seconds_without_startup"], 1) if ok else None,
                 "peak_rss_gb": round(r.get("peak_rss_gb", 0.0), 2),
                 "cpu_seconds": round(r["cpu_seconds"], 1) if ok and r.get("cpu_seconds") is not None else None,
                 "table_rows": r.get("table_rows", {}),
                 "shas": shas, "truth_shas": s["truth_shas"],
                 "equals_truth": bool(checked) and all(v == s["truth_shas"][t] for t, v in checked.items())
                 if ok else None,
                 "equals_duckdb": (all(v == duck["shas"].get(t) for t, v in shas.items()) if ok and duck and
                                   r["engine"] != "duckdb" else None),
                 "load_avg": {"start": round(r["load_start"], 2), "mean": round(r["load_mean"], 2),
                              "max": round(r["load_max"], 2)},
                 "date": r["date"], "commit": results["commit"], "machine": results["machine"]}
            if r["engine"] == "spark-cluster" and results.get("cluster_start_s") is not None:
                e["cluster_start_seconds"] = round(results["cluster_start_s"], 1)
            runs[(s["target"], r["engine"])] = e
    order = {"duckdb": 0, "spark-cluster": 1, "spark": 2, "pandas": 3}
    out = {"benchmark": "benchmarks/claims_bench.py",
           "what": "SNDS-shaped synthetic claims (Parquet) -> the contract tables with evalkit.claims.build_tables; "
                   "seconds from process start (Python, Spark session) to the tables in memory; cpu_seconds: user + system "
                   "CPU time of the run (for spark-cluster also the master's, worker's and executor's during the run), "
                   "less sensitive than seconds to other jobs on a shared machine; peak RSS of the whole process tree "
                   "(for spark-cluster: driver + master + worker + executor)",
           "runs": sorted(runs.values(), key=lambda r: (r["target_lines"], order.get(r["engine"], 9)))}
    path.parent.mkdir(parents=True, exist_ok=True)
    runs_text = ",\n".join("  " + json.dumps(r, ensure_ascii=False) for r in out["runs"])  # one line per run
    head = json.dumps({k: v for k, v in out.items() if k != "runs"}, indent=1, ensure_ascii=False)[:-2]
    path.write_text(f'{head},\n "runs": [\n{runs_text}\n ]\n}}\n')
    json.loads(path.read_text())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", default="1e6,1e7,1e8", help="target ER_PRS_F lines per size (comma-separated)")
    ap.add_argument("--engines", default="duckdb,spark-cluster",
                    help="among duckdb, spark-cluster, spark (local[2]), pandas (comma-separated)")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per run before it is stopped")
    ap.add_argument("--pandas-memory", type=float, default=16, help="GB of address space for pandas")
    ap.add_argument("--pandas-max-lines", type=float, default=3e7,
                    help="skip pandas above this size (its memory grows ~ 1 GB per 2 M lines here)")
    ap.add_argument("--spark-max-lines", type=float, default=1.5e8,
                    help="skip spark and spark-cluster above this size")
    ap.add_argument("--duckdb-memory", default="6GB")
    ap.add_argument("--spark-memory", default="8g")
    ap.add_argument("--cluster-cores", type=int, default=CORES, help="cores of the cluster's worker")
    ap.add_argument("--executor-memory", default="8g", help="memory of the cluster's executor")
    ap.add_argument("--cluster-driver-memory", default="4g", help="memory of the driver of a cluster run")
    ap.add_argument("--shuffle-partitions", type=int, default=16,
                    help="spark.sql.shuffle.partitions of a cluster run (Spark's default, 200, is for many cores)")
    ap.add_argument("--tables", default="asalee,gp_panel,msp,assistants",
                    help="tables the DuckDB and Spark runs build (comma-separated; pandas builds asalee only)")
    ap.add_argument("--no-summary", action="store_true",
                    help="do not merge the results into benchmarks/results/claims_bench.json")
    ap.add_argument("--run", help=argparse.SUPPRESS)
    ap.add_argument("--claims", help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    ap.add_argument("--master", help=argparse.SUPPRESS)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    if args.run:
        run_one(args.run, Path(args.claims), Path(args.result), args)
        return

    WORK.mkdir(parents=True, exist_ok=True)

    def log(msg: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

    engines = args.engines.split(",")
    unknown = set(engines) - set(ENGINE_SETUP)
    if unknown:
        raise SystemExit(f"unknown engine(s): {', '.join(sorted(unknown))}")
    results = {"machine": machine(), "commit": commit(), "tables": args.tables.split(","),
               "load_avg_start": os.getloadavg(), "sizes": [],
               "settings": {"cores": CORES, "duckdb_memory": args.duckdb_memory, "spark_memory": args.spark_memory,
                            "cluster_cores": args.cluster_cores, "executor_memory": args.executor_memory,
                            "cluster_driver_memory": args.cluster_driver_memory,
                            "shuffle_partitions": args.shuffle_partitions,
                            "pandas_memory": args.pandas_memory}}
    cluster = LocalCluster(args.cluster_cores, args.executor_memory.upper().rstrip("B"), log) \
        if "spark-cluster" in engines else None
    try:
        if cluster is not None:
            cluster.__enter__()
            results["cluster_start_s"] = cluster.start_seconds
        for target in (float(x) for x in args.lines.split(",")):
            d, info = dataset(target, log)
            size = {"target": target, "prs_lines": info["rows"]["ER_PRS_F"],
                    "all_rows": sum(v for k, v in info["rows"].items() if k.startswith("ER_")),
                    "parquet_gb": info["parquet_bytes"] / 1024**3, "generation_s": info["generation_seconds"],
                    "truth_sha": info["truth_sha"], "truth_rows": info["truth_rows"],
                    "truth_shas": info["truth_shas"], "runs": []}
            for eng in engines:
                skip = None
                if eng == "pandas" and info["rows"]["ER_PRS_F"] > args.pandas_max_lines:
                    skip = (f"not run (> {args.pandas_max_lines:,.0f} lines: would need > {args.pandas_memory:.0f} "
                            "GB)")
                elif eng.startswith("spark") and info["rows"]["ER_PRS_F"] > args.spark_max_lines:
                    skip = f"not run (> {args.spark_max_lines:,.0f} lines, --spark-max-lines)"
                if skip:
                    size["runs"].append({"engine": eng, "status": skip, "date": time.strftime("%Y-%m-%d"),
                                         "load_start": os.getloadavg()[0], "load_mean": 0.0, "load_max": 0.0})
                    continue
                log(f"{eng} on {info['rows']['ER_PRS_F']:,} lines …")
                r = measure(eng, d, args, cluster)
                r["load_avg"] = os.getloadavg()[0]
                log(f"  {r}")
                size["runs"].append(r)
            results["sizes"].append(size)
            (WORK / "claims_bench.json").write_text(json.dumps(results, indent=2))
    finally:
        if cluster is not None:
            cluster.__exit__(None, None, None)
    results["load_avg_end"] = os.getloadavg()
    (WORK / "claims_bench.json").write_text(json.dumps(results, indent=2))
    if not args.no_summary:
        update_summary(results)
        log(f"summary merged into {RESULTS.relative_to(ROOT)}")
    print(report(results))


def report(results: dict) -> str:
    m = results["machine"]
    rows = ["| claim lines (ER_PRS_F) | all ER_* rows | engine | tables | seconds | CPU seconds | lines/s/core "
            "| peak RSS (GB) | × DuckDB time | output = truth | = DuckDB | load avg (mean, max) |",
            "|---:|---:|---|---|---:|---:|---:|---:|---:|---|---|---|"]
    best = None
    for s in results["sizes"]:
        duck = next((r for r in s["runs"] if r["engine"] == "duckdb" and r["status"] == "ok"), None)
        base = duck["seconds"] if duck else None
        for r in s["runs"]:
            load = f"{r.get('load_mean', 0):.1f}, {r.get('load_max', 0):.1f}"
            if r["status"] != "ok":
                rows.append(f"| {s['prs_lines']:,} | {s['all_rows']:,} | {r['engine']} | — | — | — | — | "
                            f"{r.get('peak_rss_gb', 0):.1f} | — | {r['status']} | — | {load} |")
                continue
            lps = s["prs_lines"] / r["seconds"] / CORES
            ratio = f"{r['seconds'] / base:.1f}" if base else "—"
            checked = {t: sha for t, sha in r.get("shas", {"asalee": r.get("sha")}).items() if t in s["truth_shas"]}
            same = "yes" if checked and all(sha == s["truth_shas"][t] for t, sha in checked.items()) else "NO"
            built = ", ".join(r.get("shas", {"asalee": None}))
            vs = "—" if r["engine"] == "duckdb" or not duck else (
                "yes" if all(v == duck["shas"].get(t) for t, v in r["shas"].items()) else "NO")
            cpu = f"{r['cpu_seconds']:.1f}" if r.get("cpu_seconds") is not None else "—"
            rows.append(f"| {s['prs_lines']:,} | {s['all_rows']:,} | {r['engine']} | {built} | {r['seconds']:.1f} | "
                        f"{cpu} | {lps:,.0f} | {r['peak_rss_gb']:.1f} | {ratio} | {same} ({', '.join(checked)}) | {vs} | "
                        f"{load} |")
            if r["engine"] == "duckdb":
                best = (s["prs_lines"], r["seconds"])
    out = ["## Claims → contract tables (results)", "",
           f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM; {m['os']}; Python {m['python']}, "
           f"DuckDB {m['duckdb']}, PySpark {m['pyspark']} ({m['java']}), pandas {m['pandas']}; commit "
           f"{results['commit']}, {time.strftime('%Y-%m-%d')}. Load average at start {results['load_avg_start'][0]:.1f}, "
           f"at end {results['load_avg_end'][0]:.1f} (shared machine)."
           + (f" Spark cluster start-up (master + worker): {results['cluster_start_s']:.1f} s, not included."
              if results.get("cluster_start_s") else ""), "", *rows, ""]
    if best:
        rate = best[0] / best[1]
        scalpel = SCALPEL_EVENTS / SCALPEL_SECONDS
        hours = SCALPEL_EVENTS / rate / 3600
        out += [f"Extrapolation (linear, DuckDB rate at {best[0]:,} lines = {rate:,.0f} lines/s on {CORES} cores): "
                f"SCALPEL3's 15 billion events would take {hours:.1f} h on this one machine; SCALPEL3 did them in "
                f"< 49 min on {SCALPEL_NODES} nodes ({scalpel:,.0f} events/s, {scalpel / SCALPEL_NODES:,.0f} per "
                f"node); matching 49 min would take ≈ {scalpel / rate:.0f} machines like this one."]
    return "\n".join(out)


if __name__ == "__main__":
    main()
