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
_WORDS = {0: "aucun", 1: "un", 2: "deux", 3: "trois", 4: "quatre", 5: "cinq", 6: "six"}
PRE_CITED = ("creatinine", "lipids")  #: indicators whose pre-entry level the prose cites, besides the main one


def champ(r: AsaleeResult) -> str:
    """The « Champ » line shared by the chapter's figures and tables."""
    return (f"patients diabétiques de type 2 des médecins généralistes entrés dans Asalée en "
            f"{fmt_years(r.cohorts)} et des médecins témoins (jamais entrés), {r.years[0]}–{r.years[-1]}")


def source(kind: str) -> str:
    """The « Source » line: the synthetic data and their calibration, or the evaluator's data."""
    return plots.data_source(ANCHOR, "asalee", kind)


def texts(r: AsaleeResult, kind: str) -> dict[str, str]:
    """French strings glued into the chapter's prose (``{glue:md}`key```), computed from ``r``.

    ``kind`` (``"synthetic"`` | ``"user"``): the sentences that say where the data come from.
    """
    t: dict[str, str] = {}
    synthetic = kind == "synthetic"
    t["data_lead"] = ("Sur les données synthétiques de cette page, calibrées sur ces résultats,"
                      if synthetic else "Sur les données fournies par l'utilisateur,")
    t["published_note"] = (
        "Sur données synthétiques, retrouver un chiffre publié ne confirme pas l'étude de l'Irdes : les données ont "
        "été construites pour le reproduire. La comparaison vérifie que la chaîne de calcul retrouve l'effet "
        "introduit dans les données ; elle montre aussi ce que les synthèses publiées ne donnent pas (l'effet en "
        "intention de traiter, l'intervalle de confiance)." if synthetic else
        "Un écart entre l'estimation sur les données fournies et le chiffre publié peut tenir au champ (médecins, "
        "années d'entrée), à la définition des indicateurs ou à la sélection des patients suivis, autant qu'à "
        "l'effet lui-même. La comparaison montre aussi ce que les synthèses publiées ne donnent pas (l'effet en "
        "intention de traiter, l'intervalle de confiance).")
    t["data_box"] = (
        "Les données de cette page sont synthétiques : des patients diabétiques rattachés à des médecins, avec des "
        "niveaux de suivi proches des taux nationaux, une tendance commune, des médecins Asalée partant de plus haut, "
        "un effet per-protocole de la taille publiée sur l'HbA1c et un effet qui croît avec l'intensité (paramètres "
        "et sources documentés dans le module `evalkit.simulate.asalee`). Un évaluateur disposant des données "
        "réelles (SNDS) les met au même format et relance la page." if synthetic else
        "Les données de cette page sont celles fournies par l'utilisateur, au format des contrats evalkit (un "
        "patient diabétique × année, rattaché à son médecin) ; elles sont identifiées par leur empreinte dans la "
        "ligne « Source » des figures et tableaux.")
    t["limit_data"] = (
        "**Données synthétiques.** Les niveaux et effets de cette page reproduisent des ordres de grandeur publiés ; "
        "seuls les chiffres cités avec leur source sont des résultats d'études." if synthetic else
        "**Données.** Les résultats dépendent de l'extraction fournie : le repérage des diabétiques, le rattachement "
        "des patients à leur médecin et la définition du suivi infirmier conditionnent la comparaison avec "
        "l'évaluation publiée.")
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
        sure = up and bool(hi["ci_low"] > lo["ci_high"])  # « croît » only when the extreme groups' intervals are disjoint
        t["dose_sentence"] = (
            ("L'effet croît avec l'intensité de la coopération : " if sure else
             "L'effet estimé augmente avec l'intensité de la coopération, sans que les intervalles de confiance des "
             "groupes extrêmes soient disjoints : " if up else
             "L'effet estimé ne varie pas régulièrement avec l'intensité de la coopération : ")
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
    return t
