"""Assistants médicaux: the chapter's figures and tables (house style of :mod:`evalkit.plots`).

Each function takes the :class:`~.analysis.AssistantsResult` and the data kind (« synthetic » | « user », for the
« Source » line).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import plots
from .. import agreement
from ...lecture import honest as honest_reading
from ...lecture import event_axis
from ...disclosure import MIN_CELL, count_fr, suppress
from ...fr import NBSP, fmt_eur, fmt_est_ci, fmt_list, fmt_num, fmt_p, fmt_pct, fmt_smart
from .analysis import NEVER, SIGNATORIES, AssistantsResult
from .policy import (AID_SCHEDULE, AID_SOURCE, CLAIM_CONTRACTS, CLAIM_PATIENTS, CLAIM_READINGS, CLAIM_TARGET_CONTRACTS,
                     CONTRACTS, OPTION_FTE, OPTIONS, PUBLISHED, TARGET_SOURCE, TARGET_YEAR, TARGETS, WITHOUT_MT)
from .texts import AGREEMENT_NAMES, GROUP_LABELS, OPTION_LABELS, champ, months, source

DATE_LABELS = dict(zip(CONTRACTS["date"], CONTRACTS["label"]))


def table_aid() -> plots.Table:
    """The aid schedule, one row per option."""
    t = pd.DataFrame([
        {"Option": OPTION_LABELS[o], "Assistant (ETP)": fmt_num(OPTION_FTE[o], 2),
         "1re année (€)": v[0], "2e année (€)": v[1], "3e année et suivantes (€)": v[2],
         "Objectif de patientèle": f"+{fmt_smart(min(TARGETS[o][:4]))} à +{fmt_smart(max(TARGETS[o]))}{NBSP}%"}
        for o, v in AID_SCHEDULE.items()
    ])
    return plots.table(t, title="Aide annuelle de l'Assurance maladie et objectif de "
                       "patientèle, par option du contrat", champ="contrats signés à partir de 2019 (avenant 7)",
                       source=AID_SOURCE, decimals=0, name="assistants_aide")


def figure_trends(r: AssistantsResult, kind: str) -> plots.Figure:
    t = r.trends.assign(group=lambda x: x["group"].map(GROUP_LABELS))
    last_e = int(t["event_time"].max())
    end = {g: float(t[(t.group == g) & (t.event_time == last_e)]["index"].iloc[0]) - 100
           for g in ("signataires", "non-signataires")}
    title = (f"En {fmt_num(months(last_e), 0)} mois, la patientèle des premiers signataires progresse de "
             f"{fmt_pct(end['signataires'], 1, sign=True)}, celle des non-signataires de "
             f"{fmt_pct(end['non-signataires'], 1, sign=True)}")
    xlabel, ylabel = event_axis("assistants"), "Patientèle médecin traitant (indice 100 en −1)"
    hue_labels = {"signataires": "Signataires (premières cohortes)", "non-signataires": "Non-signataires"}
    data = plots._trends_data(t, x="event_time", y="index", hue="group", xlabel=xlabel, ylabel=ylabel,
                              hue_labels=hue_labels)
    # the months the title (and the Cnam) count: from the end of the year before the contract
    data.insert(2, "Mois depuis la fin de l'année précédant le contrat", 12 * (data[xlabel] + 1))
    return plots.trends(
        t, x="event_time", y="index", hue="group", data=data,
        xlabel=xlabel, ylabel=ylabel, title=title,
        champ=champ(r) + f" ; signataires des cohortes {fmt_list(r.desc_cohorts)}, non-signataires sur les mêmes "
                         "années",
        source=source(kind), name="assistants_tendances", hue_labels=hue_labels, vline=-0.5, vline_label="signature")


def _ladder_labels(r: AssistantsResult) -> dict[str, tuple[str, str]]:
    """What each rung of the estimator ladder is called and what its number measures."""
    h, last = r.horizon, r.data_years[1]
    p_nocov, p_main = r.cs_variants["no_covariates"].pretest_p, r.cs["patients_mt"].pretest_p
    return {
        "before_after": ("Avant/après, premiers signataires (48 mois)",
                         "effet + tendance commune + tendance propre aux signataires"),
        "raw_did": ("Signataires vs non-signataires, écart d'évolution (48 mois)",
                    "effet + tendance propre aux signataires (zones sous-denses, âge)"),
        "naive": (f"Écart de niveau en {last}, signataires vs autres",
                  "effet + écart de taille de patientèle préexistant"),
        "twfe": ("Double différence classique (effets fixes médecin et année)",
                 "moyenne pondérée de comparaisons, biaisée si l'effet croît avec le temps"),
        "cs_nocov": ("Par vague de signature, sans ajustement sur les caractéristiques",
                     f"tendances parallèles non conditionnelles (test avant contrat : p {fmt_p(p_nocov, style='eq')})"),
        "cs_nyt": ("Par vague de signature, comparaison élargie aux futurs signataires",
                   "tendances parallèles conditionnelles, autre groupe de comparaison"),
        "cs": ("Par vague de signature, à caractéristiques comparables (estimation retenue)",
               f"effet moyen attribuable à l'assistant (test avant contrat : p {fmt_p(p_main, style='eq')})"),
        "cs_h": (f"Par vague de signature, à caractéristiques comparables, {months(h)} mois", f"effet attribuable après {h + 1} ans de "
                                                                           "contrat"),
    }


def table_estimators(r: AssistantsResult, kind: str) -> plots.Table:
    t, lab = r.estimators, _ladder_labels(r)
    show = pd.DataFrame({
        "Méthode": [lab[k][0] for k in t["key"]],
        "Écart ou effet, patients [IC à 95 %]": _est_ci(t, "estimate"),
        "Ce que mesure le chiffre": [lab[k][1] for k in t["key"]],
    })
    return plots.table(show, title="Du simple avant/après à la double différence : le gain attribuable à "
                       "l'assistant est bien plus faible que la hausse brute", champ=champ(r),
                       source=source(kind), decimals=0, name="assistants_estimateurs",
                       note="Effet moyen sur l'ensemble des années suivant le contrat, sauf lignes « 48 mois ». "
                            "« Par vague de signature » : estimateur de Callaway et Sant'Anna, chaque vague de "
                            "signataires comparée à des non-signataires ; « à caractéristiques comparables » : avec "
                            "covariables ; double différence classique : régression à effets fixes (TWFE).")


def figure_event_study(r: AssistantsResult, kind: str) -> plots.Figure:
    band = r.event_band
    tab = band.table if band is not None else r.cs["patients_mt"].dynamic.table
    tab = tab[tab["n_units"] >= MIN_CELL]
    post = tab[tab["event_time"] >= 0].sort_values("event_time")
    at_h = post[post["event_time"] == r.horizon]
    last = at_h.iloc[0] if len(at_h) else post.iloc[-1]
    first = post.iloc[0]
    grows = last.estimate > first.estimate and last.ci_low > first.ci_high  # « croît » only with disjoint intervals
    title = (("Le gain de patientèle croît avec l'ancienneté du contrat : " if grows else
              "Gain de patientèle selon l'ancienneté du contrat : ")
             + f"{fmt_num(first.estimate, 0, sign=True)} patients l'année de la signature, "
             f"{fmt_num(last.estimate, 0, sign=True)} patients {_years_after(int(last.event_time))}")
    return plots.event_study(tab, ylabel="Effet sur la patientèle médecin traitant (patients)", title=title,
                             champ=champ(r), source=source(kind), name="assistants_dynamique",
                             alt_unit=" patients", decimals=0, study="assistants",
                             lecture=plots.band_reading(tab, band.crit, draws=band.draws) if band else "")


def _years_after(e: int) -> str:
    """« la quatrième année du contrat »: event time ``e`` (0 = year of signature, the first year of the contract) in
    the words of the chapter's prose (« après 4 ans de contrat », the Cnam's 48 months), so that a title's number
    sits where the chart shows it (x = 3) and reads as the text does."""
    words = {1: "deuxième", 2: "troisième", 3: "quatrième", 4: "cinquième", 5: "sixième"}
    return "l'année de la signature" if e == 0 else f"la {words.get(e, f'{e + 1}e')} année du contrat"


def dose_title(r: AssistantsResult, prefix: str) -> str:
    """« <prefix> croît avec … » only when, among comparable GPs (underserved areas), each option gains significantly
    more than the one below (CI of half − third and of full − half above 0); otherwise a neutral title."""
    u = r.dose_underserved.set_index("option") if len(r.dose_underserved) else None
    if u is not None and {"third", "half", "full"} <= set(u.index) \
            and u.loc["half", "diff_third_ci_low"] > 0 and u.loc["full", "diff_half_ci_low"] > 0:
        return prefix + " croît avec le temps d'assistant financé"
    return prefix + " selon l'option du contrat"


def figure_dynamic_by_option(r: AssistantsResult, kind: str) -> plots.Figure:
    dyn = r.dynamic[(r.dynamic["option"] != "all") & (r.dynamic["event_time"] >= 0)]
    fig, ax = plots.new()
    offs = {"third": -0.15, "half": 0.0, "full": 0.15}
    for i, opt in enumerate(OPTIONS):
        s = dyn[dyn["option"] == opt].sort_values("event_time")
        if s.empty:
            continue
        ax.errorbar(s["event_time"] + offs[opt], s["estimate"],
                    yerr=[s["estimate"] - s["ci_low"], s["ci_high"] - s["estimate"]],
                    fmt="o-", color=plots.PALETTE[i], capsize=3, label=OPTION_LABELS[opt])
    ax.axhline(0, color=plots.NEUTRAL, lw=1)
    ax.set_xlabel(event_axis("assistants"))
    ax.set_ylabel("Effet sur la patientèle médecin traitant (patients)")
    ax.set_xticks(sorted(dyn["event_time"].unique()))
    plots.french_axis(ax, "y")
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    h = r.horizon
    parts = [f"{OPTION_LABELS[o].lower()} : {fmt_num(x.estimate, 0, sign=True)} "
             f"[{fmt_num(x.ci_low, 0)} ; {fmt_num(x.ci_high, 0)}]"
             for o in OPTIONS for x in dyn[(dyn.option == o) & (dyn.event_time == h)].itertuples()]
    alt = (f"Effet estimé par année depuis le contrat, pour chaque option, avec intervalles de confiance à 95 %. "
           f"À {h + 1} ans : " + " ; ".join(parts) + " patients.")
    return plots.figure(fig, title=dose_title(r, "Le gain de patientèle par année de contrat"), alt=alt,
                        champ=champ(r), source=source(kind), name="assistants_dynamique_option")


def figure_dose(r: AssistantsResult, kind: str) -> plots.Figure:
    """Gains at the horizon of the three options among comparable GPs (underserved areas, each option against the
    underserved never-signatories); the options' own comparisons when the data have no underserved GPs."""
    under = len(r.dose_underserved) > 0
    t = (r.dose_underserved if under else r.dose).rename(
        columns={"gain": "estimate", "gain_ci_low": "ci_low", "gain_ci_high": "ci_high"})
    t["label"] = [f"{OPTION_LABELS[o]} (n = {count_fr(int(n))})" for o, n in zip(t["option"], t["n_gps"])]
    title = dose_title(r, "En zone sous-dense, le gain de patientèle" if under else "Le gain de patientèle")
    f = plots.forest(t, xlabel=f"Patients médecin traitant gagnés {months(r.horizon)} mois après la signature "
                     "(patients)", title=title,
                     champ=champ(r) + (" ; médecins des zones sous-denses" if under else ""), source=source(kind),
                     name="assistants_dose", decimals=0, alt_unit=" patients", ylabel="Option du contrat",
                     note="Chaque option est comparée aux non-signataires des zones sous-denses." if under else "")
    f.meta["Horizon (mois après la signature)"] = months(r.horizon)  # the horizon the axis names
    return f


