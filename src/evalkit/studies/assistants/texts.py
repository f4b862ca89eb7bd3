"""Assistants médicaux: the French sentences and figures glued into the chapter's prose, and the chapter's labels."""

from __future__ import annotations

import numpy as np

from ... import plots
from .. import agreement
from ...fr import NBSP, fmt_ci, fmt_eur, fmt_list, fmt_num, fmt_p, fmt_pct, fmt_span
from .analysis import NEVER, SIGNATORIES, AssistantsResult
from .policy import (CLAIM_CONTRACTS, CLAIM_PATIENTS, CLAIM_READINGS, CLAIM_TARGET_CONTRACTS, CONTRACTS,
                     OPTION_FTE, OPTION_SHARES_2021, OPTIONS, PUBLISHED, WITHOUT_MT)

ANCHOR = "les bilans de l'Assurance maladie (2022, 2024) et le rapport du HCAAM (2022)"
CHAMP = "médecins généralistes libéraux, {y0}–{y1} ; contrats d'assistant médical débutant en {c0}–{c1}"
OPTION_LABELS = {"third": "Tiers temps", "half": "Mi-temps", "full": "Temps plein"}
GROUP_LABELS = {SIGNATORIES: "signataires", NEVER: "non-signataires"}
COVARIATE_LABELS = {"underserved": "zone sous-dense", "age": "âge", "female": "sexe",
                    "patients_mt_first": "patientèle médecin traitant de la première année"}


_PER_OPTION = ("att", "gain", "gain_ci", "gain_fte", "att_nyt", "att_nyt_ci")
KEYS: tuple[str, ...] = (
    *(f"{o}_{k}" for o in OPTIONS for k in _PER_OPTION), "half_diff", "half_diff_ci", "half_diff_sentence",
    *(f"u_{o}_{k}" for o in OPTIONS for k in ("gain", "gain_ci")), "u_full_diff", "u_full_diff_ci",
    "u_full_half_diff", "u_full_half_diff_ci", "u_half_diff", "u_half_diff_ci", "u_order_sentence",
    *(f"cgbs_{o}{k}" for o in OPTIONS for k in ("", "_ci")), "cgbs_covariates",
    *(f"cost_{o}{k}" for o in (*OPTIONS, "all") for k in ("", "_ci")), "cost_all_steady",
    *(f"target_{o}_share" for o in (*OPTIONS, "all")), "target_all_mean", "target_all_placebo",
    "proj_2022_01", "proj_2022_01_ci", "proj_2022_01_claim_pct", "proj_2022_objectif", "proj_2022_objectif_ci",
    "proj_2022_objectif_claim_pct", "proj_2024_10", "proj_2024_10_ci", "proj_2024_10_nomt_pct", "claim_contracts",
    "claim_target_contracts", "claim_gp_contracts", "claim_target_gp_contracts", "claim_per_contract",
    "claim_per_gp_contract", "claim_per_target_contract", "claim_per_target_gp_contract", "proj_2024_10_gp_contracts",
    "gain_per_contract",
    "att", "att_ci", "att_pct", "att_nyt", "att_nyt_ci", "twfe", "twfe_ci", "pretest_p", "pretest_p_nocov",
    "pretest_cov_sentence", "pretest_nocov_sentence", "cov_list", "gain_0", "gain_h", "gain_h_ci", "gain_h_pct",
    "horizon_months", "horizon_years", "share_trend", "honest_breakdown", "honest_m1_ci", "fa_att", "fa_att_pct",
    "acts_att", "acts_att_pct", "n_gps", "n_sign", "n_never", "years", "cohorts",
    "data_lead", "options_lead", "desc_lead", "desc_calib", "published_note", "data_box", "limit_data",
    *(f"desc_{k}" for k in ("cohorts", "n", "base", "after48", "change48", "change48_pct", "change30_pct",
                            "ctrl48", "ctrl48_pct", "ctrl_base", "rawdid")),
    "agreement_sentence",
)  # the glue keys of chapters/assistants.ipynb (tests/test_assistants.py checks both ways)


