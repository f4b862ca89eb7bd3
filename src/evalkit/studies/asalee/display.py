"""Asalée: the chapter's figures and tables (:mod:`evalkit.plots`), built from an :class:`~.analysis.AsaleeResult`.

Every builder takes the result and the data kind (``"synthetic"`` | ``"user"``: the « Source » line and the reading
of the published-vs-reproduced table depend on it).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from ... import plots
from .. import agreement
from ...lecture import honest as honest_reading
from ...disclosure import MIN_CELL, suppress
from ...fr import fmt_ci, fmt_int, fmt_num, fmt_p
from .analysis import AsaleeResult
from .published import DEPLOYMENT, PUBLISHED
from .texts import ALPHA, GROUP_LABELS, INTENSITY_FR, LABELS, SHORT, champ, dose_verdict, n_significant, source

TREND_INDICATORS = ("hba1c_3plus", "microalb", "fundus_2y")


def table_programme() -> plots.Table:
    """Deployment of Asalée (published figures, with sources)."""
    t = pd.DataFrame(DEPLOYMENT, columns=["Date", "Indicateur", "Valeur", "Source"])
    return plots.table(t, title="Asalée a changé d'échelle : de 300 infirmières en 2018 à plus de 1 000 en 2021",
                       champ="France entière, dispositif Asalée", source="voir la colonne « Source »",
                       name="asalee_deploiement")


def table_sample(a: AsaleeResult, kind: str) -> plots.Table:
    """Sample by group and entry cohort: GPs, patients, patient-years (small cells suppressed)."""
    s = a.sample
    share = "Patients-années suivis par l'infirmière après l'entrée (%)"
    group = ["Médecins témoins" if pd.isna(c) else f"Asalée, entrée {int(c)}" for c in s["cohort"]]
    t = pd.DataFrame({"Groupe": group,
                      "Médecins": s["n_gps"], "Patients": s["n_patients"], "Patients-années": s["n_patient_years"],
                      share: s["pct_followed_post"]})
    t = suppress(t, ["Médecins", "Patients"], ["Patients-années", share])
    return plots.table(t, title="Les médecins Asalée entrent dans le dispositif par vagues successives",
                       champ=champ(a), source=source(kind),
                       name="asalee_echantillon",
                       note="« < 11 » : effectif inférieur à 11, masqué (secret statistique).")


def figure_trends(a: AsaleeResult, kind: str, indicators: Sequence[str] = TREND_INDICATORS) -> plots.Figure:
    """Share of patients with each indicator done, by year: followed patients (per-protocol closed cohort), all
    diabetics of Asalée GPs, and diabetics of comparison GPs — in the style of Irdes' figure."""
    tr = a.trends
    inds = [i for i in indicators if i in a.indicators]
    fig, axes = plots.new(1, len(inds), width=10, height=4.2, sharey=False)
    axes = np.atleast_1d(axes)
    groups = [g for g in GROUP_LABELS if g in set(tr["group"])]
    styles = {"followed": dict(color=plots.TREATED, ls="-", marker="o"),
              "asalee_all": dict(color=plots.TREATED, ls="--", marker="s", alpha=0.7),
              "control": dict(color=plots.CONTROL, ls="-", marker="o")}
    parts = []
    for ax, ind in zip(axes, inds):
        seg = []
        for g in groups:
            d = tr[(tr["group"] == g) & (tr["outcome"] == ind)].sort_values("year")
            ax.plot(d["year"], d["share"], label=GROUP_LABELS[g], ms=4, **styles[g])
            if len(d):
                seg.append(f"{GROUP_LABELS[g].lower()} de {fmt_num(d['share'].iloc[0], 1)} % en "
                           f"{int(d['year'].iloc[0])} à {fmt_num(d['share'].iloc[-1], 1)} % en "
                           f"{int(d['year'].iloc[-1])}")
        parts.append(f"{LABELS[ind]} : " + ", ".join(seg))
        ax.set_title(SHORT[ind][0].upper() + SHORT[ind][1:], fontsize=12)
        ax.set_xlabel("Année", fontsize=11)
        ax.set_ylabel("Patients concernés (%)", fontsize=11)
        ax.tick_params(labelsize=10)
        ax.xaxis.set_major_locator(plots.mticker.MaxNLocator(integer=True, nbins=4))
        ax.xaxis.set_major_formatter(plots.mticker.FuncFormatter(lambda v, _p: f"{int(v)}"))
        plots.french_axis(ax, "y", decimals=0)
        if a.cohorts:
            ax.axvspan(min(a.cohorts) - 0.5, max(a.cohorts) + 0.5, color="#eeeeee", zorder=0)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), frameon=False, fontsize=11,
               bbox_to_anchor=(0.5, -0.06))
    alt = ("Trois graphiques de courbes, un par indicateur, part des patients concernés par année. "
           + " ; ".join(parts) + ". La zone grisée marque les années d'entrée des médecins dans Asalée.")
    gap = _trend_gap(a, "hba1c_3plus")
    title = ("Le suivi progresse partout, plus vite pour les patients suivis par l'infirmière"
             if gap is not None and gap > 0 else
             "Évolution du suivi des patients des médecins Asalée et des médecins témoins")
    return plots.figure(fig, title=title, alt=alt, champ=champ(a) + " ; patients suivis : cohorte fermée "
                        "(présents chaque année)", source=source(kind), name="asalee_tendances",
                        note="zone grisée : années d'entrée des médecins dans Asalée.")