def _est_ci(t: pd.DataFrame, col: str, decimals: int = 0, sign: bool = False) -> list[str]:
    """« estimate [low ; high] » per row: column ``col`` with ``ci_low``/``ci_high`` (``col`` = ``estimate``), else
    with ``{col}_ci_low``/``{col}_ci_high``."""
    low, high = ("ci_low", "ci_high") if col == "estimate" else (f"{col}_ci_low", f"{col}_ci_high")
    return [fmt_est_ci(e, a, b, decimals, sign) for e, a, b in zip(t[col], t[low], t[high])]


def table_options_underserved(r: AssistantsResult, kind: str) -> plots.Table | None:
    """The options among underserved GPs: CS gain at the horizon and its differences (joint influence functions), and
    the multi-valued treatment DiD (Callaway, Goodman-Bacon & Sant'Anna 2024) on the same GPs (None without them)."""
    t = r.dose_underserved
    if not len(t):
        return None
    cg = r.dose_cgbs
    cgbs = []
    for o in t["option"]:
        try:
            e = cg.att(OPTION_FTE[o]) if cg is not None else None
        except KeyError:
            e = None
        cgbs.append(fmt_est_ci(e.estimate, e.ci_low, e.ci_high, 0, True) if e is not None else "n.d.")
    show = pd.DataFrame({
        "Option": [OPTION_LABELS[o] for o in t["option"]],
        "Médecins": t["n_gps"].astype("Int64"),
        f"Gain à {months(r.horizon)} mois, patients [IC]": _est_ci(t, "gain", sign=True),
        "Écart au tiers temps [IC]": _est_ci(t, "diff_third", sign=True),
        "Écart au mi-temps [IC]": _est_ci(t, "diff_half", sign=True),
        "Dose multivaluée : effet moyen, patients [IC]": cgbs,
    })
    show = suppress(show, ["Médecins"], show.columns[2:])
    return plots.table(show, title=dose_title(r, "En zone sous-dense, l'effet du contrat"),
                       champ=champ(r) + " ; médecins des zones sous-denses", source=source(kind),
                       name="assistants_options_sous_denses",
                       note="Chaque option est comparée aux non-signataires des zones sous-denses (Callaway et "
                            "Sant'Anna) ; écarts : IC calculé avec la covariance des estimations (groupe de "
                            "comparaison commun). Dose multivaluée : Callaway, Goodman-Bacon et Sant'Anna (2024), "
                            "temps d'assistant financé en dose discrète, effet moyen de chaque dose sur les années "
                            "suivant le contrat (moyenne par cohorte, pondérée par la taille des cohortes) ; comparer "
                            "deux doses suppose des tendances parallèles « fortes ».")