def champ(r: AssistantsResult) -> str:
    """The « Champ » line of the chapter's figures and tables."""
    return CHAMP.format(y0=r.data_years[0], y1=r.data_years[1], c0=min(r.cohorts), c1=max(r.cohorts))


def source(kind: str) -> str:
    """The « Source » line: the bundled synthetic data (and what they are calibrated on) or the evaluator's data."""
    return plots.data_source(ANCHOR, "assistants", kind)


def months(h: int) -> int:
    """Months after baseline at event time ``h`` (the year before the contract is the baseline)."""
    return 12 * (h + 1)


def mode_texts(kind: str) -> dict[str, str]:
    """The sentences that say where the data come from: synthetic data calibrated on published figures, or the
    user's data (no word of synthetic data then)."""
    if kind == "user":
        return {
            "data_lead": "Sur les données fournies par l'utilisateur,",
            "options_lead": "Comparées sur des médecins comparables",
            "desc_lead": "Sur les données fournies par l'utilisateur,",
            "desc_calib": (f"La Cnam publie, pour ses premiers signataires, une hausse de "
                           f"{fmt_pct(PUBLISHED['mt_change_48m'], 1, sign=True)} en 48 mois."),
            "published_note": (
                "Le tableau met en regard les évolutions descriptives publiées par la Cnam et leur équivalent sur les "
                "données fournies. Aucun effet contrefactuel n'ayant été publié, seule la double différence de ce "
                "chapitre estime la part de la hausse attribuable au contrat ; un écart avec les chiffres publiés "
                "peut tenir au champ, aux cohortes de signataires ou aux définitions."),
            "data_box": ("Les données sont celles fournies par l'utilisateur, au format des contrats evalkit ; elles "
                         "sont identifiées par leur empreinte dans la ligne « Source » des figures et tableaux."),
            "limit_data": ("**Données.** Les résultats dépendent de l'extraction fournie : le champ des médecins, "
                           "les dates de contrat et la définition de la patientèle médecin traitant conditionnent la "
                           "comparaison avec les chiffres publiés."),
        }
    return {
        "data_lead": ("Sur des données synthétiques qui reproduisent ces chiffres publiés — et reposent, faute "
                      "d'évaluation publiée, sur une hypothèse d'effet —,"),
        "options_lead": ("Toujours sur ces données synthétiques, dont les chiffres illustrent la méthode sans "
                         "renseigner sur le dispositif réel, et comparées sur des médecins comparables"),
        "desc_lead": "Sur les données synthétiques,",
        "desc_calib": "Ces chiffres sont proches de ceux de la Cnam, sur lesquels les données ont été calibrées.",
        "published_note": (
            "Les lignes « calibrage » vérifient que les données synthétiques reproduisent les chiffres descriptifs "
            "publiés ; elles ne valident pas l'effet estimé, qui dépend des hypothèses du générateur (tendances, "
            "sélection, effets par option). Seule une estimation sur les données du SNDS, avec le même programme, "
            "dira si le gain réel est plus proche de la hausse brute ou de l'effet estimé ici."),
        "data_box": ("Les données sont synthétiques : elles sont générées par evalkit et calibrées sur les bilans "
                     "de l'Assurance maladie et le rapport du HCAAM (effectifs, répartition des options, hausses "
                     "avant/après, tendance des non-signataires). Un évaluateur disposant d'un extrait du SNDS au "
                     "même format relance le chapitre à l'identique."),
        "limit_data": ("**Données synthétiques.** Les ordres de grandeur de l'effet, du coût et de la projection "
                       "découlent des hypothèses du générateur, calibré sur des chiffres descriptifs : ils illustrent "
                       "ce que donnerait la méthode, pas ce qu'a réellement produit le dispositif."),
    }