def _trend_gap(a: AsaleeResult, ind: str) -> float | None:
    """Change of the gap between followed patients and the comparison GPs' patients, first to last year (points)."""
    share = a.trends[a.trends["outcome"] == ind].pivot(index="year", columns="group", values="share")
    y0, y1 = a.years[0], a.years[-1]
    try:
        return float((share["followed"][y1] - share["control"][y1]) - (share["followed"][y0] - share["control"][y0]))
    except KeyError:
        return None


def table_itt(a: AsaleeResult, kind: str) -> plots.Table:
    """ITT (CS simple ATT, pp) for the six indicators, with the comparison group's level before entry."""
    t = a.itt.copy()
    out = pd.DataFrame({
        "Indicateur": t["outcome"].map(LABELS),
        "Niveau avant entrée, médecins Asalée (%)": t["pre_mean"],
        "Effet (points)": t["estimate"],
        "IC 95 % bas": t["ci_low"],
        "IC 95 % haut": t["ci_high"],
        "p": t["p_value"].map(fmt_p),
        "p ajustée (Holm)": t["p_holm"].map(fmt_p),
        "p ajustée (Romano–Wolf)": t["p_romano_wolf"].map(fmt_p),
    })
    sig, _ = n_significant(a)
    title = (f"Intention de traiter : effet positif et significatif sur {sig} indicateur{'s' if sig > 1 else ''} "
             f"sur {len(t)}, compte tenu du nombre de tests" if sig else
             "Intention de traiter : aucun effet significatif à 5 % compte tenu du nombre de tests")
    return plots.table(out, title=title,
                       champ=champ(a), source=source(kind),
                       note=("double différence échelonnée de Callaway et Sant'Anna sur le panel médecin × année "
                             "des parts de patients, pondérée par le nombre de patients, médecins jamais entrés "
                             "comme témoins ; IC clusterisés au niveau du médecin. p ajustées : p-values corrigées "
                             f"pour les {len(t)} tests (Holm ; Romano et Wolf, bootstrap multiplicateur sur les "
                             "fonctions d'influence jointes des estimations, qui portent sur les mêmes médecins) ; "
                             "le titre compte les effets positifs dont la p ajustée de Romano–Wolf est inférieure à "
                             "5 %."),
                       name="asalee_itt")


def figure_forest(a: AsaleeResult, kind: str) -> plots.Figure:
    """Forest plot of the six ITT effects (pp, 95 % CI); blue when the CI is entirely above zero."""
    t = a.itt.assign(label=a.itt["outcome"].map(LABELS)).reset_index(drop=True)
    n_pos, _ = n_significant(a)
    up = (t["p_romano_wolf"] < ALPHA) & (t["estimate"] > 0)
    title = (f"L'entrée du médecin dans Asalée améliore {n_pos} des {len(t)} indicateurs de suivi "
             "de ses patients diabétiques" if n_pos else
             "Effet de l'entrée du médecin dans Asalée sur les indicateurs de suivi de ses patients diabétiques")
    alt = "Graphique en forêt, effet et intervalle de confiance à 95 % par indicateur : " + " ; ".join(
        f"{r.label} : {plots.ci_label(r.estimate, r.ci_low, r.ci_high)} point" for r in t.itertuples()) + "."
    return plots.forest(t, xlabel="Effet en points de pourcentage (intention de traiter, IC à 95 %)",
                        ylabel="Indicateur de suivi", title=title, champ=champ(a), source=source(kind),
                        name="asalee_forest", colors=[plots.TREATED if u else plots.NEUTRAL for u in up],
                        note="en bleu : effet positif significatif à 5 % après correction pour le nombre de tests "
                             "(p ajustée de Romano–Wolf) ; intervalles de confiance à 95 % non ajustés.", alt=alt)


