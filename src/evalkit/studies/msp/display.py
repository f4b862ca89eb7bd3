"""Figures and tables of the MSP chapter, drawn from an :class:`~.analysis.MSPResult` with :mod:`evalkit.plots`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import lecture, plots
from .. import agreement, ci_cells
from ...fr import fmt_ci, fmt_num, round_sig
from . import texts as tx
from .analysis import OUTCOME_UNITS, MSPResult
from .published import PUBLISHED

_GROUPS = {"msp": "Médecins entrés en MSP (à un moment de la période)", "never": "Médecins jamais en MSP"}
#: The difference-in-differences estimates, from the classic TWFE to the headline (figure rows and table lines).
_DID = {"twfe": "Comparaison classique (effets fixes)", "cs_notyet": "Par vague, témoins pas encore entrés",
        "cs_matched": "Par vague, médecins appariés", "cs": "Par vague, témoins jamais entrés (retenue)"}


def _truth(r: MSPResult, outcome: str) -> float | None:
    return (r.truth or {}).get("simple", {}).get(outcome)


# --- figures ------------------------------------------------------------------------------------------------------

def figure_trends(r: MSPResult, outcome: str = "patients_mt") -> plots.Figure:
    """Mean outcome by year: future/actual MSP GPs vs GPs never in MSP (the raw picture)."""
    o = tx.LABELS[outcome]
    first = r.prepared.cohorts[0]
    return plots.trends(
        r.trends[r.trends["outcome"] == outcome], x="year", y="mean", hue="group", hue_labels=_GROUPS,
        xlabel="Année", ylabel=f"{o['short']} moyenne ({o['suffix']} par médecin)", title=tx.title_trends(r, outcome),
        champ=tx.champ(r), source=tx.source(), name=f"msp-tendances-{outcome}", decimals=o["dec"],
        alt_unit=f" {o['suffix']}", vline=first - 0.5, vline_label=f"premières entrées ({first})")


def figure_estimates(r: MSPResult, outcome: str = "patients_mt") -> plots.Figure:
    """Forest plot: naive gap vs DiD estimates, from the naive gap to the headline (and the planted effect on
    synthetic data)."""
    p = r.prepared
    labels = {"naive": f"Écart brut en {p.years[-1]} (MSP − autres)",
              "naive_pre": f"Écart déjà présent en {p.baseline_year}, avant toute entrée", **_DID}
    tab = pd.DataFrame([{"key": k, "label": lab, **ci_cells(r.estimate(outcome, k))} for k, lab in labels.items()])
    o = tx.LABELS[outcome]
    truth = _truth(r, outcome)
    alt = "Graphique en forêt : " + " ; ".join(
        f"{x['label']} : {plots.ci_label(x['estimate'], x['ci_low'], x['ci_high'], o['dec'])} {o['suffix']}"
        for _, x in tab.iterrows()) + (f". Effet simulé : {tx.val(truth, outcome)}." if truth is not None else ".")
    colors = [plots.CONTROL if k.startswith("naive") else (plots.TREATED if k == "cs" else plots.NEUTRAL)
              for k in tab["key"]]
    claim = PUBLISHED["naive_claim"]
    on_claim = outcome == claim["measure"]  # the « 600 » is a file-active gap: drawn on that figure only
    if on_claim:
        alt += (f" Ligne pointillée : le chiffre annoncé de {fmt_num(claim['value'], 0)} patients "
                f"({claim['source']}).")
    return plots.forest(
        tab, xlabel=f"Écart ou effet estimé ({o['suffix']} par médecin), intervalle de confiance à 95 %",
        ylabel="Comparaison", title=tx.title_estimates(r, outcome), alt=alt, champ=tx.champ(r), source=tx.source(),
        name=f"msp-estimations-{outcome}", decimals=o["dec"], colors=colors, truth=truth,
        claim=claim["value"] if on_claim else None,
        claim_label=f"annoncé : {fmt_num(claim['value'], 0)}" if on_claim else "",
        note="écarts bruts : moyenne des médecins en MSP moins celle des autres médecins une année donnée ; les "
             "autres lignes comparent des évolutions (différences de différences). Comparaison classique : "
             "régression à effets fixes médecin et année (TWFE) ; « par vague » : estimateur de Callaway et "
             "Sant'Anna doublement robuste, chaque vague d'entrants en MSP comparée à des témoins ; « retenue » : "
             "l'estimation principale du chapitre."
             + (f" Annoncé : écart brut de {fmt_num(claim['value'], 0)} patients entre médecins en MSP et médecins "
                f"isolés ({claim['source']})." if on_claim else ""))


def figure_event_study(r: MSPResult, outcome: str = "patients_mt") -> plots.Figure:
    """CS event study (years since entry, universal base year), pre-entry placebo estimates included, pointwise CIs
    and the simultaneous 95 % band."""
    tab = r.event_study(outcome)
    o = tx.LABELS[outcome]
    truth = None
    if r.truth:
        dyn = r.truth["dynamic"][outcome]
        truth = pd.Series({e: v for e, v in dyn.items() if e in set(tab["event_time"])}, dtype=float)
        truth = pd.concat([pd.Series(0.0, index=[e for e in tab["event_time"] if e < 0]), truth]).sort_index()
    return plots.event_study(
        tab, ylabel=f"Effet estimé ({o['suffix']} par médecin)", title=tx.title_event_study(r, outcome),
        champ=tx.champ(r), source=tx.source(), name=f"msp-evenement-{outcome}", truth=truth,
        alt_unit=f" {o['suffix']}", decimals=o["dec"], study="msp",
        lecture=plots.band_reading(tab, r.events[outcome].crit, draws=r.events[outcome].draws))


def figure_honest(r: MSPResult) -> plots.Figure:
    """HonestDiD robust CIs of the average post-entry MT effect as the allowed violation M̄ grows."""
    h = r.honest
    g = h.grid
    fig, ax = plots.new()
    ax.fill_between(g["M"], g["ci_low"], g["ci_high"], color=plots.TREATED, alpha=0.18,
                    label="intervalle de confiance robuste à 95 %")
    ax.plot(g["M"], g["ci_low"], color=plots.TREATED, lw=1)
    ax.plot(g["M"], g["ci_high"], color=plots.TREATED, lw=1)
    ax.axhline(0, color=plots.NEUTRAL, lw=1)
    ax.axhline(h.estimate, color=plots.TREATED, ls=":", lw=1, label="estimation sous tendances parallèles")
    if h.breakdown is not None:
        ax.axvline(h.breakdown, color=plots.TRUTH, ls="--", lw=1.2,
                   label=f"l'intervalle atteint zéro à partir de {fmt_num(h.breakdown, 1)}")
    ax.set_xlabel("Écart de tendance permis après l'entrée, en multiple du plus grand écart observé avant")
    ax.set_ylabel("Effet moyen après l'entrée (patients MT par médecin)")
    plots.french_axis(ax, "both")
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    alt = (f"Aire entre deux courbes : intervalle de confiance robuste de l'effet moyen après l'entrée selon M̄, "
           f"de {fmt_ci(g['ci_low'].iloc[0], g['ci_high'].iloc[0], 0)} pour M̄ = 0 à "
           f"{fmt_ci(g['ci_low'].iloc[-1], g['ci_high'].iloc[-1], 0)} pour M̄ = {fmt_num(g['M'].iloc[-1], 1)}. "
           + (f"L'intervalle inclut zéro à partir de M̄ = {fmt_num(h.breakdown, 1)}." if h.breakdown is not None
              else "L'intervalle n'inclut jamais zéro sur la grille."))
    return plots.figure(fig, title=tx.title_honest(r), alt=alt, champ=tx.champ(r), source=tx.source(),
                        name="msp-honestdid", lecture=lecture.honest(g, "patients", 0),
                        data=pd.DataFrame({"Écart de tendance permis (multiple du plus grand écart observé avant "
                                           "l'entrée)": g["M"],
                                           "Borne basse de l'IC robuste à 95 % (patients MT)": g["ci_low"].round(1),
                                           "Borne haute de l'IC robuste à 95 % (patients MT)": g["ci_high"].round(1),
                                           "Estimation sous tendances parallèles (patients MT)": round(h.estimate, 1)}),
                        note=f"écart de tendance permis : M̄ dans la méthode de Rambachan et Roth (HonestDiD) ; "
                             f"méthode : {h.method_fr} ; cible : moyenne des effets par année, de l'année "
                             f"d'entrée à {h.raw['post_times'][-1]} ans après.")


def figure_rurality(r: MSPResult) -> plots.Figure:
    """Forest plot of the MT effect by rurality (with the overall effect)."""
    sub = r.by_rurality[r.by_rurality["outcome"] == "patients_mt"]
    t = pd.DataFrame([{"label": "Ensemble", **ci_cells(r.cs["patients_mt"].simple)}]
                     + [{"label": f"{tx.RURALITY_FR.get(x.rurality, x.rurality)} ({fmt_num(x.n_treated, 0)} en MSP)",
                         "estimate": x.estimate, "ci_low": x.ci_low, "ci_high": x.ci_high} for x in sub.itertuples()])
    alt = "Graphique en forêt : " + " ; ".join(
        f"{x['label']} : {plots.ci_label(x['estimate'], x['ci_low'], x['ci_high'], 0)} patients"
        for _, x in t.iterrows()) + "."
    return plots.forest(
        t, xlabel="Effet estimé (patients MT par médecin), intervalle de confiance à 95 %",
        ylabel="Type de commune d'exercice", title=tx.title_rurality(r), alt=alt, champ=tx.champ(r),
        source=tx.source(), name="msp-ruralite", decimals=0,
        colors=[plots.TREATED] + [plots.NEUTRAL] * (len(t) - 1), truth=_truth(r, "patients_mt"),
        note="estimateur de Callaway et Sant'Anna doublement robuste, estimé séparément dans chaque type de commune ; "
             "effectifs de médecins en MSP entre parenthèses.")


# --- tables -------------------------------------------------------------------------------------------------------

_PROFILE_LABELS = {"age": "Âge (années)", "female": "Femmes (%)", "rurality=rural": "Commune rurale (%)",
                   "rurality=periurban": "Commune périurbaine (%)", "rurality=urban": "Commune urbaine (%)",
                   "base_mt": "Patientèle médecin traitant", "base_fa": "File active", "base_fees": "Honoraires (€)"}
_BALANCE_LABELS = {"age": "Âge", "female": "Femme", "rurality=rural": "Commune rurale",
                   "rurality=periurban": "Commune périurbaine", "rurality=urban": "Commune urbaine",
                   "base_mt": "Patientèle MT initiale", "base_fa": "File active initiale",
                   "base_fees": "Honoraires initiaux"}


def table_profile(r: MSPResult) -> plots.Table:
    """Who joins an MSP: baseline profile, standardised differences, published figures beside."""
    pub, smp = PUBLISHED["profile"], PUBLISHED["sample"]

    def both(k: str) -> str:
        return f"{fmt_num(pub['msp'][k], 1)} / {fmt_num(pub['control'][k], 1)}"

    urban = {g: 100 - pub[g]["rural"] - pub[g]["periurban"] for g in ("msp", "control")}
    publ = {"age": both("age"), "female": both("female"), "rurality=rural": both("rural"),
            "rurality=periurban": both("periurban"),
            "rurality=urban": f"{fmt_num(urban['msp'], 1)} / {fmt_num(urban['control'], 1)}",
            "base_mt": f"écart {fmt_num(pub['gap']['patients_mt'], 1, True)} %",
            "base_fa": f"écart {fmt_num(pub['gap']['file_active'], 1, True)} %", "base_fees": "—"}
    rows = [{"Caractéristique": "Nombre de médecins", "Futurs médecins en MSP": fmt_num(r.n_treated, 0),
             "Autres médecins": fmt_num(r.n_control, 0), "Différence standardisée": "",
             "Publié (MSP / témoins)": f"{fmt_num(smp['n_msp'], 0)} / {fmt_num(smp['n_total'] - smp['n_msp'], 0)}"}]
    for _, x in r.profile.iterrows():
        v = x["variable"]
        pct = v == "female" or v.startswith("rurality=")
        dec = 1 if v == "age" or pct else 0

        def f(y):
            return y if isinstance(y, str) else fmt_num(100 * y if pct else y, dec)

        gap = ""
        if v.startswith("base_") and not isinstance(x["mean_treated"], str):
            gap = f" ({fmt_num(100 * (x['mean_treated'] / x['mean_control'] - 1), 1, True)} %)"
        rows.append({"Caractéristique": _PROFILE_LABELS.get(v, v), "Futurs médecins en MSP": f(x["mean_treated"]) + gap,
                     "Autres médecins": f(x["mean_control"]),
                     "Différence standardisée": x["smd_before"] if isinstance(x["smd_before"], str)
                     else fmt_num(x["smd_before"], 2, True), "Publié (MSP / témoins)": publ.get(v, "—")})
    return plots.table(pd.DataFrame(rows), title=tx.title_profile(r), champ=tx.champ(r), source=tx.source(),
                       note=f"caractéristiques en {r.prepared.baseline_year}, année précédant les premières entrées. "
                            "Différence standardisée : écart des moyennes rapporté à l'écart-type commun "
                            "(au-delà de 0,1 en valeur absolue, le déséquilibre est usuellement jugé notable). "
                            "Colonne « Publié » : Irdes, QES n° 258 (2021), profil de 2008. "
                            "Cases de moins de 11 médecins masquées (« < 11 »).",
                       name="msp-profil")


def table_balance(r: MSPResult) -> plots.Table:
    """Standardised differences before/after matching."""
    b = r.balance

    def f(x):
        return x if isinstance(x, str) else fmt_num(x, 2, True)

    t = pd.DataFrame({"Variable": [_BALANCE_LABELS.get(v, v) for v in b["variable"]],
                      "Avant appariement": [f(x) for x in b["smd_before"]],
                      "Après appariement": [f(x) for x in b["smd_after"]]})
    m = r.match
    return plots.table(t, title=tx.title_balance(r), champ=tx.champ(r), source=tx.source(),
                       note=f"appariement sur le score de propension dans chaque cohorte d'entrée, l'année précédant "
                            f"l'entrée, parmi les médecins pas encore ou jamais entrés en MSP (plus proche voisin, sans "
                            f"remise, {r.match_ratio} témoin{'s' if r.match_ratio > 1 else ''} par médecin en MSP, "
                            f"distance maximale (caliper) de 0,2 écart-type du logit) ; différences mesurées cohorte par cohorte, chacune à "
                            f"son année de référence, puis mises en commun ; "
                            f"{fmt_num(m.n_treated_matched, 0)} médecins en MSP appariés sur "
                            f"{fmt_num(m.n_treated, 0)}, {fmt_num(m.n_control_matched, 0)} témoins retenus. "
                            "Les honoraires initiaux ne servent pas à l'appariement (contrôle).",
                       name="msp-equilibre")


def table_estimates(r: MSPResult) -> plots.Table:
    """Every outcome × estimator, in outcome units and in percent."""
    names = {"naive": "Écart brut (dernière année)", **_DID}
    recs = []
    for o in OUTCOME_UNITS:
        for k, lab in names.items():
            e, ep = r.estimate(o, k), r.estimate(o, k, pct=True)
            recs.append({"Indicateur": tx.LABELS[o]["short"], "Estimation": lab,
                         "Effet": f"{tx.val(e.estimate, o)} {tx.ci(e, o)}",
                         "En % du niveau avant l'entrée": f"{tx.val(ep.estimate, o, pct=True)} {tx.ci(ep, o, True)}"})
    return plots.table(pd.DataFrame(recs), title=tx.title_estimates_table(r), champ=tx.champ(r), source=tx.source(),
                       name="msp-estimations",
                       note="entre crochets, intervalle de confiance à 95 % (erreurs-types groupées par médecin). "
                            "Pourcentages rapportés au niveau moyen des médecins en MSP l'année précédant leur "
                            "entrée. Comparaison classique : régression à effets fixes médecin et année (TWFE) ; "
                            "« par vague » : estimateur de Callaway et Sant'Anna (2021), doublement robuste.")


def table_national(r: MSPResult) -> plots.Table:
    n = r.national
    labels = {o: f"Effet estimé, {tx.LABELS[o]['label']} (DiD)" for o in OUTCOME_UNITS}
    labels["naive_claim"] = "Écart brut publié (« 600 patients »)"
    t = pd.DataFrame({
        "Mesure": [labels[k] for k in n["key"]],
        "Par médecin": [fmt_num(v, 0, True) for v in n["per_gp"]],
        "× médecins en MSP": [fmt_num(v, 0) for v in n["gps"]],
        "Total (patients, arrondi)": [fmt_num(round_sig(v), 0) for v in n["total"]],
        "Intervalle à 95 %": [fmt_ci(round_sig(lo), round_sig(hi), 0) if np.isfinite(lo) else "—"
                              for lo, hi in zip(n["total_low"], n["total_high"])],
    })
    return plots.table(t, title=tx.title_national(r), champ=tx.champ(r),
                       source=tx.source() + " Effectif de médecins en MSP : " + PUBLISHED["gps_in_msp"]["source"]
                       + ". Écart brut : " + PUBLISHED["naive_claim"]["source"] + ".",
                       name="msp-national",
                       note="ordre de grandeur : l'effet moyen estimé est appliqué à l'effectif publié de médecins en "
                            "MSP ; l'intervalle ne reflète que l'incertitude d'échantillonnage de l'effet, pas celle "
                            "de l'effectif ni la transposition à d'autres années ; les patients gagnés peuvent venir "
                            "d'autres médecins (déplacement plutôt que gain net d'accès).")


def table_published(r: MSPResult) -> plots.Table:
    """Published figure, source, our estimate (and the planted truth on synthetic data)."""
    recs = []
    for ind, key, o, pct in (("Patientèle MT, effet (patients)", "effect_mt", "patients_mt", False),
                             ("Patientèle MT, effet (%)", "effect_mt_pct", "patients_mt", True),
                             ("File active, effet (patients)", "effect_fa", "file_active", False),
                             ("Honoraires, effet (%)", "effect_fees_pct", "fees", True),
                             ("Honoraires, effet (€ par an)", "effect_fees_eur", "fees", False),
                             ("Écart brut MSP − autres médecins (file active)", "naive_claim", "file_active", False)):
        naive = key == "naive_claim"
        est, pub = r.naive[o] if naive else r.estimate(o, pct=pct), PUBLISHED[key]
        rec = {"Indicateur": ind, "Publié (source)": f"{pub['text']} — {pub['source']}",
               "Reproduit [IC à 95 %]": f"{tx.val(est.estimate, o, pct=pct)} {tx.ci(est, o, pct)}"}
        if r.truth:
            rec["Effet simulé"] = "—" if naive else tx.val(r.truth["percent" if pct else "simple"][o], o, pct=pct)
        recs.append(rec)
    t = pd.DataFrame(recs)
    return plots.table(t, title="Résultats publiés et résultats reproduits sur les données de ce livre",
                       champ=tx.champ(r), source=tx.source() + " Colonne « Publié » : sources indiquées.",
                       name="msp-publie-reproduit",
                       note="effets publiés : double différence après appariement (Irdes, 2008–2014) ; "
                            "reproduits : Callaway–Sant'Anna doublement robuste, en pourcentage du niveau de "
                            "l'année précédant l'entrée. L'Irdes mesure les revenus, ce livre les honoraires. "
                            "L'écart brut publié compare des médecins en MSP à des médecins en exercice isolé ; "
                            "l'écart reproduit compare, la dernière année, médecins en MSP et autres médecins."
                            + (" Sur données synthétiques, retrouver l'effet publié vérifie la méthode (l'effet a "
                               "été planté à cette taille), ce n'est pas une nouvelle preuve." if r.truth else ""))


def figure_agreement(r: MSPResult, outcome: str = "patients_mt") -> plots.Figure | plots.Table:
    """Compact forest plot of the estimator agreement panel of one outcome
    (:func:`evalkit.studies.agreement.figure`)."""
    o = tx.LABELS[outcome]
    return agreement.figure(r.agreement.get(outcome), outcome_fr=o["label"], xlabel=f"Effet moyen estimé "
                            f"({o['suffix']} par médecin)", champ=tx.champ(r), source=tx.source(),
                            name=f"msp-accord-{outcome}", decimals=o["dec"], alt_unit=f" {o['suffix']}")
