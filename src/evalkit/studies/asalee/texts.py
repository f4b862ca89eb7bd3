"""Asalée: the French words of the chapter — indicator labels, captions and the sentences glued into the prose.

:func:`texts` returns exactly the glue keys ``chapters/asalee.ipynb`` uses (``tests/test_asalee.py`` checks it).
"""

from __future__ import annotations

import numpy as np

from ... import plots
from ...disclosure import MIN_CELL
from ...fr import fmt_ci, fmt_int, fmt_num, fmt_pct, fmt_pp, fmt_years
from ...simulate.asalee import ANCHOR
from .analysis import AsaleeResult

LABELS = {
    "hba1c_3plus": "HbA1c (≥ 3 dosages dans l'année)",
    "microalb": "Microalbuminurie",
    "creatinine": "Créatininémie",
    "lipids": "Bilan lipidique",
    "ecg_cardio": "ECG ou cardiologue",
    "fundus_2y": "Fond d'œil (sur 2 ans)",
}
SHORT = {
    "hba1c_3plus": "HbA1c ≥ 3/an",
    "microalb": "microalbuminurie",
    "creatinine": "créatininémie",
    "lipids": "bilan lipidique",
    "ecg_cardio": "ECG/cardiologue",
    "fundus_2y": "fond d'œil",
}
INTENSITY_FR = {"low": "faible", "mid": "moyenne", "high": "forte"}
GROUP_LABELS = {"followed": "Patients suivis par l'infirmière",
                "asalee_all": "Tous les diabétiques des médecins Asalée",
                "control": "Diabétiques des médecins témoins"}
#: « Source » line on an evaluator's data (as :func:`evalkit.plots.synthetic_source` writes it in a user build).
USER_SOURCE = "données fournies par l'utilisateur (format des contrats evalkit) ; calculs evalkit"
_WORDS = {0: "aucun", 1: "un", 2: "deux", 3: "trois", 4: "quatre", 5: "cinq", 6: "six"}
PRE_CITED = ("creatinine", "lipids")  #: indicators whose pre-entry level the prose cites, besides the main one


def champ(r: AsaleeResult) -> str:
    """The « Champ » line shared by the chapter's figures and tables."""
    return (f"patients diabétiques de type 2 des médecins généralistes entrés dans Asalée en "
            f"{fmt_years(r.cohorts)} et des médecins témoins (jamais entrés), {r.years[0]}–{r.years[-1]}")


def source(kind: str) -> str:
    """The « Source » line: the synthetic data and their calibration, or the evaluator's data."""
    return plots.SYNTHETIC_SOURCE.format(anchor=ANCHOR) if kind == "synthetic" else USER_SOURCE