def figure_event_study(a: AsaleeResult, kind: str) -> plots.Figure:
    t = a.event_hba1c.copy()
    post = t[t["event_time"] >= 0]
    rising = len(post) > 1 and post["estimate"].iloc[-1] > post["estimate"].iloc[0]
    title = ("HbA1c : pas d'écart avant l'entrée, un effet qui apparaît dès la première année"
             + (" et se renforce" if rising else "")
             if a.pretest_p >= 0.05 and len(post) and post["ci_low"].iloc[0] > 0 else
             "HbA1c : effet par année depuis l'entrée du médecin dans Asalée")
    t = t[t["n_units"] >= MIN_CELL]
    lecture = plots.band_reading(t, a.event_band.crit, draws=a.event_band.draws) if a.event_band else ""
    return plots.event_study(t, ylabel="Effet sur la part de patients avec ≥ 3 HbA1c (points)", title=title,
                             champ=champ(a), source=source(kind), name="asalee_event_study", alt_unit=" point",
                             lecture=lecture, study="asalee")


def _unavailable(a: AsaleeResult, kind: str, title: str, message: str) -> plots.Table:
    """A one-cell table saying why an exhibit cannot be built on these data."""
    return plots.table(pd.DataFrame({"Message": [message]}), title=title, champ=champ(a), source=source(kind))


def table_per_protocol(a: AsaleeResult, kind: str) -> plots.Table:
    if a.per_protocol.empty:
        return _unavailable(a, kind, "Per-protocole : non disponible", "Estimation per-protocole impossible sur ces "
                            "données (aucun patient suivi par l'infirmière, ou pas de témoins)")
    t = a.per_protocol.merge(a.itt[["outcome", "estimate"]].rename(columns={"estimate": "itt"}),
                             on="outcome", how="left")
    w, g = a.wald.set_index("outcome"), a.selection.set_index("outcome")

    def _ci(frame: pd.DataFrame, ind: str) -> str:
        return fmt_ci(frame.loc[ind, "ci_low"], frame.loc[ind, "ci_high"]) if ind in frame.index else "n.d."

    out = pd.DataFrame({
        "Indicateur": t["outcome"].map(LABELS),
        "Per-protocole (points)": t["estimate"],
        "IC 95 % per-protocole": [fmt_ci(lo, hi) for lo, hi in zip(t["ci_low"], t["ci_high"])],
        "Effet sur les patients suivis (points)": [w.loc[i, "estimate"] if i in w.index else np.nan
                                                   for i in t["outcome"]],
        "IC 95 % effet sur les suivis": [_ci(w, i) for i in t["outcome"]],
        "Écart per-protocole − effet sur les suivis (points)": [g.loc[i, "estimate"] if i in g.index else np.nan
                                                                for i in t["outcome"]],
        "p de l'écart": [fmt_p(g.loc[i, "p_value"]) if i in g.index else "n.d." for i in t["outcome"]],
        "Intention de traiter (points)": t["itt"],
    })
    above = a.main in g.index and g.loc[a.main, "p_value"] < ALPHA and g.loc[a.main, "estimate"] > 0
    title = ("La comparaison per-protocole dépasse l'effet sur les patients suivis : signe d'une sélection des "
             "patients suivis" if above else
             "Per-protocole et effet sur les patients suivis, indicateur par indicateur")
    return plots.table(out, title=title,
                       champ=champ(a) + " ; per-protocole : patients présents chaque année, suivis par "
                       "l'infirmière (médecins Asalée) ou patients des médecins témoins",
                       source=source(kind), name="asalee_per_protocole",
                       note=("per-protocole : double différence échelonnée (Callaway–Sant'Anna), cohorte = première "
                             "année de suivi par l'infirmière, pondérée par patient, IC clusterisés par médecin ; les "
                             "patients suivis sont choisis par le médecin et l'infirmière, l'estimation n'est causale "
                             "que si, sans Asalée, leur suivi aurait évolué comme celui des témoins. Effet sur les "
                             "patients suivis : effet en intention de traiter divisé par la hausse de la part des "
                             "patients suivis (double différence de Wald, de Chaisemartin et D'Haultfœuille), IC par "
                             "la méthode delta sur les fonctions d'influence jointes ; il suppose que l'entrée du "
                             "médecin ne change rien pour les patients que l'infirmière ne suit pas. Écart : test de "
                             "la différence entre les deux, clusterisé par médecin."))