def texts(r: AssistantsResult, kind: str) -> dict[str, str]:
    """French strings for the prose (glued in the notebook); « n.d. » when the data do not allow a number.
    ``kind`` (« synthetic » | « user »): see :func:`mode_texts`."""
    m = r.cs["patients_mt"]
    rel = m.relative("simple")
    t: dict[str, str] = dict.fromkeys(KEYS, "n.d.")  # every key the chapter pastes exists, even without data
    t.update(mode_texts(kind))
    t["n_never"] = fmt_num(r.n_gps - r.n_signatories, 0)
    t["cov_list"] = ", ".join(COVARIATE_LABELS.get(c, c) for c in r.covariates) if r.covariates else "aucune"
    # the « 500 000 » claim, read against the contracts signed at the time and against the 4,000 planned
    gp = CONTRACTS.set_index("date")["gp_contracts"]
    g_signed, g_target = float(gp[CLAIM_READINGS["signed"]]), float(gp[CLAIM_READINGS["target"]])
    t["claim_contracts"], t["claim_target_contracts"] = fmt_num(CLAIM_CONTRACTS, 0), fmt_num(CLAIM_TARGET_CONTRACTS, 0)
    t["claim_gp_contracts"], t["claim_target_gp_contracts"] = fmt_num(g_signed, 0), fmt_num(g_target, 0)
    t["claim_per_contract"] = fmt_num(CLAIM_PATIENTS / CLAIM_CONTRACTS, 0)
    t["claim_per_gp_contract"] = fmt_num(CLAIM_PATIENTS / g_signed, 0)
    t["claim_per_target_contract"] = fmt_num(CLAIM_PATIENTS / CLAIM_TARGET_CONTRACTS, 0)
    t["claim_per_target_gp_contract"] = fmt_num(CLAIM_PATIENTS / g_target, 0)
    t["proj_2024_10_gp_contracts"] = fmt_num(float(gp["2024-10"]), 0)
    _options_texts(r, t)
    if len(r.dose):
        g = r.dose.set_index("option")["gain"]
        sh = {o: OPTION_SHARES_2021[o] for o in g.index}
        t["gain_per_contract"] = fmt_num(sum(sh[o] * g[o] for o in g.index) / sum(sh.values()), 0)
    _est_ci(t, "att", m.simple.estimate, m.simple.ci_low, m.simple.ci_high)
    t["att_pct"] = fmt_pct(rel.estimate, 1, sign=True)
    t["pretest_p"] = fmt_p(m.pretest_p, style="eq")
    nc = r.cs_variants["no_covariates"]
    t["pretest_p_nocov"] = fmt_p(nc.pretest_p, style="eq")
    t["pretest_nocov_sentence"] = ("est rejetée avant même la signature" if nc.pretest_p < 0.05
                                   else "n'est pas rejetée avant la signature")
    t["pretest_cov_sentence"] = ("les écarts avant contrat sont compatibles avec zéro" if m.pretest_p >= 0.05
                                 else "des écarts significatifs subsistent avant le contrat")
    est = r.estimators.set_index("key")
    if "twfe" in est.index:
        _est_ci(t, "twfe", *est.loc["twfe", ["estimate", "ci_low", "ci_high"]])
    for o in OPTIONS:
        if (ny := r.by_option_nyt.get(o)) is not None:  # else « n.d. »
            _est_ci(t, f"{o}_att_nyt", ny.simple.estimate, ny.simple.ci_low, ny.simple.ci_high)
    ny = r.cs_variants["not_yet_treated"]
    _est_ci(t, "att_nyt", ny.simple.estimate, ny.simple.ci_low, ny.simple.ci_high)
    h = r.horizon
    t["horizon_months"] = fmt_num(months(h), 0)
    t["horizon_years"] = fmt_num(h + 1, 0)
    row_h = m.dynamic.table[m.dynamic.table.event_time == h]
    if len(row_h):
        x = row_h.iloc[0]
        _est_ci(t, "gain_h", x.estimate, x.ci_low, x.ci_high)
        t["gain_h_pct"] = fmt_pct(100 * x.estimate / m.pre_mean, 1, sign=True)
    row0 = m.dynamic.table[m.dynamic.table.event_time == 0]
    if len(row0):
        t["gain_0"] = fmt_num(row0.iloc[0].estimate, 0, sign=True)
    t["n_gps"] = fmt_num(r.n_gps, 0)
    t["n_sign"] = fmt_num(r.n_signatories, 0)
    t["years"] = fmt_span(r.data_years)
    t["cohorts"] = fmt_span([min(r.cohorts), max(r.cohorts)])
    desc = r.descriptive
    if len(desc):
        s = desc[(desc.outcome == "patients_mt") & (desc.group == SIGNATORIES)].iloc[0]
        n = desc[(desc.outcome == "patients_mt") & (desc.group == NEVER)].iloc[0]
        t["desc_cohorts"] = fmt_list(r.desc_cohorts)
        t["desc_n"] = fmt_num(s.n_gps, 0)
        t["desc_base"] = fmt_num(s.base, 0)
        t["desc_after48"] = fmt_num(s.after_48m, 0)
        t["desc_change48"] = fmt_num(s.change_48m, 0, sign=True)
        t["desc_change48_pct"] = fmt_pct(s.change_48m_pct, 1, sign=True)
        t["desc_change30_pct"] = fmt_pct(s.change_30m_pct, 1, sign=True)
        t["desc_ctrl48_pct"] = fmt_pct(n.change_48m_pct, 1, sign=True)
        t["desc_ctrl48"] = fmt_num(n.change_48m, 0, sign=True)
        t["desc_ctrl_base"] = fmt_num(n.base, 0)
        t["desc_rawdid"] = fmt_num(s.change_48m - n.change_48m, 0, sign=True)
        if len(row_h):
            t["share_trend"] = fmt_pct(100 * (1 - row_h.iloc[0].estimate / s.change_48m), 0)
    for d in r.dose.itertuples():
        o = d.option
        t[f"{o}_att"] = fmt_num(d.att, 0, sign=True)
        _est_ci(t, f"{o}_gain", d.gain, d.gain_ci_low, d.gain_ci_high)
        t[f"{o}_gain_fte"] = fmt_num(d.gain_per_fte, 0)
    for c in r.cost.itertuples():
        t[f"cost_{c.option}"] = fmt_eur(c.estimate)
        t[f"cost_{c.option}_ci"] = (fmt_ci(c.ci_low, c.ci_high, 0, "€") if np.isfinite(c.ci_high)
                                    else f"[{fmt_num(c.ci_low, 0)}{NBSP}€ ; ∞[")
        if c.option == "all":
            t["cost_all_steady"] = fmt_eur(c.steady)
    for x in r.targets.itertuples():
        t[f"target_{x.option}_share"] = fmt_pct(x.share_reached, 0)
        if x.option == "all":
            t["target_all_placebo"] = fmt_pct(x.placebo_share, 0)
            t["target_all_mean"] = fmt_pct(x.target_mean, 1, sign=True)
    proj = r.projection.set_index("date")
    for date in ("2022-01", "2022-objectif", "2024-10"):  # the claim's two readings and the latest count
        if date in proj.index and np.isfinite(proj.loc[date, "estimate"]):
            p, key = proj.loc[date], "proj_" + date.replace("-", "_")
            t[key] = fmt_num(round(p.estimate, -3), 0)  # rounded to the thousand: a projection
            t[f"{key}_ci"] = fmt_ci(round(p.ci_low, -3), round(p.ci_high, -3), 0)
    for date in ("2022-01", "2022-objectif"):
        key = "proj_" + date.replace("-", "_")
        if t[key] != "n.d.":
            t[f"{key}_claim_pct"] = fmt_pct(100 * proj.loc[date, "estimate"] / CLAIM_PATIENTS, 0)
    if t["proj_2024_10"] != "n.d.":
        t["proj_2024_10_nomt_pct"] = fmt_pct(100 * proj.loc["2024-10", "estimate"] / WITHOUT_MT, 1)
    if r.honest is not None:
        hb = r.honest.breakdown
        m_max = fmt_num(float(r.honest.grid["M"].max()), 1)
        t["honest_breakdown"] = (f"le gain reste significatif pour toutes les valeurs testées, jusqu'à M̄ = {m_max}"
                                 if hb is None else f"le gain cesse d'être significatif à partir de M̄ = "
                                                    f"{fmt_num(hb, 2)}")
        g = r.honest.grid
        one = g[np.isclose(g["M"], 1.0)]
        if len(one):
            t["honest_m1_ci"] = fmt_ci(float(one.ci_low.iloc[0]), float(one.ci_high.iloc[0]), 0)
    for key, o in (("fa", "file_active"), ("acts", "acts")):
        t[f"{key}_att"] = fmt_num(r.cs[o].simple.estimate, 0, sign=True)
        t[f"{key}_att_pct"] = fmt_pct(r.cs[o].relative("simple").estimate, 1, sign=True)
    t.update(agreement_texts(r))
    return t