def table_dose(r: AssistantsResult, kind: str) -> plots.Table:
    t = r.dose
    show = pd.DataFrame({
        "Option": [OPTION_LABELS[o] for o in t["option"]],
        "Médecins": t["n_gps"].astype("Int64"),
        "Effet moyen, % [IC]": _est_ci(t, "att_pct", 1, True),
        f"Gain à {months(r.horizon)} mois, patients [IC]": _est_ci(t, "gain", sign=True),
        "Gain par ETP d'assistant": [fmt_num(x, 0) for x in t["gain_per_fte"]],
        "Écart au tiers temps [IC]": _est_ci(t, "diff_third", sign=True),
    })
    show = suppress(show, ["Médecins"], show.columns[2:])
    return plots.table(show, title="L'effet du contrat pour l'ensemble des signataires de chaque option",
                       champ=champ(r), source=source(kind), name="assistants_options",
                       note="Effet moyen : moyenne sur toutes les années suivant le contrat (agrégation « simple » "
                            "de Callaway et Sant'Anna), en % de la patientèle l'année précédant le contrat. Tiers "
                            "temps et mi-temps : comparés à tous les non-signataires ; temps plein (zones sous-denses "
                            "seulement) : aux non-signataires des zones sous-denses, si bien que son gain ne se "
                            "compare pas directement aux deux autres. Écart au tiers temps (mi-temps seulement) : IC "
                            "calculé avec la covariance des estimations (groupe de comparaison commun).")