def table_dose(a: AsaleeResult, kind: str) -> plots.Table:
    """Effect on followed patients by intensity group (each group's ITT ÷ its own first stage), with the p-value of
    the test of equality between groups, indicator by indicator."""
    dose = a.dose[a.dose["pf_estimate"].notna()] if len(a.dose) else a.dose
    if dose.empty:
        return _unavailable(a, kind, "Intensité : non disponible", "Trop peu de médecins Asalée ou de patients suivis "
                            "pour former des groupes d'intensité d'au moins 11 médecins")
    groups = a.dose.drop_duplicates("group").sort_values("intensity_mean")
    cols = {}
    for r in groups.itertuples():
        n = fmt_int(r.n_gps) if r.n_gps >= MIN_CELL else "< 11"  # never < 11 (groups have ≥ 11 GPs), checked
        cols[r.group] = (f"Intensité {INTENSITY_FR[r.group]} ({n} médecins, {fmt_num(r.intensity_mean, 0)} % suivis)")
    wide = dose.pivot_table(index="outcome", columns="group", values="pf_estimate", observed=True)
    inds = [i for i in a.indicators if i in wide.index]
    out = pd.DataFrame({"Indicateur (effet sur les patients suivis, points)": [LABELS[i] for i in inds]})
    for r in groups.itertuples():
        v = [wide.loc[i, r.group] if r.group in wide.columns else np.nan for i in inds]
        out[cols[r.group]] = v if r.n_gps >= MIN_CELL else ["< 11"] * len(v)
    test = a.dose_test.set_index("outcome")
    out["p (égalité entre groupes)"] = [fmt_p(test.loc[i, "p_value"]) if i in test.index else "n.d." for i in inds]
    main = a.main if a.main in wide.index else inds[0]
    verdict = dose_verdict(a, main)
    title = {"up": "L'effet sur l'HbA1c des patients suivis croît avec la part de patients suivis par l'infirmière",
             "differs": "L'effet sur l'HbA1c des patients suivis diffère selon l'intensité de la coopération"}.get(
        verdict, "Effet sur les patients suivis selon l'intensité de la coopération, indicateur par indicateur")
    return plots.table(out, title=title,
                       champ=champ(a) + " ; groupes de médecins Asalée selon la part de leurs patients "
                       "diabétiques suivis par l'infirmière", source=source(kind), name="asalee_intensite",
                       note="effet en intention de traiter de chaque groupe (comparé à tous les médecins témoins) "
                            "divisé par la hausse de la part de ses patients suivis (double différence de Wald) : "
                            "sans cette division, l'effet croîtrait mécaniquement avec la part suivie ; « % suivis » : "
                            "part moyenne des patients-années suivis par l'infirmière après l'entrée du médecin ; "
                            "p : test de Wald de l'égalité des effets entre groupes (fonctions d'influence jointes, "
                            "les groupes partagent les témoins).")


