"""Results table: rows, contract, small-cell refusal, French number formats."""

import math

import pandas as pd
import pytest

from evalkit import fr, results
from evalkit.contracts import DataError
from evalkit.disclosure import MIN_CELL, suppress


def _row(**kw):
    base = dict(study="msp", outcome="patients_mt", estimator="cs_simple", estimate=90.0, std_error=10.0,
                unit="patients", n_units=500, n_obs=7500, data="synthetic")
    base.update(kw)
    return results.make_row(**base)


def test_make_row_derives_ci_from_se():
    r = _row()
    assert r["ci_low"] == pytest.approx(90 - 1.959964 * 10, abs=1e-4)
    assert r["ci_high"] == pytest.approx(90 + 1.959964 * 10, abs=1e-4)


def test_record_and_collect_roundtrip(tmp_path):
    rows = [_row(headline=True), _row(estimator="twfe", estimate=70.0), _row(subgroup="event_time=2")]
    results.record(rows, "msp", out_dir=tmp_path)
    results.record([_row(study="asalee", outcome="hba1c_3plus", unit="pp", headline=True)], "asalee",
                   out_dir=tmp_path)
    df = results.collect(tmp_path)
    assert list(df.columns) == results.RESULT_COLUMNS and len(df) == 4
    assert results.headline(df, "msp", "patients_mt", "patients")["estimate"] == 90.0


def test_two_headlines_for_same_outcome_unit_rejected(tmp_path):
    with pytest.raises(DataError, match="at most one headline"):
        results.record([_row(headline=True), _row(estimator="twfe", headline=True)], "msp", out_dir=tmp_path)


def test_headline_on_subgroup_rejected(tmp_path):
    with pytest.raises(DataError, match="subgroup 'all'"):
        results.record([_row(headline=True, subgroup="rurality=rural")], "msp", out_dir=tmp_path)


def test_rows_on_fewer_than_11_units_suppressed(tmp_path):
    with pytest.warns(UserWarning, match="fewer than 11 units"):
        results.record([_row(n_units=MIN_CELL - 1, subgroup="option=full"), _row(headline=True)], "msp",
                       out_dir=tmp_path)
    df = results.collect(tmp_path)
    small = df[df.subgroup == "option=full"].iloc[0]
    assert pd.isna(small.estimate) and pd.isna(small.ci_low) and pd.isna(small.n_units)
    assert small.estimator.endswith("[suppressed<11]")
    assert df[df.headline].estimate.iloc[0] == 90.0


def test_empty_estimate_only_on_suppressed_rows(tmp_path):
    with pytest.raises(DataError, match="estimate is empty"):
        results.record([_row(estimate=float("nan"))], "msp", out_dir=tmp_path)


def test_bad_subgroup_syntax_rejected(tmp_path):
    with pytest.raises(DataError):
        results.record([_row(subgroup="rural")], "msp", out_dir=tmp_path)


@pytest.mark.parametrize("x,dec,sign,expected", [
    (1234.5, 1, False, "1\u202f234,5"), (-0.04, 1, False, "0,0"), (12.7, 1, True, "+12,7"),
    (-3.25, 2, True, "−3,25"), (1234567, 0, False, "1\u202f234\u202f567"), (float("nan"), 1, False, "n.d."),
])
def test_fmt_num(x, dec, sign, expected):
    assert fr.fmt_num(x, dec, sign=sign) == expected


def test_fmt_units():
    assert fr.fmt_pp(12.7) == "12,7 points"
    assert fr.fmt_pct(9.9) == "9,9\u202f%"
    assert fr.fmt_ci(8.14, 17.26) == "[8,1\u202f;\u00a017,3]"  # never broken across lines


def test_suppress_marks_small_cells_and_dependents():
    t = pd.DataFrame({"group": ["a", "b", "c"], "n_gps": [120, 7, 11], "mean_mt": [950.0, 1210.0, 1000.0]})
    out = suppress(t, ["n_gps"], ["mean_mt"])
    assert list(out["n_gps"]) == [120, "< 11", 11]
    assert out.loc[1, "mean_mt"] == "< 11" and out.loc[0, "mean_mt"] == 950.0
    assert out.attrs["suppressed_cells"] == 1
    assert t.loc[1, "n_gps"] == 7  # input untouched


def test_forest_plot_accepts_category_axis_and_states_values():
    from evalkit import plots

    tab = pd.DataFrame({"label": ["Tiers temps", "Mi-temps"], "estimate": [35.5, 58.7], "ci_low": [25.0, 50.0],
                        "ci_high": [46.0, 68.0]})
    fig = plots.forest(tab, label="label", xlabel="Patients gagnés", title="t", champ="c", source="s", name="f",
                       decimals=0)
    assert "Tiers temps : 36 [25\u202f;\u00a046]" in fig.alt and fig.png.startswith(b"\x89PNG")