def table_targets(r: AssistantsResult, kind: str) -> plots.Table:
    t = r.targets
    show = pd.DataFrame({
        "Option": [OPTION_LABELS.get(o, "Ensemble") for o in t["option"]],
        "Médecins évalués": t["n_gps"].astype("Int64"),
        "Objectif moyen (%)": t["target_mean"],
        "Hausse observée (%)": t["growth_mean"],
        "Objectif atteint (% des signataires)": t["share_reached"],
        "Non-signataires qui l'« atteignent » (%)": t["placebo_share"],
    })
    show = suppress(show, ["Médecins évalués"], show.columns[2:])
    return plots.table(show, title="Une part des objectifs contractuels serait atteinte sans assistant",
                       champ=champ(r) + f" ; signataires observés {TARGET_YEAR + 1} ans après la signature",
                       source=source(kind) + " ; objectifs : " + TARGET_SOURCE, decimals=1,
                       name="assistants_objectifs",
                       note="Objectif atteint si la patientèle MT de la 3e année (au 31 décembre de l'année g + 2) "
                            "dépasse celle de l'année précédant le contrat augmentée de l'objectif de la tranche "
                            "de percentile du médecin. Non-signataires : même règle, mêmes années, médecins "
                            "éligibles (au-dessus du 30e percentile).")