def figure_dose(a: AsaleeResult, kind: str, indicator: str = "hba1c_3plus") -> plots.Figure | plots.Table:
    d = a.dose[(a.dose["outcome"] == indicator) & a.dose["pf_estimate"].notna()].sort_values("intensity_mean")
    if d.empty:
        return table_dose(a, kind)
    fig, ax = plots.new(width=7.0, height=4.0)
    x = d["intensity_mean"].to_numpy()
    ax.errorbar(x, d["pf_estimate"], yerr=[d["pf_estimate"] - d["pf_ci_low"], d["pf_ci_high"] - d["pf_estimate"]],
                fmt="o", color=plots.TREATED, capsize=4, label="effet sur les patients suivis (IC 95 %)")
    for xi, (_, r) in zip(x, d.iterrows()):
        ax.annotate(f"intensité {INTENSITY_FR[r['group']]}\n"
                    f"{plots.ci_label(r['pf_estimate'], r['pf_ci_low'], r['pf_ci_high'])}",
                    (xi, r["pf_ci_high"]), xytext=(0, 6), textcoords="offset points", ha="center", fontsize=8)
    refs = [(label, t.loc[t["outcome"] == indicator, "estimate"].iloc[0], ls)
            for t, label, ls in ((a.wald, "effet sur les patients suivis, tous médecins", "--"),
                                 (a.per_protocol, "per-protocole (comparaison publiée)", ":"))
            if (t["outcome"] == indicator).any()]
    for label, y, ls in refs:
        ax.axhline(y, color=plots.NEUTRAL, ls=ls, lw=1)
        ax.annotate(label, (max(0, x.min() - 11), y), xytext=(0, 4), textcoords="offset points", fontsize=8,
                    color=plots.NEUTRAL)
    ax.axhline(0, color=plots.NEUTRAL, lw=1)
    ax.set_xlabel("Part des patients diabétiques du médecin suivis par l'infirmière (%, moyenne du groupe)")
    ax.set_ylabel("Effet sur la part avec ≥ 3 HbA1c (points)")
    plots.french_axis(ax, "both")
    lo = min(0, d["pf_ci_low"].min(), *[y for _, y, _ in refs])
    hi = max(d["pf_ci_high"].max(), *[y for _, y, _ in refs])
    ax.set_ylim(lo - 0.1 * (hi - lo), hi + 0.25 * (hi - lo))
    ax.set_xlim(max(0, x.min() - 12), min(100, x.max() + 12))
    alt = "Graphique en points, effet sur les patients suivis par groupe d'intensité : " + " ; ".join(
        f"intensité {INTENSITY_FR[r['group']]} ({fmt_num(r['intensity_mean'], 0)} % de patients suivis) : "
        f"{plots.ci_label(r['pf_estimate'], r['pf_ci_low'], r['pf_ci_high'])} point" for _, r in d.iterrows()) + "."
    verdict = dose_verdict(a, indicator)
    title = {"up": "L'effet sur le suivi de l'HbA1c des patients suivis croît avec la part de patients suivis",
             "differs": "L'effet sur le suivi de l'HbA1c des patients suivis diffère selon l'intensité"}.get(
        verdict, "Effet sur le suivi de l'HbA1c des patients suivis selon l'intensité de la coopération")
    test = a.dose_test.set_index("outcome")
    note = ("effet en intention de traiter de chaque groupe divisé par la hausse de la part de ses patients suivis ; "
            + (f"test d'égalité entre groupes : p {fmt_p(test.loc[indicator, 'p_value'], style='eq')}."
               if indicator in test.index else "pas de test d'égalité."))
    return plots.figure(fig, title=title, alt=alt, champ=champ(a), source=source(kind), name="asalee_dose",
                        note=note)


def table_honest(a: AsaleeResult, kind: str) -> plots.Table:
    if a.honest is None:
        return _unavailable(a, kind, "Sensibilité aux tendances : non disponible",
                            "Pas de période avant l'entrée : sensibilité non calculable")
    g = a.honest.grid
    trend = "Écart de tendance permis (multiple de l'écart d'avant l'entrée)"
    out = pd.DataFrame({trend: g["M"], "Intervalle robuste : borne basse (points)": g["ci_low"],
                        "Intervalle robuste : borne haute (points)": g["ci_high"],
                        "Exclut zéro": g["significant"].astype(bool)})
    bd = a.honest.breakdown
    title = ("HbA1c : l'effet résiste tant que l'écart de tendance après l'entrée ne dépasse pas "
             f"{fmt_num(bd, 2)} fois le plus grand écart observé avant" if bd is not None and bd > 0 else
             "HbA1c : sensibilité de l'effet à un écart de tendances parallèles")
    return plots.table(out, title=title, champ=champ(a), source=source(kind), decimals={trend: 2},
                       name="asalee_honestdid", lecture=honest_reading(g, "points", 1, "l'adhésion"),
                       note=("effet moyen sur les années depuis l'entrée (e ≥ 0), intention de traiter ; "
                             "écart de tendance permis (M̄ dans la méthode HonestDiD de Rambachan et Roth) : "
                             "rapport entre la violation permise après l'entrée et la plus grande observée "
                             f"avant ; méthode : {a.honest.method_fr}."))


