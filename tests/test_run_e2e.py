"""`evalkit run` as an evaluator runs it, on data evalkit has never seen, in the formats evaluators have.

- MSP: a panel drawn here by an independent data-generating process (not evalkit's generator), written as a French
  CSV (`;`, decimal comma, Latin-1); its headline estimate must cover the effect planted here.
- Asalée: evalkit's generator with another seed and other planted effects, as Parquet.
- Assistants: evalkit's generator with another seed, and only 6 full-time contracts left (a small cell).
Then: an interrupted run leaves the previous output intact.
"""

import html as html_mod
import json
import os
import re
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from e2e_run import EFFECT_MT  # the fixtures user_data and run_out (one real run, shared): conftest.py


def test_run_writes_results_manifest_and_book(run_out, user_data):
    est = pd.read_csv(run_out / "results" / "estimates.csv")
    assert set(est.study) >= {"msp", "asalee", "assistants"}
    assert (est[est.study != "methodes"].data == "user").all()  # the methods chapter runs its own simulation
    run = json.loads((run_out / "results" / "run.json").read_text())
    assert run["seed"] == 7 and run["data"] == "user"
    assert set(run["files"]) == {"msp", "asalee", "assistants"}
    assert all(len(f["sha256"]) == 64 for f in run["files"].values())
    assert {"msp", "asalee", "assistants"} <= set(run["timings_seconds"])  # per-chapter timings recorded
    html = (run_out / "html" / "index.html").read_text()
    assert '<html lang="fr"' in html and "Traceback" not in html
    msp_html = html_mod.unescape((run_out / "html" / "chapters" / "msp.html").read_text())
    assert "données fournies par l'utilisateur (empreinte SHA-256" in msp_html
    # one fingerprint on the study's page (banner and Source lines alike): that of its own file
    assert set(re.findall(r"empreinte SHA-256 ([0-9a-f]{12})", msp_html)) == {run["files"]["msp"]["sha256"][:12]}
    assert not list(user_data.glob("*.tmp"))


def test_headline_covers_independently_planted_effect(run_out):
    est = pd.read_csv(run_out / "results" / "estimates.csv")
    h = est[(est.study == "msp") & (est.outcome == "patients_mt") & (est.unit == "patients") & est.headline]
    assert len(h) == 1
    h = h.iloc[0]
    assert h.ci_low <= EFFECT_MT <= h.ci_high, (h.estimate, h.ci_low, h.ci_high)
    naive = est[(est.study == "msp") & (est.estimator == "naive_cross_section") & (est.outcome == "patients_mt")
                & (est.unit == "patients") & (est.subgroup == "all")]
    assert (naive.estimate > EFFECT_MT + 50).all()  # selection on levels: the naive gap is far off


def test_small_cells_are_suppressed_everywhere(run_out):
    est = pd.read_csv(run_out / "results" / "estimates.csv")
    shown = est.n_units.dropna()
    assert (shown >= 11).all()
    full = est[(est.study == "assistants") & est.subgroup.astype(str).str.contains("option=full")]
    assert full.estimate.isna().all()  # 6 full-time GPs: nothing published about them


def test_interrupted_run_leaves_previous_output_intact(run_out, user_data):
    snapshot = {p: p.read_bytes() for p in (run_out / "results").rglob("*") if p.is_file()}
    env = dict(os.environ)
    proc = subprocess.Popen([sys.executable, "-m", "evalkit.cli", "--quiet", "run", "--data", str(user_data),
                             "--out", str(run_out), "--studies", "msp"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and not list(run_out.parent.glob(".out.*.tmp")):
        time.sleep(0.2)  # wait until the run is building in its temporary folder
    time.sleep(3)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0 and "interrompu" in err
    assert {p: p.read_bytes() for p in (run_out / "results").rglob("*") if p.is_file()} == snapshot
    assert not list(run_out.parent.glob(".out.*"))  # temporary folder removed


def test_essentiel_numbers_equal_estimates(run_out):
    """The home page quotes the headline rows of estimates.csv, formatted in French, nothing else."""
    from evalkit.fr import fmt_ci, fmt_num

    est = pd.read_csv(run_out / "results" / "estimates.csv")
    html = (run_out / "html" / "index.html").read_text()

    def head(study, outcome, unit):
        return est[(est.study == study) & (est.outcome == outcome) & (est.unit == unit) & est.headline].iloc[0]

    for study, outcome, unit, dec in [("msp", "patients_mt", "patients", 0), ("asalee", "hba1c_3plus", "pp", 1),
                                      ("assistants", "patients_mt", "patients", 0)]:
        h = head(study, outcome, unit)
        assert fmt_num(h.estimate, dec, sign=True) in html, (study, h.estimate)
        assert fmt_ci(h.ci_low, h.ci_high, dec) in html, (study, h.ci_low, h.ci_high)


def test_no_small_count_comes_back_by_subtraction(run_out):
    """For every set of rows that add up (subgroups of one key vs the « all » row of the same study, outcome,
    estimator and unit), the « all » count minus the shown subgroups must not be a count between 1 and 10."""
    from evalkit.results import _partition_key

    est = pd.read_csv(run_out / "results" / "estimates.csv", dtype={"subgroup": str})
    est["key"] = est.subgroup.map(_partition_key)
    leaks = []
    for (study, outcome, estimator, unit), g in est.groupby(["study", "outcome", "estimator", "unit"]):
        total = g[(g.subgroup == "all") & g.n_units.notna()]
        if total.empty:
            continue
        for key, members in g[g.key.notna()].groupby("key"):
            rest = total.n_units.iloc[0] - members.n_units.dropna().sum()
            if 0 < rest < 11:
                leaks.append((study, outcome, estimator, unit, key, rest))
    assert leaks == []
