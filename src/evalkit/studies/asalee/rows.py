"""Asalée: the results rows (``results/estimates.csv``) of an :class:`~.analysis.AsaleeResult`.

Every effect is in percentage points (``unit="pp"``), adjusted p-values and test p-values in ``unit="p_value"`` (the
``estimate`` column holds the p-value). Rows resting on fewer than 11 GPs (or patients) are left out.
"""

from __future__ import annotations

import pandas as pd

from ...disclosure import MIN_CELL
from ...estimators.base import Estimate
from ...results import make_row, to_frame
from .analysis import AsaleeResult

STUDY = "asalee"


def _row(est, outcome: str, estimator: str, data: str, subgroup: str = "all", headline: bool = False,
         n_units: int | None = None) -> dict:
    """The row of an :class:`Estimate` or of a table's row (``estimate, std_error, ci_low, ci_high``; no ``n_obs``
    when the table has none)."""
    return make_row(study=STUDY, outcome=outcome, estimator=estimator, estimate=est.estimate,
                    std_error=est.std_error, ci_low=est.ci_low, ci_high=est.ci_high, unit="pp",
                    n_units=n_units if n_units is not None else est.n_units, n_obs=getattr(est, "n_obs", None),
                    subgroup=subgroup, headline=headline, data=data)


def _p_row(p: float, outcome: str, estimator: str, data: str, n_units: int, subgroup: str = "all") -> dict:
    return make_row(study=STUDY, outcome=outcome, estimator=estimator, estimate=p, std_error=None, ci_low=None,
                    ci_high=None, unit="p_value", n_units=n_units, n_obs=None, subgroup=subgroup, data=data)


def agreement_rows(r: AsaleeResult, data: str) -> list[dict]:
    """Rows of the estimator agreement panel of each publishable ITT indicator (Sun–Abraham, imputation, two-stage,
    dCDH, extended TWFE; the static TWFE of the main indicator is a robustness row already), ``n_obs`` = the
    patient-years of the ITT fit, as its headline."""
    out: list[dict] = []
    for ind, panel in r.agreement.items():
        f = r.itt_fits.get(ind)
        if f is None or not f.publishable:
            continue
        for row in panel.to_rows(STUDY, "pp", data=data):
            row["n_obs"] = f.n_obs
            out.append(row)
    return out


def rows(r: AsaleeResult, data: str) -> pd.DataFrame:
    """Results rows: the six ITT headlines with their Holm and Romano–Wolf adjusted p-values, the first stage and
    the effect on followed patients (Wald DiD, overall and by intensity group, with the equality test), intensity
    groups' ITT, per protocol and per protocol − Wald, the main indicator's event study, robustness variants and
    HonestDiD grid, the naive cross-sections and the published 2×2. ``data``: the rows' ``data`` column
    (``"synthetic"`` or ``"user"``)."""
    out: list[dict] = []
    adj = r.itt.set_index("outcome")
    for ind, f in r.itt_fits.items():
        if f.publishable:
            out.append(_row(f.simple, ind, "cs_simple", data, headline=True))
            for col, label in (("p_holm", "cs_simple_p_holm"), ("p_romano_wolf", "cs_simple_p_romano_wolf")):
                if pd.notna(adj.loc[ind, col]):
                    out.append(_p_row(float(adj.loc[ind, col]), ind, label, data, f.n_units))
    f0 = next(iter(r.itt_fits.values()))
    if r.first_stage is not None and f0.publishable:
        out.append(_row(r.first_stage, "pct_followed", "cs_simple_first_stage", data, n_units=f0.n_units))
    for w in r.wald.itertuples(index=False):
        if r.itt_fits[w.outcome].publishable:
            out.append(_row(w, w.outcome, "wald_did", data, n_units=int(w.n_gps)))
    for d in r.dose.itertuples(index=False):
        if d.n_gps >= MIN_CELL and pd.notna(d.pf_estimate):
            pf = Estimate("wald_did", d.pf_estimate, d.pf_std_error, d.pf_ci_low, d.pf_ci_high,
                          n_units=int(d.n_units), n_obs=int(d.n_obs))
            out.append(_row(pf, d.outcome, "wald_did", data, subgroup=f"intensity={d.group}"))
    n_asalee = int(r.dose.drop_duplicates("group")["n_gps"].sum()) if len(r.dose) else 0
    for t in r.dose_test.itertuples(index=False):
        if pd.notna(t.p_value) and n_asalee >= MIN_CELL:
            out.append(_p_row(float(t.p_value), t.outcome, "wald_did_intensity_equality_p", data, n_asalee))
    for (label, ind), f in r.dose_fits.items():
        if f.publishable:
            out.append(_row(f.simple, ind, "cs_simple", data, subgroup=f"intensity={label}"))
    pp = r.per_protocol.set_index("outcome")
    for ind, f in r.pp_fits.items():
        n_pat, n_gp_t = int(pp.loc[ind, "n_patients"]), int(pp.loc[ind, "n_gps_treated"])
        if n_gp_t >= MIN_CELL and n_pat >= MIN_CELL:
            out.append(_row(f.simple, ind, "cs_simple_per_protocol", data, n_units=n_pat))
    for s in r.selection.itertuples(index=False):
        if int(pp.loc[s.outcome, "n_gps_treated"]) >= MIN_CELL:
            out.append(_row(s, s.outcome, "per_protocol_minus_wald", data, n_units=int(pp.loc[s.outcome, "n_gps"])))
    fm = r.itt_fits[r.main]
    if fm.publishable:
        for e in fm.event.itertuples(index=False):
            if e.n_units >= MIN_CELL:
                est = Estimate("cs_dynamic", e.estimate, e.std_error, e.ci_low, e.ci_high, n_units=fm.n_units,
                               n_obs=fm.n_obs)
                out.append(_row(est, r.main, "cs_dynamic", data, subgroup=f"event_time={int(e.event_time)}"))
        if r.not_yet_treated is not None:
            out.append(_row(r.not_yet_treated.simple, r.main, "cs_simple_not_yet_treated", data))
        if r.twfe is not None:
            out.append(_row(r.twfe, r.main, "twfe", data))
        out.append(_row(r.other_weights.simple, r.main,
                        "cs_simple_gp_weighted" if r.weights == "patients" else "cs_simple_patient_weighted", data))
        if r.honest is not None:  # (relative magnitudes: estimator honest_did_rm, subgroups mbar=M)
            out += r.honest.to_rows(STUDY, r.main, "pp", data=data, n_units=fm.n_units, n_obs=fm.n_obs)
    for ind, e in r.naive_fits.items():
        if e.n_units is not None and e.n_units >= MIN_CELL:
            out.append(_row(e, ind, "naive_cross_section", data))
    q = r.pp_2x2
    if q is not None and min(q["n_treated"], q["n_control"]) >= MIN_CELL:
        out.append(make_row(study=STUDY, outcome=r.main, estimator="did_2x2_per_protocol", estimate=q["estimate"],
                            std_error=q["std_error"], ci_low=q["ci_low"], ci_high=q["ci_high"], unit="pp",
                            n_units=q["n_treated"] + q["n_control"], n_obs=q["n_obs"], data=data))
    out += agreement_rows(r, data)
    return to_frame(out)
