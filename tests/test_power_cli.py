"""`evalkit power`: simulated on a data folder's own design, analytic for a planned one; the variance inputs it reads."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.estimators.power import ar1_covariance, cs_variance
from evalkit.planning import variance_components

ROOT = Path(__file__).resolve().parents[1]
Z80 = 1.959964 + 0.841621


def test_variance_components_recover_known_design():
    rng = np.random.default_rng(0)
    n, t = 4000, 6
    u = rng.normal(0, 2.0, n)  # unit effect variance 4
    df = pd.DataFrame({"id": np.repeat(np.arange(n), t), "year": np.tile(np.arange(t), n)})
    df["y"] = 10 + 3 * df["year"] + u[df["id"]] + rng.normal(0, 1.0, n * t)  # noise variance 1, year trend
    vc = variance_components(df, "y", "id", "year")
    assert vc["sigma"] == pytest.approx(np.sqrt(5), rel=0.03)
    assert vc["rho"] == pytest.approx(0.8, abs=0.02)


def _cli(*args, timeout=300):
    """The command in a subprocess (as an evaluator runs it)."""
    return subprocess.run([sys.executable, "-m", "evalkit.cli", *args], capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def run(capsys):
    """The command in-process (same code path after argument parsing, without the interpreter start-up)."""
    from evalkit.cli import main

    def _run(*args):
        code = main(list(args))
        out = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out.out, out.err)

    return _run


def _num(text: str) -> float:
    """First French number of ``text`` (narrow no-break space thousands, decimal comma)."""
    m = re.search(r"−?[\d\u202f]+(?:,\d+)?", text)
    return float(m.group(0).replace("\u202f", "").replace(",", ".").replace("−", "-"))


def test_power_mde_is_the_cs_ar1_formula(run):
    r = run("power", "--units", "2000", "--periods", "8", "--treated-share", "0.1", "--sigma", "300", "--rho", "0.8")
    assert r.returncode == 0, r.stderr
    # one cohort after 4 periods (default half): m = 1 base period, r = 4 post-periods, Γ = σ²ρ^|s−t|
    se = np.sqrt(cs_variance(ar1_covariance(8, 300, 0.8), range(8), {4: 200}, 1800))
    assert _num(r.stdout.split("détectable : ")[1]) == pytest.approx(Z80 * se, rel=2e-3)
    assert "Callaway et Sant'Anna" in r.stdout and "AR(1)" in r.stdout


def test_power_equicorrelated_formula_kept_and_labelled(run):
    r = run("power", "--units", "2000", "--periods", "8", "--treated-share", "0.1", "--sigma", "300", "--rho", "0.8",
             "--model", "equicorrelated")
    assert r.returncode == 0, r.stderr
    # Var = σ²(1/N_T + 1/N_C)(1/m + 1/r)(1 − ρ); MDE = (1.96 + 0.8416)·SE
    se = np.sqrt(300**2 * (1 / 200 + 1 / 1800) * (1 / 4 + 1 / 4) * 0.2)
    assert _num(r.stdout.split("détectable : ")[1]) == pytest.approx(Z80 * se, rel=2e-3)
    assert "équicorrélées" in r.stdout and "ne décrit pas" in r.stdout


def test_power_sample_size_detects_effect(run):
    r = run("power", "--effect", "30", "--periods", "8", "--treated-share", "0.1", "--sigma", "300", "--rho", "0.8")
    assert r.returncode == 0, r.stderr
    n = int(_num(r.stdout.split(") : ")[1]))
    r2 = run("power", "--units", str(n), "--periods", "8", "--treated-share", "0.1", "--sigma", "300", "--rho", "0.8")
    assert _num(r2.stdout.split("détectable : ")[1]) <= 30 * 1.005  # with the units found, 30 is detectable
    r3 = run("power", "--units", str(n - 40), "--periods", "8", "--treated-share", "0.1", "--sigma", "300",
              "--rho", "0.8")
    assert _num(r3.stdout.split("détectable : ")[1]) > 30  # and not with fewer


@pytest.mark.parametrize("args, needle", [
    (("--units", "100", "--periods", "6"), "--sigma"),
    (("--units", "100", "--sigma", "3"), "--periods"),
    (("--units", "100", "--periods", "6", "--sigma", "3", "--rho", "1.2"), "rho"),
])
def test_power_planning_errors_are_clear(run, args, needle):
    r = run("power", *args)
    assert r.returncode == 2 and needle in r.stderr and "Pour corriger" in r.stderr and "Traceback" not in r.stderr


def test_power_cli_subprocess_error_has_no_traceback():
    r = _cli("power", "--units", "100", "--periods", "6")
    assert r.returncode == 2 and "--sigma" in r.stderr and "Pour corriger" in r.stderr and "Traceback" not in r.stderr


def test_power_on_data_folder_simulates_the_design(run):
    # no design option: periods, units, cohorts and treated share come from the folder; progress bar on stderr
    r = run("power", "--data", str(ROOT / "data" / "synthetic"), "--study", "msp", "--outcome", "patients_mt",
             "--sims", "20", "--seed", "5", "--effect", "10")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "5\u202f000 unités (500 traitées en 8 cohortes" in out and "15 années (2005–2019)" in out
    assert "simulation sur le plan d'étude réel" in out and "20 tirages, graine 5" in out
    assert "Simulations : [####################] 20/20" in r.stderr
    mde = _num(out.split("détectable (puissance 80\u202f%, seuil 5\u202f%) : ")[1])
    se_line = out.split("publiée par l'estimateur sur ces données (")[1]
    reported = _num(se_line)
    assert mde == pytest.approx(Z80 * reported, rel=0.3)  # 20 draws only: loose here (tight in test_power_design)
    assert "Puissance pour un effet de 10" in out


def test_power_on_data_folder_errors(run):
    r = run("power", "--data", str(ROOT / "data" / "synthetic"), "--study", "msp", "--outcome", "nope")
    assert r.returncode == 2 and "Pour corriger" in r.stderr and "patients_mt" in r.stderr
    r = run("power", "--data", str(ROOT / "data" / "synthetic"), "--study", "msp", "--sims", "5")
    assert r.returncode == 2 and "--sims" in r.stderr and "Traceback" not in r.stderr
