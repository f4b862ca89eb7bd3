"""The MSP chapter's results rows (``estimates.csv``): every estimate the chapter reports, cells of < 11 GPs dropped."""

from __future__ import annotations

import pandas as pd

from ...disclosure import MIN_CELL
from ...estimators.base import Estimate
from ...results import make_row, to_frame
from .analysis import OUTCOME_UNITS, STUDY, MSPResult


def _row(est: Estimate, outcome: str, unit: str, estimator: str, data: str, subgroup: str = "all",
         headline: bool = False, scale: float = 1.0) -> dict:
    e = est.scaled(scale) if scale != 1.0 else est
    return make_row(study=STUDY, outcome=outcome, estimator=estimator, estimate=e.estimate, std_error=e.std_error,
                    ci_low=e.ci_low, ci_high=e.ci_high, unit=unit, n_units=e.n_units, n_obs=e.n_obs,
                    subgroup=subgroup, headline=headline, data=data)


def agreement_rows(r: MSPResult, kind: str) -> list[dict]:
    """Rows of the estimator agreement panel (Sun–Abraham, imputation, two-stage, dCDH, extended TWFE), in outcome
    units and in percent of the treated GPs' pre-entry mean; the static TWFE row is written by :func:`rows`."""
    out: list[dict] = []
    for o, panel in r.agreement.items():
        for scale, unit in ((1.0, OUTCOME_UNITS[o]), (r.percent_factor(o), "percent")):
            out += panel.to_rows(STUDY, unit, data=kind, scale=scale)
    return out


def rows(r: MSPResult, kind: str) -> pd.DataFrame:
    """Results rows of ``r`` (``kind``: ``synthetic`` or ``user``, the rows' ``data`` column)."""
    out: list[dict] = []
    p = r.prepared
    for o, u in OUTCOME_UNITS.items():
        c = r.cs[o]
        for scale, unit in ((1.0, u), (r.percent_factor(o), "percent")):
            out.append(_row(r.naive[o], o, unit, "naive_cross_section", kind, scale=scale))
            out.append(_row(r.naive_pre[o], o, unit, "naive_cross_section", kind,
                            subgroup=f"year={p.baseline_year}", scale=scale))
            out.append(_row(r.twfe[o], o, unit, "twfe", kind, scale=scale))
            out.append(_row(c.simple, o, unit, "cs_simple", kind, headline=True, scale=scale))
            out.append(_row(r.cs_matched[o].simple, o, unit, "cs_simple_matched", kind, scale=scale))
            out.append(_row(r.cs_notyet[o].simple, o, unit, "cs_simple_notyet", kind, scale=scale))
            for name in ("dynamic", "group", "calendar"):
                out.append(_row(c.aggregates()[name], o, unit, f"cs_{name}", kind, scale=scale))
        out += c.dynamic.to_rows(STUDY, o, u, estimator="cs_dynamic", n_obs=c.n_obs, data=kind)
        out += c.group.to_rows(STUDY, o, u, estimator="cs_group", n_obs=c.n_obs, data=kind)
        for (level, oo), fit in r.rurality_fits.items():
            if oo != o:
                continue
            out.append(_row(fit.simple, o, u, "cs_simple", kind, subgroup=f"rurality={level}"))
            out.append(_row(fit.simple, o, "percent", "cs_simple", kind, subgroup=f"rurality={level}",
                            scale=100.0 / fit.pre_mean))
    if r.honest is not None:
        c = r.cs["patients_mt"]
        out += r.honest.to_rows(STUDY, "patients_mt", "patients", n_units=c.n_units, n_obs=c.n_obs, data=kind)
    out += agreement_rows(r, kind)
    frame = to_frame(out)
    return frame[frame["n_units"].isna() | (frame["n_units"] >= MIN_CELL)].reset_index(drop=True)
