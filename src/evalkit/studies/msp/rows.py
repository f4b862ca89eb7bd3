"""The MSP chapter's results rows (``estimates.csv``): every estimate the chapter reports, cells of < 11 GPs dropped."""

from __future__ import annotations

import pandas as pd

from ...disclosure import MIN_CELL
from ...results import to_frame
from .analysis import OUTCOME_UNITS, STUDY, MSPResult


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
        aggs = c.aggregates()
        ests = [(r.naive[o], "naive_cross_section", "all"),
                (r.naive_pre[o], "naive_cross_section", f"year={p.baseline_year}"),
                (r.twfe[o], "twfe", "all"), (c.simple, "cs_simple", "all"),
                (r.cs_matched[o].simple, "cs_simple_matched", "all"),
                (r.cs_notyet[o].simple, "cs_simple_notyet", "all"),
                *((aggs[name], f"cs_{name}", "all") for name in ("dynamic", "group", "calendar"))]
        for scale, unit in ((1.0, u), (r.percent_factor(o), "percent")):
            for est, estimator, sg in ests:
                out += est.to_rows(STUDY, o, unit, sg, estimator == "cs_simple", kind, scale, estimator)
        out += c.dynamic.to_rows(STUDY, o, u, estimator="cs_dynamic", n_obs=c.n_obs, data=kind)
        out += c.group.to_rows(STUDY, o, u, estimator="cs_group", n_obs=c.n_obs, data=kind)
        for (level, oo), fit in r.rurality_fits.items():
            if oo == o:
                for scale, unit in ((1.0, u), (100.0 / fit.pre_mean, "percent")):
                    out += fit.simple.to_rows(STUDY, o, unit, f"rurality={level}", data=kind, scale=scale,
                                              estimator="cs_simple")
    if r.honest is not None:
        c = r.cs["patients_mt"]
        out += r.honest.to_rows(STUDY, "patients_mt", "patients", n_units=c.n_units, n_obs=c.n_obs, data=kind)
    out += agreement_rows(r, kind)
    frame = to_frame(out)
    return frame[frame["n_units"].isna() | (frame["n_units"] >= MIN_CELL)].reset_index(drop=True)