def table_robustness(a: AsaleeResult, kind: str) -> plots.Table:
    t = a.robustness
    labels = {"naive": f"Comparaison naïve en {a.years[-1]} (patients des médecins Asalée − témoins)",
              "reference": "Par vague d'entrée, témoins jamais entrés, pondéré par patient (référence)",
              "other_weights": "Par vague d'entrée, chaque médecin compte pour un" if a.weights == "patients" else
              "Par vague d'entrée, pondéré par patient",
              "twfe": "Comparaison classique (effets fixes médecin et année), chaque médecin compte pour un",
              "not_yet_treated": "Par vague d'entrée, témoins : médecins pas encore entrés"}
    out = pd.DataFrame({"Spécification": t["key"].map(labels), "Effet HbA1c (points)": t["estimate"],
                        "IC 95 % bas": t["ci_low"], "IC 95 % haut": t["ci_high"]})
    did = t[t["key"] != "naive"]
    naive = t[t["key"] == "naive"]
    ref = did.iloc[0] if len(did) else None
    agree = ref is not None and bool(((did["estimate"] >= ref["ci_low"]) & (did["estimate"] <= ref["ci_high"])).all())
    apart = ref is not None and len(naive) and not (ref["ci_low"] <= naive["estimate"].iloc[0] <= ref["ci_high"])
    title = ("La comparaison naïve s'écarte des doubles différences, qui concordent entre elles"
             if agree and apart else "HbA1c : comparaison naïve et variantes de la double différence")
    return plots.table(out, title=title, champ=champ(a), source=source(kind), name="asalee_robustesse",
                       note="comparaison naïve : écart de niveau la dernière année, sans tenir compte de l'écart "
                            "qui existait avant l'entrée ; « par vague d'entrée » : estimateur de Callaway et "
                            "Sant'Anna (intention de traiter) ; comparaison classique : régression à effets fixes "
                            "(TWFE).")


