"""The French sentences of the MSP chapter that follow the data: glued texts (:func:`texts`) and the titles of its
figures and tables (``title_*``). Every number comes from an :class:`~.analysis.MSPResult`; the direction of each
comparison is computed, so the prose stays true on other data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import plots
from .. import agreement
from ...disclosure import count_fr
from ...estimators.base import Estimate
from ...fr import NBSP, fmt_ci, fmt_list, fmt_num, fmt_p, fmt_pct, fmt_span, round_sig
from .analysis import COHORT, HONEST_GRID, MIN_COHORT, OUTCOME_UNITS, MSPResult, Prepared
from .published import ANCHOR, PUBLISHED

#: Per outcome: French label, short label, decimals in prose, unit suffix.
LABELS = {
    "patients_mt": dict(label="patientèle médecin traitant", short="Patientèle MT", dec=0, suffix="patients"),
    "file_active": dict(label="file active", short="File active", dec=0, suffix="patients"),
    "fees": dict(label="honoraires annuels", short="Honoraires", dec=0, suffix="€"),
}
RURALITY_FR = {"urban": "Urbain", "periurban": "Périurbain", "rural": "Rural"}
_KEY = {"patients_mt": "mt", "file_active": "fa", "fees": "fees"}  # suffix of the glue keys
_SMD_VAR = {"rurality=rural": "la ruralité", "rurality=urban": "le caractère urbain",
            "rurality=periurban": "le caractère périurbain", "age": "l'âge", "female": "le sexe",
            "base_mt": "la patientèle MT", "base_fa": "la file active", "base_fees": "les honoraires"}


# --- formatting helpers -------------------------------------------------------------------------------------------

def val(x: float, outcome: str, sign: bool = True, pct: bool = False) -> str:
    """``+91 patients``, ``+2 092 €`` or ``+9,9 %``."""
    if pct:
        return fmt_pct(x, 1, sign)
    o = LABELS[outcome]
    return f"{fmt_num(x, o['dec'], sign)}{NBSP}{o['suffix']}"


def ci(e: Estimate, outcome: str, pct: bool = False) -> str:
    """The 95 % CI of ``e``: ``[84 ; 95]``, ``[1 585 € ; 2 620 €]`` or ``[9,1 % ; 10,4 %]``."""
    if pct:
        return fmt_ci(e.ci_low, e.ci_high, 1, "%")
    o = LABELS[outcome]
    return fmt_ci(e.ci_low, e.ci_high, o["dec"], o["suffix"] if o["suffix"] == "€" else "")


def champ(r: MSPResult) -> str:
    """The « Champ » line of every figure and table."""
    p = r.prepared
    return (f"{count_fr(len(p.baseline))} médecins généralistes libéraux observés chaque année de {p.years[0]} à "
            f"{p.years[-1]}, dont {count_fr(r.n_treated)} entrés en maison de santé pluriprofessionnelle entre "
            f"{p.cohorts[0]} et {p.cohorts[-1]}.")


def source() -> str:
    """The « Source » line of every figure and table."""
    return plots.data_source(ANCHOR, "msp") + "."


def prep_notes(p: Prepared) -> str:
    """What the preparation rules changed, in one sentence."""
    first, last = p.years[0], p.years[-1]
    said = {
        "late_entry": lambda n: f"{count_fr(n.n)} médecins entrés en MSP après {last} sont comptés comme non entrés sur la "
                                "période",
        "unbalanced": lambda n: f"{count_fr(n.n)} médecins non observés toutes les années (ou avec une valeur manquante) sont "
                                "écartés (panel cylindré)",
        "in_msp_at_start": lambda n: f"{count_fr(n.n)} médecins déjà en MSP en {first} (aucune année avant l'entrée) sont "
                                     "écartés",
        "small_cohorts": lambda n: (f"{n.n} cohorte{'s' if n.n > 1 else ''} d'entrée de moins de {MIN_COHORT} "
                                    f"médecins ({fmt_list(str(g) for g in n.cohorts)}) "
                                    f"écartée{'s' if n.n > 1 else ''}"),
    }
    if not p.notes:
        return "Aucun médecin n'a été écarté."
    s = " ; ".join(said[n.rule](n) for n in p.notes)
    return s[0].upper() + s[1:] + "."  # (not str.capitalize, which would lower « MSP »)


# --- pieces shared by the glued texts and the titles ---------------------------------------------------------------

def _balance(r: MSPResult, var: str, col: str):
    b = r.profile.set_index("variable")
    return b.loc[var, col] if var in b.index else np.nan


def _pct_of(r: MSPResult, var: str, col: str) -> str:
    v = _balance(r, var, col)
    return "n.d." if isinstance(v, str) or pd.isna(v) else fmt_pct(100 * v, 1)


def _base_gap(r: MSPResult, var: str) -> str:
    mt, mc = _balance(r, var, "mean_treated"), _balance(r, var, "mean_control")
    return "n.d." if isinstance(mt, str) or isinstance(mc, str) else fmt_pct(100 * (mt / mc - 1), 1, True)


def _smd_after(r: MSPResult) -> str:
    """The largest |SMD| after matching, fees excepted (they are not matched on)."""
    after = r.balance.set_index("variable").drop(index="base_fees", errors="ignore")["smd_after"]
    return fmt_num(pd.to_numeric(after, errors="coerce").abs().max(), 2)


def _largest_smd(t: pd.DataFrame) -> tuple[str, str]:
    """(variable with the largest |SMD| before matching of the profile or balance table ``t``, in words; that |SMD|,
    as the table prints it); « n.d. » when every cell is masked (< 11 GPs)."""
    smd = pd.to_numeric(t.set_index("variable")["smd_before"], errors="coerce").abs()
    if not smd.notna().any():
        return "n.d.", "n.d."
    return _SMD_VAR.get(smd.idxmax(), smd.idxmax()), fmt_num(smd.max(), 2)


def _post(r: MSPResult) -> pd.Series:
    """Event-study estimates of the MT patientèle from the entry year on (event time → estimate)."""
    dyn = r.event_study("patients_mt")
    return dyn[dyn["event_time"] >= 0].set_index("event_time")["estimate"]


def _national(r: MSPResult) -> dict[str, str]:
    """The national order of magnitude: MT patientèle and file active (the « 600 » claim's measure) × GPs in ACI MSP,
    and how that count relates to the HCAAM share of GPs in any MSP."""
    n = r.national.set_index("key")
    share = PUBLISHED["gps_in_msp_share"]
    all_msp = share["n_msp"] * share["gps_per_msp"]
    fa_high, claim = n.loc["file_active", "total_high"], n.loc["naive_claim", "total"]
    return {"total": fmt_num(round_sig(n.loc["patients_mt", "total"]), 0),
            "ci": fmt_ci(round_sig(n.loc["patients_mt", "total_low"]), round_sig(n.loc["patients_mt", "total_high"]),
                         0),
            "total_fa": fmt_num(round_sig(n.loc["file_active", "total"]), 0),
            "ci_fa": fmt_ci(round_sig(n.loc["file_active", "total_low"]), round_sig(fa_high), 0),
            "gps": fmt_num(PUBLISHED["gps_in_msp"]["value"], 0),
            "msp_aci": fmt_num(PUBLISHED["gps_in_msp"]["msp_aci"], 0),
            "aci_share": fmt_pct(100 * PUBLISHED["gps_in_msp"]["value"] / share["national_gps"], 0),
            "national_gps": fmt_num(share["national_gps"], 0),
            "all_msp_share": fmt_pct(share["value"], 0),
            "all_msp_n": fmt_num(share["n_msp"], 0),
            "all_msp_per": fmt_num(share["gps_per_msp"], 1),
            "all_msp_gps": fmt_num(round(all_msp, -2), 0),
            "all_msp_ratio": fmt_num(all_msp / PUBLISHED["gps_in_msp"]["value"], 1),
            "claim_vs": "loin des" if fa_high < claim else "à comparer aux",
            "claim_total": fmt_num(claim, 0)}


# --- glued texts --------------------------------------------------------------------------------------------------

def texts(r: MSPResult, kind: str) -> dict[str, str]:
    """French strings glued into the chapter's prose (keys prefixed ``msp_``); ``kind``: ``synthetic`` or ``user``."""
    p = r.prepared
    t: dict[str, str] = {}
    base = p.baseline
    t["msp_n_gps"] = count_fr(len(base))
    t["msp_n_msp"] = count_fr(r.n_treated)
    t["msp_first_year"], t["msp_last_year"] = str(p.years[0]), str(p.years[-1])
    t["msp_cohorts"] = fmt_span(p.cohorts)
    t["msp_cohort_first"], t["msp_cohort_last"] = str(p.cohorts[0]), str(p.cohorts[-1])
    t["msp_n_cohorts"] = str(len(p.cohorts))
    sizes = base.loc[base["treated"] == 1, COHORT].value_counts()
    t["msp_cohort_min"], t["msp_cohort_max"] = fmt_num(sizes.min(), 0), fmt_num(sizes.max(), 0)
    t["msp_prep_notes"] = prep_notes(p)
    t["msp_data_kind"] = "synthétiques" if kind == "synthetic" else "fournies par l'utilisateur"
    synthetic = kind == "synthetic"
    t["msp_chapeau_data"] = (
        "Cette page démontre la méthode sur des données synthétiques, construites pour que l'effet ait la taille "
        "publiée : sur ces données," if synthetic else "Sur les données fournies par l'utilisateur,")
    t["msp_profile_note"] = " ; les données synthétiques ont été construites pour le reproduire" if synthetic else ""
    t["msp_published_note"] = (
        "Les données synthétiques ont été générées pour que l'effet ait la taille publiée par l'Irdes et que les "
        "médecins en MSP aient, avant leur entrée, le profil publié. Retrouver l'effet publié montre donc que la chaîne "
        "d'estimation fonctionne — elle retrouve un effet connu malgré une sélection à l'entrée de l'ampleur observée "
        "—, pas que l'effet publié est exact : la preuve reste l'évaluation de l'Irdes sur les données réelles de "
        "l'Assurance maladie. À l'inverse, l'écart brut calculé sur ces données n'a pas été calibré sur les « 600 "
        "patients » : il découle du profil publié des médecins en MSP et de l'effet introduit dans les données."
        if synthetic else
        "L'estimation sur les données fournies et l'évaluation publiée répondent à la même question avec la même "
        "méthode, mais sur des médecins, des années et des extractions qui peuvent différer : un écart entre les deux "
        "peut tenir au champ, à la période ou aux définitions des indicateurs autant qu'à l'effet lui-même.")
    t["msp_limit_data"] = (
        "**Données synthétiques.** Les résultats chiffrés de cette page sont calculés sur des données générées par "
        "evalkit, calibrées sur les résultats publiés ; ils ne constituent pas une nouvelle évaluation. Les mêmes "
        "calculs peuvent être relancés sur un extrait réel des données de l'Assurance maladie au même format (voir le "
        "guide de l'évaluateur)." if synthetic else
        "**Données.** Les résultats dépendent de l'extraction fournie : son champ, ses années et la définition de ses "
        "indicateurs (patientèle médecin traitant, file active, honoraires) conditionnent la comparaison avec "
        "l'évaluation publiée.")
    # Headline and the other estimates.
    for o in OUTCOME_UNITS:
        k = _KEY[o]
        e = r.estimate(o)
        t[f"msp_att_{k}"] = val(e.estimate, o)
        t[f"msp_att_{k}_ci"] = ci(e, o)
        t[f"msp_att_{k}_pct"] = val(r.estimate(o, pct=True).estimate, o, pct=True)
        t[f"msp_naive_{k}"] = val(r.naive[o].estimate, o)
    e_mt, ep_mt = r.estimate("patients_mt"), r.estimate("patients_mt", pct=True)
    t["msp_att_mt_phrase"] = f"{val(abs(e_mt.estimate), 'patients_mt', sign=False)} " \
                             f"{'de plus' if e_mt.estimate >= 0 else 'de moins'}"
    t["msp_att_mt_pct_ci"] = ci(ep_mt, "patients_mt", pct=True)
    for which in ("twfe", "cs_matched", "cs_notyet"):
        w = r.estimate("patients_mt", which)
        t[f"msp_{which}_mt"] = val(w.estimate, "patients_mt")
        t[f"msp_{which}_mt_ci"] = ci(w, "patients_mt")
    t["msp_pre_mean_mt"] = fmt_num(r.cs["patients_mt"].pre_mean, 0)
    t["msp_pretest_mt"] = fmt_p(r.pretests["patients_mt"][2], style="eq")
    t["msp_pretest_q_mt"] = str(r.pretests["patients_mt"][1])
    t["msp_pretest_gt_mt"] = fmt_p(r.cs["patients_mt"].pretest_p, style="eq")
    t["msp_pretest_gt_q_mt"] = str(r.cs["patients_mt"].pretest_df)
    naive_mt, pre_mt, cs_mt = r.naive["patients_mt"], r.naive_pre["patients_mt"], e_mt.estimate
    t["msp_naive_change_mt"] = val(naive_mt.estimate - pre_mt.estimate, "patients_mt")
    naive_fa, pre_fa = r.naive["file_active"].estimate, r.naive_pre["file_active"].estimate
    t["msp_naive_pre_share_fa"] = fmt_pct(100 * pre_fa / naive_fa, 0) if naive_fa > 0 and pre_fa > 0 else "n.d."

    # Who joins (baseline year): the sentences use the data, the published figures are cited beside them.
    t["msp_smd_after_max"] = _smd_after(r)
    # the sentence under the profile table (Tableau 1) names that table's largest standardised difference
    t["msp_smd_max_var"], t["msp_smd_max"] = _largest_smd(r.profile)
    m = r.match
    t["msp_matched_t"], t["msp_matched_c"] = count_fr(m.n_treated_matched), count_fr(m.n_control_matched)
    t["msp_match_ratio"] = str(r.match_ratio)
    parts = []
    for var, more, less, fmt in (
        ("rurality=rural", "exercent plus souvent en commune rurale", "exercent moins souvent en commune rurale",
         lambda x: fmt_pct(100 * x)),
        ("rurality=periurban", "plus souvent en commune périurbaine", "moins souvent en commune périurbaine",
         lambda x: fmt_pct(100 * x)),
        ("age", "sont plus âgés", "sont plus jeunes", lambda x: f"{fmt_num(x, 1)} ans"),
        ("female", "sont plus souvent des femmes", "sont moins souvent des femmes",
         lambda x: fmt_pct(100 * x)),
    ):
        xt, xc = _balance(r, var, "mean_treated"), _balance(r, var, "mean_control")
        c = _cmp(xt, xc, more, less, None, tol=0.005 if var != "age" else 0.25)
        if c:
            parts.append(f"{c} ({fmt(xt)} contre {fmt(xc)})")
    t["msp_profile_sentence"] = (
        f"Avant toute entrée, en {p.baseline_year}, les futurs médecins en MSP "
        + (fmt_list(parts) or "ressemblent aux autres par l'âge, le sexe et le type de commune") + ".")
    act = _cmp(_balance(r, "base_mt", "mean_treated"), _balance(r, "base_mt", "mean_control"),
               "plus", "moins", "autant")
    t["msp_activity_sentence"] = (
        "Les effectifs ne permettent pas de comparer leur activité." if act is None else
        f"Ils suivaient {'déjà ' if act == 'plus' else ''}{act} de patients : {_base_gap(r, 'base_mt')} de patientèle "
        f"médecin traitant et {_base_gap(r, 'base_fa')} de file active.")
    why = ("les médecins qui rejoignent une MSP suivaient déjà plus de patients avant d'y entrer"
           if act == "plus" else "l'écart brut mêle l'effet de la MSP et les différences qui existaient avant l'entrée")
    if naive_mt.ci_low > e_mt.ci_high and cs_mt > 0:  # « plus grand » only when the intervals are disjoint
        t["msp_naive_cmp"] = f"{fmt_num(naive_mt.estimate / cs_mt, 1)} fois plus grand, car {why}"
    elif naive_mt.ci_high < e_mt.ci_low:
        t["msp_naive_cmp"] = "plus petit que l'effet estimé"
    else:
        t["msp_naive_cmp"] = ("que l'incertitude ne permet pas de distinguer de l'effet estimé ; " + why
                              if act == "plus" else "que l'incertitude ne permet pas de distinguer de l'effet estimé")
    naive_pre_mt = val(pre_mt.estimate, "patients_mt")
    t["msp_pre_gap_sentence"] = (
        f"L'écart existe avant la première entrée : il était de {naive_pre_mt} en {p.baseline_year}, soit "
        f"{fmt_pct(100 * pre_mt.estimate / naive_mt.estimate, 0)} de l'écart brut observé en {p.years[-1]}."
        if pre_mt.ci_low > 0 and naive_mt.estimate > 0 else
        f"En {p.baseline_year}, avant la première entrée, l'écart était de {naive_pre_mt} "
        f"{fmt_ci(pre_mt.ci_low, pre_mt.ci_high, 0)}.")

    # TWFE vs CS (Bacon weights of the forbidden comparisons).
    if r.bacon is not None:
        w_bad = float(r.bacon.by_type.set_index("type")["weight"].get("later_vs_earlier", 0.0))
        forbidden = fmt_pct(100 * w_bad, 1)
    else:
        forbidden = "n.d."
    tw_mt = r.twfe["patients_mt"].estimate
    diff_pct = 100 * (tw_mt - cs_mt) / abs(cs_mt) if cs_mt else np.nan
    t["msp_twfe_sentence"] = (
        f"Ici, ces comparaisons « interdites » pèsent {forbidden} du total et l'estimation TWFE "
        + (f"s'écarte de {fmt_pct(abs(diff_pct), 0)} de l'estimation retenue ci-dessous : le biais reste "
           "modeste, car la plupart des médecins n'entrent jamais en MSP et servent de témoins propres."
           if abs(diff_pct) < 10 else
           f"s'écarte de {fmt_pct(abs(diff_pct), 0)} de l'estimation retenue ci-dessous."))
    f_pct = r.estimate("fees", pct=True).estimate
    t["msp_fees_sentence"] = (
        "Les honoraires progressent bien moins que la patientèle : l'Irdes n'observe pas non plus de hausse "
        "significative du nombre de consultations" if f_pct < 0.5 * ep_mt.estimate else
        "L'Irdes observe une hausse des revenus bien plus faible que celle de la patientèle, sans hausse "
        "significative du nombre de consultations")

    # Pre-trends and dynamics.
    pt = r.pretests["patients_mt"][2]
    t["msp_pretest_sentence"] = (
        f"Avant l'entrée, les effets « placebo » sont proches de zéro et le test joint de leur nullité ne rejette pas "
        f"l'hypothèse de tendances parallèles (p {fmt_p(pt, style='eq')})" if np.isfinite(pt) and pt >= 0.05 else
        f"Avant l'entrée, le test joint de nullité des effets « placebo » rejette l'hypothèse de tendances "
        f"parallèles (p {fmt_p(pt, style='eq')}) : les résultats doivent être lus avec prudence")
    if r.truth and r.truth.get("parallel_trends") and not (np.isfinite(pt) and pt >= 0.05):
        t["msp_pretest_sentence"] += (
            ". Ces données synthétiques ont pourtant été générées avec des tendances parallèles : au seuil de 5 %, "
            "un tel test rejette à tort en moyenne une fois sur vingt. Un test de tendances parallèles ne suffit donc "
            "pas à trancher, dans un sens comme dans l'autre, d'où l'analyse de sensibilité qui suit")
    post = _post(r)
    k0 = int(post.index.min())
    k2 = 2 if 2 in post.index else int(post.index.max())
    e0, e2 = post[k0], post[k2]
    said = (f"Après l'entrée, l'effet est de {val(e0, 'patients_mt')} {_years_since_entry(k0)}"
            + (f" et de {val(e2, 'patients_mt')} {_years_since_entry(k2)}" if k2 != k0 else ""))
    t["msp_dyn_sentence"] = (
        f"{said} : il faut quelques années pour que la patientèle s'ajuste. C'est pourquoi la moyenne sur toutes les "
        f"années qui suivent l'entrée ({t['msp_att_mt']}) est inférieure à l'effet atteint au bout de quelques années."
        if e2 > e0 * 1.2 and len(post) > 2 else f"{said}.")

    # HonestDiD.
    h = r.honest
    if h is not None:
        # not the headline: an equally weighted mean of the event-time effects (said with both numbers)
        t["msp_honest_target"] = (
            f"{val(h.estimate, 'patients_mt')}, moyenne simple des effets par année d'ancienneté — une autre moyenne "
            f"que l'effet retenu, {t['msp_att_mt']}, où chaque cohorte et chaque année pèsent selon leurs effectifs")
        t["msp_honest_window"] = f"de l'année d'entrée à {h.raw['post_times'][-1]} ans après"
        t["msp_honest_method"] = h.method_fr
        if h.breakdown is None:
            t["msp_breakdown"] = f"au-delà de {fmt_num(max(HONEST_GRID), 1)}"
            t["msp_honest_sentence"] = (
                f"l'intervalle de confiance robuste exclut zéro sur toute la grille examinée (jusqu'à M̄ = "
                f"{fmt_num(max(HONEST_GRID), 1)})")
        elif h.breakdown == 0:
            t["msp_breakdown"] = "0"
            t["msp_honest_sentence"] = "l'intervalle de confiance inclut zéro même sans écart de tendance"
        else:
            t["msp_breakdown"] = fmt_num(h.breakdown, 1)
            t["msp_honest_sentence"] = (
                f"la conclusion d'un effet positif ne tombe que si l'écart de tendance après l'entrée dépasse "
                f"{fmt_num(h.breakdown, 1)} fois le plus grand écart observé d'une année sur l'autre avant l'entrée"
                + (". En clair : pour conclure à l'absence d'effet, il faudrait supposer que les médecins en MSP "
                   "auraient dévié de la tendance des autres nettement plus qu'on ne l'observe avant leur entrée"
                   if h.breakdown >= 1 else
                   ". Autrement dit, un écart de tendance du même ordre que ceux observés avant l'entrée suffirait "
                   "à rendre l'effet non significatif"))

    # Rurality.
    rr = r.by_rurality[r.by_rurality["outcome"] == "patients_mt"]
    t["msp_rur_sentence"] = ("Les effectifs ne permettent pas d'estimer l'effet par type de commune."
                             if rr.empty else "Par type de commune, l'effet estimé sur la patientèle MT est de "
                             + ", ".join(f"{val(x.estimate, 'patients_mt')} {fmt_ci(x.ci_low, x.ci_high, 0)} en "
                                         f"{RURALITY_FR.get(x.rurality, x.rurality).lower()}" for x in rr.itertuples())
                             + (" ; les intervalles se recouvrent : les données ne permettent pas de conclure à un "
                                "effet différent selon le territoire." if r.rurality_overlap() else "."))
    t["msp_rur_note"] = (
        "Faute de résultat publié par type de commune, les données synthétiques ont été générées avec le même "
        "effet partout : les écarts entre territoires visibles ici relèvent du hasard de l'échantillon. Cette section "
        "illustre la méthode ; elle ne renseigne pas sur les territoires." if kind == "synthetic" else "")

    # National order of magnitude; the published raw gap.
    nat = _national(r)
    t["msp_nat_total"], t["msp_nat_ci"], t["msp_nat_claim_total"] = nat["total"], nat["ci"], nat["claim_total"]
    t["msp_nat_total_fa"], t["msp_nat_ci_fa"] = nat["total_fa"], nat["ci_fa"]
    t["msp_nat_count_sentence"] = (
        f"Ces « près de {nat['gps']} » généralistes exercent dans les quelque {nat['msp_aci']} MSP adhérentes à "
        f"l'accord conventionnel interprofessionnel (ACI), soit environ {nat['aci_share']} des {nat['national_gps']} "
        f"généralistes. Le HCAAM estime, lui, qu'environ {nat['all_msp_share']} des généralistes exercent dans une "
        f"MSP, adhérente ou non à l'ACI (plus de {nat['all_msp_n']} MSP, {nat['all_msp_per']} généralistes en "
        f"moyenne, soit de l'ordre de {nat['all_msp_gps']} médecins) : si l'effet valait aussi hors ACI, l'ordre de "
        f"grandeur porterait sur {nat['all_msp_ratio']} fois plus de médecins.")
    # the « 600 » is a gap in patients received in a year: set against the file active (published.py)
    claim, eff = PUBLISHED["naive_claim"]["value"], PUBLISHED["effect_fa"]["value"]
    t["msp_claim_effect"] = PUBLISHED["effect_fa"]["text"]
    t["msp_claim_minus_effect"] = fmt_num(round(claim - eff, -1), 0)
    t["msp_claim_ratio"] = fmt_num(claim / eff, 1)

    # Truth (synthetic data only).
    tr = r.truth
    if tr:
        inside = e_mt.ci_low <= tr["simple"]["patients_mt"] <= e_mt.ci_high
        t["msp_truth_sentence"] = (
            f"Sur ces données synthétiques, l'effet vrai est connu puisqu'il a été introduit par construction : "
            f"{val(tr['simple']['patients_mt'], 'patients_mt')} en moyenne sur les années qui suivent l'entrée (soit "
            f"{val(tr['percent']['patients_mt'], 'patients_mt', pct=True)}). L'estimateur retenu "
            + ("le retrouve : son intervalle de confiance le contient. " if inside else
               "s'en écarte : son intervalle de confiance ne le contient pas. ")
            + f"L'écart brut ({t['msp_naive_mt']}) le surestime de "
            f"{val(naive_mt.estimate - tr['simple']['patients_mt'], 'patients_mt', sign=False)}.")
    else:
        t["msp_truth_sentence"] = ("Sur des données réelles, l'effet vrai est inconnu : seule la cohérence des "
                                   "estimateurs et les tests de tendances parallèles renseignent sur leur fiabilité.")
    t.update(agreement_texts(r))
    return t


#: Outcomes with their article, for the agreement sentence.
_NAMES = {"patients_mt": "la patientèle médecin traitant", "file_active": "la file active",
          "fees": "les honoraires annuels"}


def agreement_texts(r: MSPResult) -> dict[str, str]:
    """``msp_agreement_sentence``: the estimator agreement panel in one or two sentences (computed flags)."""
    caveat = ("Ces estimateurs ne tiennent pas compte des caractéristiques des médecins avant l'entrée, contrairement "
              "à l'estimation retenue : l'écart peut venir de là autant que du choix de l'estimateur.")
    return agreement.glue("msp_agreement_sentence", r.agreement, {o: _NAMES.get(o, o) for o in r.agreement},
                          scope=f"chacune des {len(r.agreement)} mesures d'activité" if len(r.agreement) > 3 else None,
                          caveat=caveat)


def _cmp(x_t, x_c, more, less, same, tol=0.0):
    """``more``/``less``/``same`` as ``x_t`` exceeds ``x_c`` by more than ``tol`` or not; None if either is missing."""
    if isinstance(x_t, str) or isinstance(x_c, str) or pd.isna(x_t) or pd.isna(x_c):
        return None
    return more if x_t - x_c > tol else (less if x_c - x_t > tol else same)


# --- titles of the figures and tables ------------------------------------------------------------------------------

def title_trends(r: MSPResult, outcome: str) -> str:
    o = LABELS[outcome]
    gap_pre, gap_last = r.naive_pre[outcome].estimate, r.naive[outcome].estimate
    if gap_pre <= 0:
        return f"{o['short']} moyenne par année, médecins en MSP et autres médecins"
    return (f"{o['short']} : les médecins qui rejoindront une MSP en suivaient déjà davantage avant d'y entrer "
            f"({val(gap_pre, outcome)} en {r.prepared.baseline_year}, {val(gap_last, outcome)} en "
            f"{r.prepared.years[-1]})")


def title_estimates(r: MSPResult, outcome: str) -> str:
    o = LABELS[outcome]
    naive, cs = r.naive[outcome].estimate, r.cs[outcome].simple.estimate
    if not (cs > 0 and naive > cs):
        return f"{o['short']} : écart brut et effets estimés"
    return (f"{o['short']} : l'écart brut ({val(naive, outcome)}) est {fmt_num(naive / cs, 1)} fois l'effet "
            f"estimé par différence de différences ({val(cs, outcome)})")


def title_event_study(r: MSPResult, outcome: str) -> str:
    o = LABELS[outcome]
    tab = r.event_study(outcome)
    post = tab[tab["event_time"] >= 0]
    p = r.pretests[outcome][2]
    pre_max = tab.loc[tab["event_time"] < 0, "estimate"].abs().max()
    small = np.isfinite(pre_max) and pre_max < 0.2 * abs(post["estimate"].mean())
    verdict = ("pas d'écart d'évolution significatif avant l'entrée" if np.isfinite(p) and p >= 0.05
               else f"{'de petits' if small else 'des'} écarts avant l'entrée (test joint : p {fmt_p(p, style='eq')})")
    by_e = post.set_index("event_time")["estimate"]
    first = int(by_e.index.min())
    later = 2 if 2 in by_e.index else int(by_e.index.max())  # the year quoted is the year the value is plotted at
    return (f"{o['short']} : {verdict}, puis un effet de {val(by_e[first], outcome)} {_years_since_entry(first)}"
            + (f" et de {val(by_e[later], outcome)} {_years_since_entry(later)}" if later != first else ""))


_WORDS = {1: "un an", 2: "deux ans", 3: "trois ans", 4: "quatre ans", 5: "cinq ans"}


def _years_since_entry(e: int) -> str:
    """« l'année d'entrée », « deux ans après »: event time ``e`` as the event-study axis reads it (0 = entry)."""
    return "l'année d'entrée" if e == 0 else f"{_WORDS.get(e, f'{e} ans')} après"


def title_honest(r: MSPResult) -> str:
    b = r.honest.breakdown
    if b in (None, 0):
        return "Intervalle de confiance robuste de l'effet moyen selon l'écart de tendance permis"
    return (f"L'effet moyen sur la patientèle MT reste positif tant que l'écart de tendance permis est inférieur à "
            f"{fmt_num(b, 1)} fois le plus grand écart observé avant l'entrée")


def title_rurality(r: MSPResult) -> str:
    est = r.by_rurality.loc[r.by_rurality["outcome"] == "patients_mt", "estimate"]
    if len(est) < 2:
        return "Patientèle MT : effet estimé selon le type de commune d'exercice"
    return (f"Patientèle MT : effet estimé de {val(est.min(), 'patients_mt')} à {val(est.max(), 'patients_mt')} "
            "selon le type de commune" + (", intervalles qui se recouvrent" if r.rurality_overlap() else ""))


def title_profile(r: MSPResult) -> str:
    rural_msp = _pct_of(r, "rurality=rural", "mean_treated")
    if rural_msp == "n.d.":
        return "Profil des médecins qui rejoignent une MSP, avant leur entrée"
    return (f"Les futurs médecins en MSP exercent plus souvent en commune rurale ({rural_msp} contre "
            f"{_pct_of(r, 'rurality=rural', 'mean_control')}) et suivaient déjà plus de patients "
            f"({_base_gap(r, 'base_mt')} en patientèle MT)")


def title_balance(r: MSPResult) -> str:
    return (f"Après appariement, les différences standardisées ne dépassent pas {_smd_after(r)} en valeur absolue "
            f"(jusqu'à {_largest_smd(r.balance)[1]} avant)")


def title_estimates_table(r: MSPResult) -> str:
    much_bigger = all(r.naive[o].ci_low > r.cs[o].simple.ci_high for o in OUTCOME_UNITS)
    return (f"Effet de l'entrée en MSP : {val(r.estimate('patients_mt').estimate, 'patients_mt')} en patientèle MT, "
            f"{val(r.estimate('file_active').estimate, 'file_active')} en file active, "
            f"{val(r.estimate('fees', pct=True).estimate, 'fees', pct=True)} d'honoraires"
            + (" ; les écarts bruts sont nettement plus grands" if much_bigger else ""))


def title_national(r: MSPResult) -> str:
    nat = _national(r)
    return (f"Appliqué aux quelque {nat['gps']} médecins des MSP de l'ACI, l'effet estimé sur la file active représente "
            f"de l'ordre de {nat['total_fa']} patients vus en plus dans l'année, {nat['claim_vs']} "
            f"{nat['claim_total']} qu'impliquerait l'écart brut publié de « 600 patients »")