def figure_cost(r: AssistantsResult, kind: str) -> plots.Figure:
    t = r.cost[np.isfinite(r.cost["estimate"])].copy()
    t["label"] = [OPTION_LABELS.get(o, "Ensemble") for o in t["option"]]
    t["ci_high"] = np.where(np.isfinite(t["ci_high"]), t["ci_high"], t["estimate"] * 3)
    return plots.forest(t, xlabel="Aide publique par patient médecin traitant supplémentaire et par an (euros)",
                        title="Coût public par patient gagné : " + ", ".join(
                            f"{x.label.lower()} {fmt_eur(x.estimate)}" for x in t.itertuples()),
                        champ=champ(r) + f" ; {r.horizon + 1} premières années de contrat",
                        source=source(kind) + " ; barème : " + AID_SOURCE, name="assistants_cout",
                        decimals=0, alt_unit=" €", reference=None, ylabel="Option du contrat")


def table_cost(r: AssistantsResult, kind: str) -> plots.Table:
    t = r.cost
    show = pd.DataFrame({
        "Option": [OPTION_LABELS.get(o, "Ensemble") for o in t["option"]],
        f"Aide sur {r.horizon + 1} ans (€)": [fmt_num(x, 0) for x in t["aid_total"]],
        "Patients-années gagnés": [fmt_num(x, 0) for x in t["gain_total"]],
        "Coût par patient et par an, € [IC]": _est_ci(t, "estimate"),
        "En régime de croisière, € [IC]": _est_ci(t, "steady"),
    })
    return plots.table(show, title="Ce que coûte à l'Assurance maladie chaque patient médecin traitant "
                       "supplémentaire", champ=champ(r), source=source(kind) + " ; barème : " + AID_SOURCE,
                       name="assistants_cout",
                       note="Coût = aide versée sur les premières années du contrat ÷ somme des gains annuels "
                            "estimés (patients-années). Régime de croisière : aide de la 3e année ÷ gain estimé "
                            "la dernière année retenue. IC : image de l'IC du gain par la fonction coût ÷ gain. "
                            "Ensemble : options pondérées par leur part parmi les signataires.")


