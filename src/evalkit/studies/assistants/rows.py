"""Assistants médicaux: the results rows (``results/estimates.csv``) of an :class:`~.analysis.AssistantsResult`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...results import make_row, to_frame
from .analysis import AssistantsResult
from .policy import OPTION_FTE, OUTCOME_UNITS, STUDY


def agreement_rows(r: AssistantsResult, kind: str) -> list[dict]:
    """Rows of the estimator agreement panel of each outcome (Sun–Abraham, imputation, two-stage, dCDH, extended
    TWFE) in the outcome's unit; the static TWFE is in the chapter's estimator ladder."""
    out: list[dict] = []
    for o, panel in r.agreement.items():
        out += panel.to_rows(STUDY, OUTCOME_UNITS[o], data=kind)
    return out


def rows(r: AssistantsResult, kind: str) -> pd.DataFrame:
    """The chapter's rows, ``data`` = ``kind`` (« synthetic » or « user »); rows on fewer than 11 GPs left out."""
    out: list[dict] = []
    main = r.cs["patients_mt"]
    # headline: CS simple ATT on patients_mt, in patients and in percent of the pre-period mean
    out += main.simple.to_rows(STUDY, "patients_mt", "patients", headline=True, estimator="cs_simple", data=kind)
    out += main.relative("simple").to_rows(STUDY, "patients_mt", "percent", headline=True, estimator="cs_simple",
                                           data=kind)
    aggs = main.aggregates()
    for name in ("dynamic", "group", "calendar"):
        out += aggs[name].to_rows(STUDY, "patients_mt", "patients", estimator=f"cs_{name}", data=kind)
    out += main.dynamic.to_rows(STUDY, "patients_mt", "patients", estimator="cs_dynamic", n_obs=main.n_obs, data=kind)
    for key, v in r.cs_variants.items():
        est = "cs_simple_not_yet_treated" if key == "not_yet_treated" else "cs_simple_no_covariates"
        out += v.simple.to_rows(STUDY, "patients_mt", "patients", estimator=est, data=kind)
    for o in ("file_active", "acts"):
        c = r.cs[o]
        out += c.simple.to_rows(STUDY, o, OUTCOME_UNITS[o], headline=True, estimator="cs_simple", data=kind)
        out += c.relative("simple").to_rows(STUDY, o, "percent", headline=True, estimator="cs_simple", data=kind)
    for o, c in r.by_option.items():
        sg = f"option={o}"
        out += c.simple.to_rows(STUDY, "patients_mt", "patients", subgroup=sg, estimator="cs_simple", data=kind)
        out += c.relative("simple").to_rows(STUDY, "patients_mt", "percent", subgroup=sg, estimator="cs_simple",
                                            data=kind)
        out += c.dynamic.to_rows(STUDY, "patients_mt", "patients", estimator="cs_dynamic",
                                 subgroup_prefix=f"option_{o}_", n_obs=c.n_obs, data=kind)
        out += r.by_option_nyt[o].simple.to_rows(STUDY, "patients_mt", "patients", subgroup=sg,
                                                 estimator="cs_simple_not_yet_treated", data=kind)

    def add(outcome: str, estimator: str, unit: str, **kw) -> None:
        out.append(make_row(study=STUDY, outcome=outcome, estimator=estimator, unit=unit, data=kind, **kw))

    for d in r.dose.itertuples():
        if np.isfinite(d.diff_third):
            add("patients_mt", "cs_dose_difference", "patients", estimate=d.diff_third, std_error=d.diff_third_se,
                ci_low=d.diff_third_ci_low, ci_high=d.diff_third_ci_high, n_units=d.n_gps,
                subgroup=f"option={d.option}")
    # options among underserved GPs (each against the underserved never-signatories), their differences, and the
    # multi-valued treatment DiD (Callaway, Goodman-Bacon & Sant'Anna 2024) among the same GPs
    for o, c in r.by_option_underserved.items():
        out += c.simple.to_rows(STUDY, "patients_mt", "patients", subgroup=f"underserved_option={o}",
                                estimator="cs_simple_underserved", data=kind)
    for d in r.dose_underserved.itertuples():
        for col, ref in (("diff_third", "third"), ("diff_half", "half")):
            v = getattr(d, col)
            if np.isfinite(v):
                add("patients_mt", "cs_dose_difference_underserved", "patients", estimate=v,
                    std_error=getattr(d, f"{col}_se"), ci_low=getattr(d, f"{col}_ci_low"),
                    ci_high=getattr(d, f"{col}_ci_high"), n_units=d.n_gps,
                    subgroup=f"comparison={d.option}_vs_{ref}")
    if r.dose_cgbs is not None:
        out += r.dose_cgbs.to_rows(STUDY, "patients_mt", "patients", labels={v: k for k, v in OPTION_FTE.items()},
                                   prefix="underserved_", data=kind)
    for c in r.cost.itertuples():
        add("cost_per_patient", "aid_over_cs_gain", "eur_per_patient_year", estimate=c.estimate, std_error=c.std_error,
            ci_low=c.ci_low, ci_high=c.ci_high if np.isfinite(c.ci_high) else float("nan"), n_units=c.n_gps,
            subgroup="all" if c.option == "all" else f"option={c.option}", headline=c.option == "all")
    n_proj = int(r.dose["n_gps"].sum()) if len(r.dose) else None
    for p in r.projection.itertuples():
        if np.isfinite(p.estimate):
            add("national_projection", "contracts_x_cs_gain", "patients", estimate=p.estimate, std_error=p.std_error,
                ci_low=p.ci_low, ci_high=p.ci_high, n_units=n_proj, subgroup=f"date={p.date}")
    last = r.projection.iloc[-1] if len(r.projection) else None
    if last is not None and np.isfinite(last.estimate):
        add("national_projection", "contracts_x_cs_gain", "patients", estimate=last.estimate,
            std_error=last.std_error, ci_low=last.ci_low, ci_high=last.ci_high, n_units=n_proj, headline=True)
    for t in r.targets.itertuples():
        add("target_reached", "share_of_signatories", "pp", estimate=t.share_reached, std_error=t.share_se,
            n_units=t.n_gps, subgroup="all" if t.option == "all" else f"option={t.option}", headline=t.option == "all")
    if r.honest is not None:
        out += r.honest.to_rows(STUDY, "patients_mt", "patients", n_units=main.n_units, n_obs=main.n_obs, data=kind)
    out += agreement_rows(r, kind)
    # Rows on fewer than 11 units are kept: results.record empties and tags them and the rows that would give them
    # back by subtraction (e.g. « all » − third − half); dropping them here would defeat that complementary suppression.
    return to_frame(out)