def table_published(a: AsaleeResult, kind: str) -> plots.Table:
    """Published vs reproduced (per-protocol compared with per-protocol, ITT with ITT)."""
    synthetic = kind == "synthetic"
    rows = []
    y0, y1 = a.years[0], a.years[-1]
    pp = a.pp_2x2
    pub = {k: v[0] for k, v in PUBLISHED.items()}
    if pp is not None:
        gap = pp["pre_t"] - pp["pre_c"]
        pub_gap = pub["pp_2010_asalee"] - pub["pp_2010_control"]
        rows.append(("Per-protocole, HbA1c : niveaux en 2010, suivis vs témoins (%)",
                     f"{fmt_num(pub['pp_2010_asalee'], 1)} vs {fmt_num(pub['pp_2010_control'], 1)} "
                     f"(écart {fmt_num(pub_gap, 1)})",
                     f"{fmt_num(pp['pre_t'], 1)} vs {fmt_num(pp['pre_c'], 1)} (écart {fmt_num(gap, 1)}, {y0})",
                     "écart de départ calibré ; niveaux calés sur les taux nationaux, pas sur l'échantillon "
                     "apparié de l'Irdes" if synthetic else "écart de départ : sélection des patients suivis"))
        rows.append(("Per-protocole, HbA1c : niveaux en 2017, suivis vs témoins (%)",
                     f"{fmt_num(pub['pp_2017_asalee'], 1)} vs {fmt_num(pub['pp_2017_control'], 1)}",
                     f"{fmt_num(pp['post_t'], 1)} vs {fmt_num(pp['post_c'], 1)} ({y1})",
                     "niveaux non comparables (populations différentes) ; seule la double différence l'est"
                     if synthetic else "comparaison directe des niveaux"))
        covered = pp["ci_low"] <= pub["pp_did"] <= pp["ci_high"]
        rows.append(("Per-protocole, HbA1c : double différence 2010–2017 (points)",
                     fmt_num(pub["pp_did"], 1, sign=True),
                     f"{fmt_num(pp['estimate'], 1, sign=True)} {fmt_ci(pp['ci_low'], pp['ci_high'])}",
                     ("effet planté = valeur publiée ; l'IC la contient" if covered else
                      "effet planté = valeur publiée ; l'IC ne la contient pas") if synthetic else
                     ("IC compatible avec la valeur publiée" if covered else "différent de la valeur publiée")))
    ppc = a.per_protocol[a.per_protocol["outcome"] == "hba1c_3plus"]
    if len(ppc):
        r = ppc.iloc[0]
        rows.append(("Per-protocole, HbA1c : DiD échelonnée, moyenne des années suivies (points)", "non publié",
                     f"{fmt_num(r['estimate'], 1, sign=True)} {fmt_ci(r['ci_low'], r['ci_high'])}",
                     "autre quantité que la ligne précédente : moyenne des effets de toutes les années suivant "
                     "l'entrée, chaque cohorte comparée à l'année précédant son entrée (méthode de cette page), non "
                     f"l'écart {y0}–{y1} du plan publié"))
    itt = a.itt.set_index("outcome")
    if "hba1c_3plus" in itt.index:
        r = itt.loc["hba1c_3plus"]
        smaller = len(ppc) and r["estimate"] < ppc.iloc[0]["estimate"]
        rows.append(("Intention de traiter, HbA1c (points)", "positif, significatif, plus faible qu'en "
                     "per-protocole (valeur non reprise dans les synthèses)",
                     f"{fmt_num(r['estimate'], 1, sign=True)} {fmt_ci(r['ci_low'], r['ci_high'])}",
                     ("même conclusion : " if (r["ci_low"] > 0 and smaller) else "conclusion différente : ")
                     + ("positif et significatif" if r["ci_low"] > 0 else "non significatif")
                     + (", plus faible qu'en per-protocole" if smaller else "")))
    dh = a.dose[(a.dose["outcome"] == "hba1c_3plus") & a.dose["pf_estimate"].notna()].sort_values("intensity_mean")
    if len(dh) >= 2:
        lo, hi = dh.iloc[0], dh.iloc[-1]
        verdict = dose_verdict(a, "hba1c_3plus")
        rows.append(("Intensité de la coopération, HbA1c : effet sur les patients suivis (points)",
                     "effet plus grand quand la coopération est plus intense",
                     f"{fmt_num(lo['pf_estimate'], 1, sign=True)} (faible) → "
                     f"{fmt_num(hi['pf_estimate'], 1, sign=True)} (forte)",
                     {"up": "même sens, écart significatif",
                      "differs": "écart significatif, mais l'effet ne croît pas régulièrement"}.get(
                         verdict, "écart entre groupes non significatif")))
    s = a.pp_counts
    rows.append(("Échantillon", f"{fmt_int(pub['n_gps_asalee'])} médecins Asalée, {fmt_int(pub['n_gps_control'])} "
                 f"témoins ; {fmt_int(pub['n_patients_pp'])} patients suivis ; "
                 f"{fmt_int(pub['n_patients_itt'])} diabétiques en intention de traiter",
                 f"{fmt_int(a.settings['n_gps_asalee'])} médecins Asalée, "
                 f"{fmt_int(a.settings['n_gps_control'])} témoins ; "
                 f"{fmt_int(s.get('patients_followed', 0))} patients suivis (cohorte fermée) ; "
                 f"{fmt_int(a.settings['n_patients'])} diabétiques",
                 "tailles calées sur l'étude publiée" if synthetic else "tailles de l'extraction"))
    t = pd.DataFrame(rows, columns=["Résultat", "Publié (QES n°264)", "Reproduit (cette page)", "Lecture"])
    return plots.table(t, title="Publié et reproduit : le per-protocole se compare au per-protocole, "
                                "l'intention de traiter à l'intention de traiter",
                       champ=champ(a), source="Irdes (QES n°264, graphique du mois de décembre 2021) ; "
                       + source(kind), name="asalee_publie_reproduit")


def figure_agreement(a: AsaleeResult, kind: str, indicator: str = "hba1c_3plus") -> plots.Figure | plots.Table:
    """Compact forest plot of the estimator agreement panel of one indicator
    (:func:`evalkit.studies.agreement.figure`)."""
    return agreement.figure(a.agreement.get(indicator), outcome_fr=LABELS.get(indicator, indicator),
                            xlabel="Effet en points de pourcentage (intention de traiter, IC à 95 %)", champ=champ(a),
                            source=source(kind), name=f"asalee_accord_{indicator}", alt_unit=" point")
