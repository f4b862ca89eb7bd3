"""`evalkit power` and the variance components it reads off data."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from evalkit.planning import variance_components


def test_variance_components_recover_known_design():
    rng = np.random.default_rng(0)
    n, t = 4000, 6
    u = rng.normal(0, 2.0, n)  # unit effect variance 4
    df = pd.DataFrame({"id": np.repeat(np.arange(n), t), "year": np.tile(np.arange(t), n)})
    df["y"] = 10 + 3 * df["year"] + u[df["id"]] + rng.normal(0, 1.0, n * t)  # noise variance 1, year trend
    vc = variance_components(df, "y", "id", "year")
    assert vc["sigma"] == pytest.approx(np.sqrt(5), rel=0.03)
    assert vc["rho"] == pytest.approx(0.8, abs=0.02)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "evalkit.cli", *args], capture_output=True, text=True, timeout=120)


def test_power_mde_matches_formula():
    r = _cli("power", "--units", "2000", "--periods", "8", "--treated-share", "0.1", "--sigma", "300", "--rho", "0.8")
    assert r.returncode == 0, r.stderr
    # Var = σ²(1/N_T + 1/N_C)(1/m + 1/r)(1 − ρ); MDE = (1.96 + 0.8416)·SE
    se = np.sqrt(300**2 * (1 / 200 + 1 / 1800) * (1 / 4 + 1 / 4) * 0.2)
    mde = float(r.stdout.split("effect: ")[1].split(" ")[0])
    assert mde == pytest.approx(2.8016 * se, rel=1e-3)


def test_power_sample_size_detects_effect():
    r = _cli("power", "--effect", "30", "--periods", "8", "--treated-share", "0.1", "--sigma", "300", "--rho", "0.8")
    assert r.returncode == 0, r.stderr
    n = int(r.stdout.split("): ")[1].split(" ")[0])
    r2 = _cli("power", "--units", str(n), "--periods", "8", "--treated-share", "0.1", "--sigma", "300", "--rho", "0.8")
    mde = float(r2.stdout.split("effect: ")[1].split(" ")[0])
    assert mde <= 30 * 1.01  # with the units found, an effect of 30 is detectable


def test_power_without_sigma_is_a_clear_error():
    r = _cli("power", "--units", "100", "--periods", "6")
    assert r.returncode == 2 and "--sigma" in r.stderr and "Traceback" not in r.stderr