def figure_projection(r: AssistantsResult, kind: str) -> plots.Figure:
    """Projected patients gained at each published contract count, against the « 500 000 » claim (dashed line,
    « annoncé ») and its two readings: the contracts signed when it was made and the 2022 target."""
    t = r.projection.assign(label=lambda x: x["date"].map(DATE_LABELS))
    fig, ax = plots.new(height=3.8)
    x = np.arange(len(t))
    ax.bar(x, t["estimate"], color=plots.TREATED, width=0.55, label="Projection (gain estimé × contrats)")
    ax.errorbar(x, t["estimate"], yerr=[t["estimate"] - t["ci_low"], t["ci_high"] - t["estimate"]],
                fmt="none", color="black", capsize=4)
    ax.axhline(CLAIM_PATIENTS, color=plots.TRUTH, ls="--", lw=1.2,
               label=f"annoncé : {fmt_num(CLAIM_PATIENTS, 0)} patients (Cnam, février 2022)")
    reading = {CLAIM_READINGS["signed"]: f"lecture 1 :\n{fmt_num(CLAIM_CONTRACTS, 0)} signés",
               CLAIM_READINGS["target"]: f"lecture 2 :\n{fmt_num(CLAIM_TARGET_CONTRACTS, 0)} visés"}
    ax.set_xticks(x)
    ax.set_xticklabels([f"{lab}\n{fmt_num(n, 0)} contrats MG" + (f"\n{reading[d]}" if d in reading else "")
                        for lab, n, d in zip(t["label"], t["gp_contracts"], t["date"])], fontsize=8)
    ax.set_xlabel("Décompte des contrats signés (et objectif de 2022)")
    ax.set_ylabel("Patients médecin traitant gagnés")
    plots.french_axis(ax, "y")
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    ax.set_ylim(0, max(t["ci_high"].max(), CLAIM_PATIENTS) * 1.25)
    alt = ("Diagramme en barres : patients médecin traitant gagnés projetés selon le nombre de contrats signés. "
           + " ; ".join(f"{p.label} : {fmt_num(p.estimate, 0)} [{fmt_num(p.ci_low, 0)} ; {fmt_num(p.ci_high, 0)}]"
                        for p in t.itertuples())
           + f". Ligne horizontale : l'annonce de {fmt_num(CLAIM_PATIENTS, 0)} patients, rapportée aux "
             f"{fmt_num(CLAIM_CONTRACTS, 0)} contrats signés à sa date (lecture 1) ou aux "
             f"{fmt_num(CLAIM_TARGET_CONTRACTS, 0)} contrats visés pour 2022 (lecture 2).")
    last = t.iloc[-1]
    share_nomt = 100 * t["estimate"] / WITHOUT_MT
    title = (f"Avec {fmt_num(last.gp_contracts, 0)} contrats de généralistes, le gain projeté couvrirait "
             f"{fmt_pct(share_nomt.iloc[-1], 0)} des personnes sans médecin traitant")
    data = pd.DataFrame({
        "Date": t["label"].to_numpy(), "Contrats (toutes spécialités)": t["contracts"].to_numpy(),
        "Contrats de généralistes": t["gp_contracts"].to_numpy(),
        "Patients médecin traitant gagnés (projection)": t["estimate"].round(0).to_numpy(),
        "Borne basse de l'IC à 95 %": t["ci_low"].round(0).to_numpy(),
        "Borne haute de l'IC à 95 %": t["ci_high"].round(0).to_numpy(),
        "Annoncé (patients)": float(CLAIM_PATIENTS),
        "En % de l'annonce": (100 * t["estimate"] / CLAIM_PATIENTS).round(1).to_numpy(),
        "En % des personnes sans médecin traitant": share_nomt.round(1).to_numpy()})
    f = plots.figure(fig, title=title, alt=alt, champ="contrats de médecins généralistes signés à chaque date, et "
                        "objectif de 2022 ; chaque contrat supposé arrivé à "
                        f"{months(r.horizon)} mois (gain par contrat estimé à cette ancienneté)",
                        source=source(kind) + " ; contrats : HCAAM (2022), Assurance maladie (2022, 2024)",
                        name="assistants_projection", data=data,
                        note="Répartition par option de novembre 2021 appliquée aux autres dates. L'annonce de "
                             f"{fmt_num(CLAIM_PATIENTS, 0)} patients se lit de deux façons : rapportée aux "
                             f"{fmt_num(CLAIM_CONTRACTS, 0)} contrats signés à sa date (lecture 1) ou aux "
                             f"{fmt_num(CLAIM_TARGET_CONTRACTS, 0)} contrats visés pour 2022 (lecture 2).")
    f.meta["Année de l'objectif de contrats"] = int(CLAIM_READINGS["target"][:4])  # the x label's « 2022 »
    return f


