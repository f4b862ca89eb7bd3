"""SNDS-shaped claims → `evalkit claims` → the three contract tables → `evalkit run`, end to end.

Synthetic claims with 300 GPs over seven years (evalkit's claims generator: known tables, a planted effect of
assistant contracts on acts), the tables built by the command as an evaluator would call it, then the whole book
recomputed on them. Several minutes on 2 cores: marked slow (not run by CI).
"""

import json
import subprocess
import sys

import pandas as pd
import pytest

pytestmark = pytest.mark.slow

SPEC = dict(n_patients=30000, n_gps=300, first_year=2015, last_year=2021, seed=11)


def _evalkit(*args, timeout=2400):
    return subprocess.run([sys.executable, "-m", "evalkit.cli", "--quiet", *args], capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from evalkit.claims import SyntheticSpec, generate_claims

    root = tmp_path_factory.mktemp("claims_e2e")
    synth = generate_claims(root / "extract", SyntheticSpec(**SPEC))
    lists = root / "lists"  # the referential lists, kept apart from the extract as an evaluator receives them
    lists.mkdir()
    for f in ("msp_membership.csv", "assistants_contracts.csv", "zoning.csv"):
        (synth.claims_dir / f).rename(lists / f)
    tables = root / "tables"
    r = _evalkit("claims", "--claims", str(synth.claims_dir), "--out", str(tables),
                 "--msp", str(lists / "msp_membership.csv"), "--assistants", str(lists / "assistants_contracts.csv"),
                 "--zoning", str(lists / "zoning.csv"))
    assert r.returncode == 0, r.stderr[-3000:]
    return synth, tables, root


def test_claims_command_writes_the_three_tables_equal_to_the_truth(built):
    from evalkit.claims.pipeline import normalize_asalee, normalize_gp_table

    synth, tables, _ = built
    back = {s: pd.read_csv(tables / f"{s}.csv", dtype={"gp_id": str, "patient_id": str, "department": str})
            for s in ("msp", "asalee", "assistants")}
    pd.testing.assert_frame_equal(normalize_asalee(back["asalee"]), synth.truth_asalee())
    pd.testing.assert_frame_equal(normalize_gp_table(back["msp"], "msp"), synth.truth_msp())
    pd.testing.assert_frame_equal(normalize_gp_table(back["assistants"], "assistants"), synth.truth_assistants())
    v = _evalkit("validate", "--data", str(tables))
    assert v.returncode == 0, v.stderr[-2000:]


def test_evalkit_run_on_the_claims_built_folder(built):
    synth, tables, root = built
    out = root / "out"
    r = _evalkit("run", "--data", str(tables), "--out", str(out), "--seed", "7")
    assert r.returncode == 0, r.stderr[-3000:]
    est = pd.read_csv(out / "results" / "estimates.csv")
    assert {"msp", "asalee", "assistants"} <= set(est.study)
    assert (est[est.study != "methodes"].data == "user").all()
    run = json.loads((out / "results" / "run.json").read_text())
    assert set(run["files"]) == {"msp", "asalee", "assistants"}
    # the planted effect of assistant contracts on acts (visits added per GP-year) is recovered
    planted = synth.planted()["assistants"]["acts_per_gp_year"]
    acts = est[(est.study == "assistants") & (est.outcome == "acts") & (est.subgroup == "all")
               & est.estimator.str.startswith("cs_") & est.estimate.notna()]
    assert len(acts) >= 1, est[est.study == "assistants"][["outcome", "estimator", "subgroup"]].to_string()
    row = acts.iloc[0]
    assert row.ci_low <= planted <= row.ci_high, (planted, row.estimate, row.ci_low, row.ci_high)
    # and the Asalée nurse's planted effects on the follow-up indicators (intention to treat, percentage points)
    for outcome in ("hba1c_3plus", "microalb"):
        want = synth.planted()["asalee"][f"{outcome}_pp"]
        h = est[(est.study == "asalee") & (est.outcome == outcome) & (est.unit == "pp") & est.headline].iloc[0]
        assert h.ci_low <= want <= h.ci_high, (outcome, want, h.estimate, h.ci_low, h.ci_high)
