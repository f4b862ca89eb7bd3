"""The evaluator-like data and the one real `evalkit run` that tests/test_run_e2e.py and tests/test_replication.py
share (session fixtures ``user_data`` and ``run_out`` in conftest.py: a full run costs minutes on 2 cores)."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

EFFECT_MT = 50.0  # planted effect on patients_mt (patients), constant after entry


def independent_msp(seed: int = 11) -> pd.DataFrame:
    """A GP panel with staggered MSP entry and selection on levels, drawn without evalkit."""
    rng = np.random.default_rng(seed)
    n, years = 1500, np.arange(2012, 2022)
    rur = rng.choice(["urban", "periurban", "rural"], n, p=[0.6, 0.2, 0.2])
    rural = rur == "rural"
    p_entry = np.where(rural, 0.35, 0.12)
    entry = np.where(rng.random(n) < p_entry, rng.choice([2015, 2016, 2017, 2018], n), 0)
    level = 900 + 120 * rural + 80 * (entry > 0) + rng.normal(0, 150, n)  # entrants already larger
    rows = []
    for t in years:
        treated = (entry > 0) & (t >= entry)
        mt = level + 8 * (t - years[0]) + EFFECT_MT * treated + rng.normal(0, 25, n)
        rows.append(pd.DataFrame({
            "gp_id": [f"M{i:05d}" for i in range(n)], "year": t, "patients_mt": np.round(mt).astype(int),
            "file_active": np.round(mt * 1.7 + rng.normal(0, 40, n)).astype(int),
            "fees": np.round(90 * mt + rng.normal(0, 2000, n), 2), "age": np.round(40 + 10 * rng.random(n), 1),
            "female": (np.arange(n) % 3 == 0).astype(int), "rurality": rur,
            "department": np.where(np.arange(n) % 7 == 0, "2A", "69"),
            "msp_year": np.where(entry > 0, entry, np.nan)}))
    df = pd.concat(rows, ignore_index=True)
    df["msp_year"] = df["msp_year"].astype("Int64")
    return df


def _evalkit(*args, timeout=1500, **kw):
    env = dict(os.environ)
    env.pop("EVALKIT_DATA", None)
    env.pop("EVALKIT_RESULTS_DIR", None)
    return subprocess.run([sys.executable, "-m", "evalkit.cli", "--quiet", *args], capture_output=True, text=True,
                          timeout=timeout, env=env, **kw)


def write_user_data(d: Path) -> Path:
    from evalkit.simulate import asalee, assistants

    independent_msp().to_csv(d / "msp.csv", sep=";", decimal=",", index=False, encoding="latin-1")
    a = asalee.simulate(seed=5, scale=0.4)
    a.attrs = {}  # the planted truth rides in attrs; an extract has none
    a.to_parquet(d / "asalee.parquet")
    am = assistants.simulate(seed=9, scale=0.6)
    full = am.loc[am.am_option == "full", "gp_id"].unique()
    am = am[~am.gp_id.isin(full[6:])]  # keep 6 full-time GPs: a cell below the disclosure threshold
    am.to_csv(d / "assistants.csv", index=False)
    return d


RUN_ARGS = ("--seed", "7")


def run_into(user_data: Path, out: Path) -> Path:
    before = {p.name: p.stat().st_mtime for p in user_data.iterdir()}
    r = _evalkit("run", "--data", str(user_data), "--out", str(out), *RUN_ARGS)
    assert r.returncode == 0, r.stderr[-3000:]
    assert {p.name: p.stat().st_mtime for p in user_data.iterdir()} == before  # inputs untouched
    return out
