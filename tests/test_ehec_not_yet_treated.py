"""Callaway–Sant'Anna with not-yet-treated controls against R `did` on a real panel (issue 14, acceptance).

Reference: ``tests/fixtures/ehec/README.md`` §1 — R ``att_gt(..., control_group = "notyettreated")`` on the Medicaid
expansion panel (46 states, 2008–2019), the workshop's published output. R prints 4 decimals; its standard errors
are from its default multiplier bootstrap, so the point estimates are the exact reference (to 4 decimals, i.e.
|evalkit − R| ≤ 5e-5); the analytic standard errors are checked against R's bootstrap ones loosely: median ratio
within 10 %, every cell within 30 % (the 2015 cohort has 3 states: a bootstrap SE on 3 clusters is noisy). ``aggte(type = "simple")``
printed ATT 0.068 (bootstrap SE 0.0077).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.estimators import callaway_santanna

EHEC = Path(__file__).parent / "fixtures" / "ehec"


def _r_table() -> pd.DataFrame:
    text = (EHEC / "README.md").read_text()
    section = text.split("## 1.")[1].split("## 2.")[0]
    rows = re.findall(r"^\s+(\d{4}) (\d{4})\s+(-?[\d.]+)\s+([\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)", section, re.M)
    return pd.DataFrame([(int(g), int(t), float(a), float(s)) for g, t, a, s, *_ in rows],
                        columns=["cohort", "time", "att_r", "se_r"])


@pytest.fixture(scope="module")
def cs():
    d = pd.read_csv(EHEC / "ehec_data.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return callaway_santanna(d, "dins", "stfips", "year", "yexp2", control_group="not_yet_treated")


def test_att_gt_equal_r_to_four_decimals(cs):
    r = _r_table()
    assert len(r) == 55
    m = r.merge(cs.att_gt[["cohort", "time", "estimate", "std_error"]], on=["cohort", "time"], how="outer",
                indicator=True)
    assert (m["_merge"] == "both").all(), m[m["_merge"] != "both"]
    assert np.abs(m["estimate"] - m["att_r"]).max() <= 5e-5 + 1e-12, m.loc[(m["estimate"] - m["att_r"]).abs().idxmax()]


def test_analytic_ses_near_r_bootstrap(cs):
    m = _r_table().merge(cs.att_gt, on=["cohort", "time"])
    ok = m["se_r"] >= 0.003  # below, the 4-decimal rounding alone is > 1.7 %
    ratio = m.loc[ok, "std_error"] / m.loc[ok, "se_r"]
    assert 0.9 <= ratio.median() <= 1.1, ratio.describe()
    assert ratio.between(0.7, 1.3).all(), m.loc[ok].assign(ratio=ratio)[~ratio.between(0.7, 1.3)]


def test_simple_att_as_printed(cs):
    assert round(cs.simple.estimate, 3) == 0.068
    assert cs.simple.std_error == pytest.approx(0.0077, rel=0.1)