def texts(r: AsaleeResult, kind: str) -> dict[str, str]:
    """French strings glued into the chapter's prose (``{glue:md}`key```), computed from ``r``.

    ``kind`` (``"synthetic"`` | ``"user"``) is accepted for the common study interface; no sentence here depends on
    it (the prose that does is in the notebook's markdown).
    """
    del kind
    t: dict[str, str] = {}
    y0, y1 = r.years[0], r.years[-1]
    t["years"] = f"{y0}–{y1}"
    t["cohorts"] = fmt_years(r.cohorts)
    t["last_year"] = str(y1)
    for k in ("n_gps_asalee", "n_gps_control", "n_patients", "n_patient_years"):
        t[k] = fmt_int(r.settings[k])
    itt = r.itt.set_index("outcome")
    main = r.main
    for ind in r.indicators:
        if ind != main:
            t[f"itt_{ind}"] = fmt_pp(itt.loc[ind, "estimate"], 1, sign=True)
            t[f"itt_{ind}_ci"] = fmt_ci(itt.loc[ind, "ci_low"], itt.loc[ind, "ci_high"])
    for ind in (*PRE_CITED, main):
        t[f"pre_{ind}"] = fmt_pct(itt.loc[ind, "pre_mean"], 0)

    n_pos = int((r.itt["ci_low"] > 0).sum())
    n_neg = int((r.itt["ci_high"] < 0).sum())
    h = itt.loc[main]
    sig = h["ci_low"] > 0 or h["ci_high"] < 0
    verb = "augmente" if h["estimate"] > 0 else "réduit"
    t["answer_itt"] = (
        f"l'entrée d'un médecin dans Asalée {verb} de {fmt_pp(abs(h['estimate']), 1)} (IC à 95 % "
        f"{fmt_ci(h['ci_low'], h['ci_high'])}) la part de ses patients diabétiques qui ont au moins trois dosages "
        "d'HbA1c dans l'année"
        + ("" if sig else " — un écart que l'incertitude ne permet pas de distinguer de zéro"))
    n_ind = {6: "six"}.get(len(r.indicators), str(len(r.indicators)))
    t["itt_others"] = (f"{_WORDS.get(n_pos, str(n_pos))} des {n_ind} indicateurs progressent significativement"
                       + (f", {n_neg} reculent" if n_neg else ""))

    pp = r.per_protocol.set_index("outcome") if len(r.per_protocol) else None
    share = float(r.intensity.mean()) if len(r.intensity) else np.nan
    if pp is not None and main in pp.index:
        p = pp.loc[main]
        ratio = h["estimate"] / p["estimate"] if p["estimate"] else np.nan
        t["pp_sentence"] = (
            f"Pour les seuls patients effectivement suivis par l'infirmière "
            f"({fmt_int(r.pp_counts.get('patients_followed', 0))} patients présents toutes les années, comparés aux "
            f"patients des médecins témoins), l'écart estimé atteint {fmt_pp(p['estimate'], 1, sign=True)} "
            f"(IC à 95 % {fmt_ci(p['ci_low'], p['ci_high'])}). L'effet en intention de traiter n'en représente que "
            f"{fmt_pct(100 * ratio, 0) if np.isfinite(ratio) else 'n.d.'} : l'infirmière ne suit qu'une partie des "
            f"diabétiques du médecin ({fmt_pct(share, 0)} en moyenne des patients-années après l'entrée).")
    else:
        t["pp_sentence"] = ("Les données ne permettent pas d'estimer l'effet pour les seuls patients suivis par "
                            "l'infirmière (suivi infirmier non renseigné ou absence de témoins).")

    d = r.dose[r.dose["outcome"] == main].sort_values("intensity_mean")
    if len(d) >= 2:
        lo, hi = d.iloc[0], d.iloc[-1]
        part = "tiers" if len(d) == 3 else "moitié"
        up = bool(np.all(np.diff(d["estimate"].to_numpy()) > 0))
        t["dose_sentence"] = (
            ("L'effet croît avec l'intensité de la coopération : " if up else
             "L'effet ne croît pas régulièrement avec l'intensité de la coopération : ")
            + f"{fmt_pp(lo['estimate'], 1, sign=True)} pour le {part} des médecins Asalée dont l'infirmière suit la "
            f"plus petite part des diabétiques ({fmt_pct(lo['intensity_mean'], 0)} en moyenne), "
            f"{fmt_pp(hi['estimate'], 1, sign=True)} pour le {part} où elle en suit la plus grande part "
            f"({fmt_pct(hi['intensity_mean'], 0)}).")
    else:
        t["dose_sentence"] = ("Trop peu de médecins Asalée pour comparer des groupes d'intensité d'au moins "
                              f"{MIN_CELL} médecins.")

    p_pre = r.pretest_p
    if not np.isfinite(p_pre):
        verdict = "ne peut pas être calculé (pas d'écart observable avant l'entrée)"
    elif p_pre >= 0.05:
        verdict = "ne rejette pas l'hypothèse de tendances parallèles avant l'entrée"
    else:
        verdict = "rejette l'hypothèse de tendances parallèles avant l'entrée : la comparaison est fragile"
    t["pretest_sentence"] = (f"le test joint de nullité des écarts avant l'entrée (p = {fmt_num(p_pre, 2)}) "
                             + verdict)

    hon = r.honest
    if hon is not None:
        bd, g = hon.breakdown, hon.grid
        t["honest_estimate"] = fmt_pp(hon.estimate, 1, sign=True)
        if bd is None:
            t["honest_sentence"] = (
                "l'intervalle robuste exclut zéro pour toutes les valeurs essayées, jusqu'à M̄ = "
                f"{fmt_num(g['M'].max(), 0)} (violations après l'entrée deux fois plus grandes que la plus grande "
                "observée avant)")
        elif bd <= 0 or not bool(g["significant"].iloc[0]):
            t["honest_sentence"] = "l'intervalle robuste contient zéro même sans violation des tendances parallèles"
        else:
            t["honest_sentence"] = (
                f"l'effet moyen reste significatif tant que l'écart de tendance après l'entrée ne dépasse pas "
                f"{fmt_num(bd, 2)} fois le plus grand écart d'une année sur l'autre observé avant l'entrée ; "
                "au-delà, les données ne permettent plus de conclure")
    else:
        t["honest_estimate"] = "n.d."
        t["honest_sentence"] = "la sensibilité ne peut pas être calculée (pas d'année observée avant l'entrée)"
    nv = r.naive.set_index("outcome") if len(r.naive) else None
    t["naive_hba1c"] = fmt_pp(nv.loc[main, "estimate"], 1, sign=True) if nv is not None and main in nv.index else "n.d."
    t.update(agreement_texts(r))
    return t


def agreement_texts(r: AsaleeResult) -> dict[str, str]:
    """``asalee_agreement_sentence``: the estimator agreement panel over the indicators (computed flags)."""
    from ..agreement import sentence

    if not r.agreement:
        return {"asalee_agreement_sentence": "Le panel des estimateurs de comparaison n'a pas été calculé."}
    names = {i: f"l'indicateur « {SHORT.get(i, i)} »" for i in r.agreement}
    scope = f"chacun des {_WORDS.get(len(r.agreement), fmt_int(len(r.agreement)))} indicateurs"
    return {"asalee_agreement_sentence": sentence(r.agreement, names, scope=scope)}