def table_projection(r: AssistantsResult, kind: str) -> plots.Table:
    t = r.projection
    show = pd.DataFrame({
        "Date": t["date"].map(DATE_LABELS), "Contrats (toutes spécialités)": [fmt_num(x, 0) for x in t["contracts"]],
        "Contrats de généralistes": [fmt_num(x, 0) for x in t["gp_contracts"]],
        "Patients gagnés [IC]": [fmt_est_ci(*(round(x, -3) for x in v)) for v in
                                 zip(t["estimate"], t["ci_low"], t["ci_high"])],
        "En % de l'annonce (500 000)": [fmt_num(100 * x / CLAIM_PATIENTS, 0) for x in t["estimate"]],
        "En % des 6 millions sans médecin traitant": [fmt_num(100 * x / WITHOUT_MT, 1) for x in t["estimate"]],
    })
    return plots.table(show, title="Projection nationale : contrats signés × gain estimé par contrat",
                       champ="contrats d'assistant médical ; effectifs publiés et objectif de 2022 ; chaque contrat "
                             f"supposé arrivé à {months(r.horizon)} mois",
                       source=source(kind) + " ; contrats : HCAAM (2022, Encadré 4) pour novembre 2021, Cnam "
                                             "(2022) pour janvier et juin 2022, HCAAM (2022) et Le Quotidien du "
                                             "médecin (2022) pour l'objectif de 4 000 contrats, Assurance maladie "
                                             "(2024) pour octobre 2024",
                       name="assistants_projection",
                       note="Contrats de généralistes : 79 % des contrats (novembre 2021) sauf octobre 2024 "
                            "(5 283 publiés). Gain par contrat = effet estimé par option "
                            f"{months(r.horizon)} mois après la signature, pondéré par la répartition des "
                            "options de novembre 2021 ; les patients gagnés peuvent avoir quitté un autre médecin "
                            "(voir limites).")


def table_honest(r: AssistantsResult, kind: str) -> plots.Table | None:
    if r.honest is None:
        return None
    g = r.honest.grid
    show = pd.DataFrame({
        "Écart de tendance permis (multiple de l'écart d'avant le contrat)": g["M"],
        "Borne basse IC robuste": g["ci_low"], "Borne haute IC robuste": g["ci_high"],
        "Effet significatif": g["significant"].astype(bool),
    })
    return plots.table(show, title="Sensibilité aux écarts à l'hypothèse de tendances parallèles",
                       champ=champ(r), source=source(kind),
                       decimals={show.columns[0]: 2, "Borne basse IC robuste": 0, "Borne haute IC robuste": 0},
                       name="assistants_honestdid", lecture=honest_reading(g, "patients", 0, "le contrat"),
                       note="écart de tendance permis (M̄ dans la méthode HonestDiD de Rambachan et Roth) égal à 1 : "
                            "après le contrat, l'écart de tendance peut atteindre le plus grand écart "
                            f"observé avant. Cible : effet à {months(r.horizon)} mois ; méthode : {r.honest.method_fr}.")