def _est_ci(t: dict[str, str], key: str, est: float, lo: float, hi: float) -> None:
    """``t[key]``: the signed estimate, ``t[key + "_ci"]``: its 95 % CI, in whole units (patients)."""
    t[key], t[f"{key}_ci"] = fmt_num(est, 0, sign=True), fmt_ci(lo, hi, 0)


def _significant_diff(est: float, lo: float, hi: float, bigger: str, smaller: str) -> str:
    """« X gagne plus que Y » only when the CI of the difference excludes 0."""
    if not np.isfinite(est):
        return ""
    if lo > 0:
        return f"le {bigger} gagne davantage que le {smaller}"
    if hi < 0:
        return f"le {bigger} gagne moins que le {smaller}"
    return f"l'écart entre {bigger} et {smaller} n'est pas significatif"


def _options_texts(r: AssistantsResult, t: dict[str, str]) -> None:
    """Options among comparable GPs: half − third among all GPs; the three options among underserved GPs; the
    multi-valued treatment DiD (Callaway, Goodman-Bacon & Sant'Anna 2024) among underserved GPs."""
    names = {"third": "tiers temps", "half": "mi-temps", "full": "temps plein"}
    dose = r.dose.set_index("option") if len(r.dose) else None
    if dose is not None and "half" in dose.index and np.isfinite(dose.loc["half", "diff_third"]):
        x = dose.loc["half"]
        _est_ci(t, "half_diff", x.diff_third, x.diff_third_ci_low, x.diff_third_ci_high)
        t["half_diff_sentence"] = _significant_diff(x.diff_third, x.diff_third_ci_low, x.diff_third_ci_high,
                                                    names["half"], names["third"])
    u = r.dose_underserved.set_index("option") if len(r.dose_underserved) else None
    if u is not None:
        for o, x in u.iterrows():
            _est_ci(t, f"u_{o}_gain", x.gain, x.gain_ci_low, x.gain_ci_high)
        parts = []
        for o, col, key, ref in (("full", "diff_third", "u_full_diff", "third"),
                                 ("full", "diff_half", "u_full_half_diff", "half"),
                                 ("half", "diff_third", "u_half_diff", "third")):
            if o in u.index and np.isfinite(u.loc[o, col]):
                x = u.loc[o]
                _est_ci(t, key, x[col], x[f"{col}_ci_low"], x[f"{col}_ci_high"])
                parts.append(_significant_diff(x[col], x[f"{col}_ci_low"], x[f"{col}_ci_high"], names[o],
                                               names[ref]))
        if parts:
            t["u_order_sentence"] = f"{NBSP}; ".join(parts)
    c = r.dose_cgbs
    if c is not None:
        for o in OPTIONS:
            try:
                e = c.att(OPTION_FTE[o])
            except KeyError:
                continue
            _est_ci(t, f"cgbs_{o}", e.estimate, e.ci_low, e.ci_high)
        covs = c.settings.get("covariates", [])
        t["cgbs_covariates"] = ", ".join(COVARIATE_LABELS.get(x, x) for x in covs) if covs else "aucune"


#: Outcomes with their article, for the agreement sentence.
AGREEMENT_NAMES = {"patients_mt": "la patientèle médecin traitant", "file_active": "la file active",
                   "acts": "le nombre d'actes"}


def agreement_texts(r: AssistantsResult) -> dict[str, str]:
    """``agreement_sentence``: the estimator agreement panel over the outcomes (computed flags)."""
    return agreement.glue("agreement_sentence", r.agreement, {o: AGREEMENT_NAMES.get(o, o) for o in r.agreement})
