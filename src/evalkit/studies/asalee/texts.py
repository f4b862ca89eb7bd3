"""Asalée: the French words of the chapter — indicator labels, captions and the sentences glued into the prose.

:func:`texts` returns exactly the glue keys ``chapters/asalee.ipynb`` uses (``tests/test_asalee.py`` checks it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import plots
from .. import agreement
from ...disclosure import MIN_CELL
from ...fr import fmt_ci, fmt_int, fmt_num, fmt_p, fmt_pct, fmt_pp, fmt_years
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
ALPHA = 0.05


def n_significant(r: AsaleeResult, column: str = "p_romano_wolf") -> tuple[int, int]:
    """Indicators whose ITT is significant at 5 % by the adjusted p-value ``column``: (number up, number down)."""
    sig = r.itt[column] < ALPHA
    return int((sig & (r.itt["estimate"] > 0)).sum()), int((sig & (r.itt["estimate"] < 0)).sum())


def dose_verdict(r: AsaleeResult, indicator: str) -> str:
    """``"up"`` (equality of the groups' effects on followed patients rejected at 5 % and estimates increasing with
    intensity), ``"differs"`` (rejected, not increasing), ``"equal"`` (not rejected) or ``"na"`` (no test)."""
    t = r.dose_test[r.dose_test["outcome"] == indicator]
    if t.empty or not np.isfinite(t["p_value"].iloc[0]):
        return "na"
    if t["p_value"].iloc[0] >= ALPHA:
        return "equal"
    return "up" if bool(t["increasing"].iloc[0]) else "differs"


def champ(r: AsaleeResult) -> str:
    """The « Champ » line shared by the chapter's figures and tables."""
    return (f"patients diabétiques de type 2 des médecins généralistes entrés dans Asalée en "
            f"{fmt_years(r.cohorts)} et des médecins témoins (jamais entrés), {r.years[0]}–{r.years[-1]}")


def source(kind: str) -> str:
    """The « Source » line: the synthetic data and their calibration, or the evaluator's data."""
    return plots.data_source(ANCHOR, "asalee", kind)