def table_published(r: AssistantsResult, kind: str) -> plots.Table:
    """Published figures beside the same figures computed on the data (one row per indicator)."""
    desc = r.descriptive

    def get(outcome: str, group: str, col: str) -> float:
        s = desc[(desc.outcome == outcome) & (desc.group == group)] if len(desc) else desc
        return float(s[col].iloc[0]) if len(s) else float("nan")

    cnam22, cnam24 = "Cnam 2022", "Cnam 2024"
    first_target = r.targets[r.targets.option == "all"]["target_mean"]
    row22 = r.projection[r.projection.date == CLAIM_READINGS["signed"]]
    row_t = r.projection[r.projection.date == CLAIM_READINGS["target"]]
    dose = r.dose
    mt, fa, ac = "patients_mt", "file_active", "acts"
    rows = [
        ("Patientèle MT des signataires avant le contrat (patients)", PUBLISHED["mt_base_48m"], cnam24,
         get(mt, SIGNATORIES, "base"), "calibrage : sélection de médecins à forte patientèle"),
        ("Hausse de la patientèle MT à 30 mois (%)", PUBLISHED["mt_change_30m"], cnam22,
         get(mt, SIGNATORIES, "change_30m_pct"), "calibrage (avant/après, sans comparaison)"),
        ("Hausse de la patientèle MT à 48 mois (%)", PUBLISHED["mt_change_48m"], cnam24,
         get(mt, SIGNATORIES, "change_48m_pct"), "calibrage (avant/après, sans comparaison)"),
        ("Non-signataires, même période (%)", PUBLISHED["mt_change_48m_ctrl"], cnam24,
         get(mt, NEVER, "change_48m_pct"), "calibrage : tendance commune"),
        ("File active à 48 mois, signataires (%)", PUBLISHED["fa_change_48m"], cnam24,
         get(fa, SIGNATORIES, "change_48m_pct"), "calibrage"),
        ("File active à 48 mois, non-signataires (%)", PUBLISHED["fa_change_48m_ctrl"], cnam24,
         get(fa, NEVER, "change_48m_pct"), "calibrage"),
        ("Actes à 48 mois, signataires (%)", PUBLISHED["acts_change_48m"], cnam24,
         get(ac, SIGNATORIES, "change_48m_pct"), "calibrage"),
        ("Objectif contractuel moyen (%)", PUBLISHED["mt_objective_48m"], cnam24,
         float(first_target.iloc[0]) if len(first_target) else float("nan"),
         "vérifie la règle d'objectifs appliquée (tranches interpolées)"),
        (f"Effet attribuable à {months(r.horizon)} mois (%)", float("nan"), "non publié",
         float(dose["gain"].mul(dose["n_gps"]).sum() / dose["n_gps"].sum() / r.cs[mt].pre_mean * 100)
         if len(dose) else float("nan"), "estimation de ce chapitre (double différence)"),
        (f"Patients gagnés, {fmt_num(CLAIM_CONTRACTS, 0)} contrats signés (janvier 2022)", float(CLAIM_PATIENTS),
         "Cnam, février 2022", float(round(row22["estimate"].iloc[0], -3)) if len(row22) else float("nan"),
         "l'annonce suppose les objectifs atteints et ne retranche pas la tendance ; contrats supposés arrivés à "
         f"{months(r.horizon)} mois"),
        (f"Patients gagnés, {fmt_num(CLAIM_TARGET_CONTRACTS, 0)} contrats visés (objectif 2022)",
         float(CLAIM_PATIENTS), "Cnam, février 2022 ; objectif : HCAAM 2022",
         float(round(row_t["estimate"].iloc[0], -3)) if len(row_t) else float("nan"),
         "autre lecture de l'annonce : rapportée aux contrats visés plutôt qu'aux contrats signés"),
    ]
    if kind == "user":  # the « calibrage » readings describe the synthetic data only
        rows = [(*x[:4], "comparaison descriptive (avant/après)" if x[4].startswith("calibrage") else x[4])
                for x in rows]
    rep = "Reproduit (synthétique)" if kind == "synthetic" else "Reproduit (données de l'utilisateur)"
    out = pd.DataFrame(rows, columns=["Indicateur", "Publié", "Source", rep, "Ce que montre la comparaison"])
    pct = out["Indicateur"].str.endswith("(%)")
    for c in ("Publié", rep):
        out[c] = [("" if not np.isfinite(v) else fmt_num(v, 1) if is_pct else fmt_num(v, 0))
                  for v, is_pct in zip(out[c], pct)]
    data = "les données synthétiques" if kind == "synthetic" else "les données de l'évaluation"
    return plots.table(out, title=f"Chiffres publiés et chiffres reproduits sur {data}",
                       champ=champ(r),
                       source=source(kind) + " ; chiffres publiés : Cnam 2022 = analyse de 305 contrats ; Cnam 2024 "
                                             "= Points de repère, 402 généralistes signataires de septembre 2019 à "
                                             "août 2020 ; Cnam, février 2022 = directeur général, cité par le HCAAM "
                                             "(2022)", name="assistants_publie_reproduit",
                       note="Actes : le chiffre publié porte sur les actes par jour travaillé, le chiffre reproduit "
                            "sur les actes annuels (jours travaillés supposés constants).")


def figure_agreement(r: AssistantsResult, kind: str, outcome: str = "patients_mt") -> plots.Figure | plots.Table:
    """Compact forest plot of the estimator agreement panel of one outcome
    (:func:`evalkit.studies.agreement.figure`)."""
    name = AGREEMENT_NAMES.get(outcome, outcome).split(" ", 1)[-1]
    return agreement.figure(r.agreement.get(outcome), outcome_fr=name,
                            xlabel="Effet moyen estimé (patients par médecin)", champ=champ(r), source=source(kind),
                            name=f"assistants_accord_{outcome}", decimals=0, alt_unit=" patients")