def _row(table: pd.DataFrame, outcome: str) -> pd.Series | None:
    """The row of ``outcome`` in a table with one row per indicator (None if it has none)."""
    t = table.set_index("outcome")
    return t.loc[outcome] if outcome in t.index else None


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

    n_pos, n_neg = n_significant(r)
    h = itt.loc[main]
    sig = h["ci_low"] > 0 or h["ci_high"] < 0
    verb = "augmente" if h["estimate"] > 0 else "réduit"
    t["answer_itt"] = (
        f"l'entrée d'un médecin dans Asalée {verb} de {fmt_pp(abs(h['estimate']), 1)} (IC à 95 % "
        f"{fmt_ci(h['ci_low'], h['ci_high'])}) la part de ses patients diabétiques qui ont au moins trois dosages "
        "d'HbA1c dans l'année"
        + ("" if sig else " — un écart que l'incertitude ne permet pas de distinguer de zéro"))
    n_ind = {6: "six"}.get(len(r.indicators), str(len(r.indicators)))
    t["itt_others"] = (f"{_WORDS.get(n_pos, str(n_pos))} des {n_ind} indicateurs "
                       + ("progresse" if n_pos <= 1 else "progressent")
                       + (f" et {_WORDS.get(n_neg, str(n_neg))} "
                          + ("recule" if n_neg == 1 else "reculent") if n_neg else "")
                       + " significativement, une fois pris en compte le nombre de tests (p-values ajustées de "
                       "Romano et Wolf, seuil de 5 %)")

    w = _row(r.wald, main)
    if w is not None:
        t["wald_sentence"] = (
            f"Rapporté à la hausse de la part des diabétiques suivis par l'infirmière après l'entrée du médecin "
            f"({fmt_pp(w['first_stage'], 1, sign=True)}), l'effet en intention de traiter sur les trois dosages "
            f"d'HbA1c correspond à {fmt_pp(w['estimate'], 1, sign=True)} (IC à 95 % "
            f"{fmt_ci(w['ci_low'], w['ci_high'])}) pour les patients que l'infirmière suit : c'est l'effet sur les "
            "patients suivis, estimé sans comparer des patients choisis (double différence de Wald).")
    else:
        t["wald_sentence"] = ("Les données ne permettent pas d'estimer l'effet sur les patients suivis (suivi "
                              "infirmier non renseigné, ou part de patients suivis qui ne progresse pas "
                              "significativement après l'entrée).")
    p = _row(r.per_protocol, main)
    if p is not None:
        t["pp_sentence"] = (
            f"La comparaison per-protocole, celle des évaluations publiées, rapproche les seuls patients suivis "
            f"({fmt_int(r.pp_counts.get('patients_followed', 0))} patients présents toutes les années) des patients "
            f"des médecins témoins : l'écart estimé atteint {fmt_pp(p['estimate'], 1, sign=True)} (IC à 95 % "
            f"{fmt_ci(p['ci_low'], p['ci_high'])}).")
    else:
        t["pp_sentence"] = ("Les données ne permettent pas la comparaison per-protocole des seuls patients suivis "
                            "par l'infirmière (suivi infirmier non renseigné ou absence de témoins).")
    g = _row(r.selection, main)
    if g is not None:
        gap = (f"L'écart entre la comparaison per-protocole et l'effet sur les patients suivis est de "
               f"{fmt_pp(g['estimate'], 1, sign=True)} (IC à 95 % {fmt_ci(g['ci_low'], g['ci_high'])}, "
               f"p {fmt_p(g['p_value'], style='eq')}) : ")
        if g["p_value"] >= ALPHA:
            gap += ("il ne se distingue pas de zéro ; rien n'indique ici que le choix des patients suivis biaise la "
                    "comparaison per-protocole, sans que ce test, peu puissant, permette de l'exclure.")
        elif g["estimate"] > 0:
            gap += ("la comparaison per-protocole dépasse significativement l'effet sur les patients suivis. Les "
                    "patients confiés à l'infirmière auraient vu leur suivi progresser davantage que les témoins "
                    "même sans elle (par exemple s'ils sont recrutés au sortir d'une mauvaise année) : la "
                    "comparaison per-protocole attribue cette différence au dispositif.")
        else:
            gap += ("la comparaison per-protocole est significativement inférieure à l'effet sur les patients "
                    "suivis : les patients confiés à l'infirmière auraient vu leur suivi progresser moins que les "
                    "témoins sans elle, ou l'entrée du médecin change aussi le suivi des patients qu'elle ne suit "
                    "pas.")
        t["selection_sentence"] = gap
    else:
        t["selection_sentence"] = ("Faute de l'une des deux estimations, l'écart entre comparaison per-protocole et "
                                   "effet sur les patients suivis, qui renseigne sur la sélection des patients "
                                   "suivis, ne peut pas être calculé.")

    d = r.dose[(r.dose["outcome"] == main) & r.dose["pf_estimate"].notna()].sort_values("intensity_mean")
    verdict = dose_verdict(r, main)
    if len(d) >= 2 and verdict != "na":
        lo, hi = d.iloc[0], d.iloc[-1]
        part = "tiers" if len(d) == 3 else "moitié"
        p = float(r.dose_test.set_index("outcome").loc[main, "p_value"])
        head = {"up": "L'effet sur les patients suivis croît avec l'intensité de la coopération",
                "differs": "L'effet sur les patients suivis varie avec l'intensité de la coopération, sans croître "
                           "régulièrement",
                "equal": "L'effet sur les patients suivis ne diffère pas significativement selon l'intensité de la "
                         "coopération"}[verdict]
        t["dose_sentence"] = (
            f"{head} (test d'égalité entre groupes, p {fmt_p(p, style='eq')}) : "
            f"{fmt_pp(lo['pf_estimate'], 1, sign=True)} pour les patients suivis du {part} des médecins Asalée dont "
            f"l'infirmière suit la plus petite part des diabétiques ({fmt_pct(lo['intensity_mean'], 0)} en moyenne), "
            f"{fmt_pp(hi['pf_estimate'], 1, sign=True)} pour le {part} où elle en suit la plus grande part "
            f"({fmt_pct(hi['intensity_mean'], 0)}).")
    else:
        t["dose_sentence"] = ("Trop peu de médecins Asalée, ou trop peu de patients suivis, pour comparer l'effet "
                              f"sur les patients suivis entre des groupes d'intensité d'au moins {MIN_CELL} "
                              "médecins.")

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
        # a different quantity from the headline: say so, with both numbers (issue 15, « one number, one definition »)
        t["honest_estimate"] = (
            f"{fmt_pp(hon.estimate, 1, sign=True)} en moyenne simple sur les années suivant l'entrée, chaque année "
            f"d'ancienneté comptant autant — une autre moyenne que l'effet retenu, {fmt_pp(h['estimate'], 1, sign=True)}"
            ", où chaque cohorte et chaque année pèsent selon leurs effectifs")
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
        t["honest_estimate"] = "n.d."  # (the sentence then says why)
        t["honest_sentence"] = "la sensibilité ne peut pas être calculée (pas d'année observée avant l'entrée)"
    nv = _row(r.naive, main)
    t["naive_hba1c"] = fmt_pp(nv["estimate"], 1, sign=True) if nv is not None else "n.d."
    t.update(agreement_texts(r))
    return t


def agreement_texts(r: AsaleeResult) -> dict[str, str]:
    """``asalee_agreement_sentence``: the estimator agreement panel over the indicators (computed flags)."""
    return agreement.glue("asalee_agreement_sentence", r.agreement,
                          {i: f"l'indicateur « {SHORT.get(i, i)} »" for i in r.agreement},
                          scope=f"chacun des {_WORDS.get(len(r.agreement), fmt_int(len(r.agreement)))} indicateurs")
