"""The estimator agreement panel in the chapters: French labels, the computed sentence and the compact figure.

Shared by the three study packages (each fits the panel once per outcome in its ``analyse`` with
:func:`evalkit.estimators.agreement.agreement` and keeps the :class:`~evalkit.estimators.agreement.AgreementResult`
on its frozen result); this module only writes French and draws, from those results.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from .. import plots
from ..estimators.agreement import HEADLINE, ROBUST, AgreementResult
from ..fr import fmt_list, fmt_num

#: Plain French names of the estimators (figure rows and sentences).
LABELS_FR = {
    HEADLINE: "Callaway et Sant'Anna (estimation retenue)",
    "sun_abraham": "Sun et Abraham",
    "imputation_bjs": "Borusyak, Jaravel et Spiess (imputation)",
    "two_stage_gardner": "Gardner (double différence en deux étapes)",
    "dcdh": "de Chaisemartin et D'Haultfœuille",
    "wooldridge_etwfe": "Wooldridge (effets fixes étendus)",
    "twfe": "Comparaison classique (effets fixes unité et année)",
}
_SHORT = {k: v.split(" (")[0] for k, v in LABELS_FR.items()} | {"twfe": "Le TWFE statique"}
_WORDS = {1: "un", 2: "deux", 3: "trois", 4: "quatre", 5: "cinq", 6: "six", 7: "sept", 8: "huit", 9: "neuf"}
K = 2.0  #: threshold, in standard errors of the headline estimate


def _n_words(n: int) -> str:
    return _WORDS.get(n, fmt_num(n, 0))


def sentence(panels: Mapping[str, AgreementResult], names: Mapping[str, str], k: float = K,
             scope: str | None = None, caveat: str | None = None) -> str:
    """One or two French sentences: which estimator lies more than ``k`` SEs (of the headline) from the headline, for
    which outcome, or that they all agree; then the static TWFE; then what could not be estimated.

    ``panels``: {outcome: panel}; ``names``: {outcome: French name with its article, e.g. « la file active »};
    ``scope``: what the outcomes are together (« chacun des six indicateurs »), by default the list of their names;
    ``caveat``: a sentence added when a robust estimator is flagged (e.g. that the panel's estimators do not use the
    headline's covariates).
    """
    panels = {o: p for o, p in panels.items() if p.headline is not None and np.isfinite(p.headline.std_error)}
    if not panels:
        return "Les estimateurs de comparaison n'ont pas pu être calculés."
    gaps: dict[str, list[tuple[str, float]]] = {}
    twfe_off: list[str] = []
    failed: dict[str, list[str]] = {}
    skipped: dict[str, list[str]] = {}
    ok_robust: set[str] = set()
    for o, p in panels.items():
        for name, gap in p.flagged(k).items():
            if name == "twfe":
                twfe_off.append(names[o])
            else:
                gaps.setdefault(name, []).append((names[o], gap))
        for name in p.failed:
            failed.setdefault(name, []).append(names[o])
        for name in p.skipped:
            skipped.setdefault(name, []).append(names[o])
        ok_robust |= {f.name for f in p.fits if f.ok and f.name in ROBUST}
    if scope is None or len(panels) == 1:
        scope = fmt_list(names[o] for o in panels)
    kk = _n_words(int(k)) if float(k).is_integer() else fmt_num(k, 1)
    robust = [e for e in ROBUST if e in ok_robust]
    if not gaps:
        out = (f"Pour {scope}, les {_n_words(len(robust))} estimateurs robustes à l'hétérogénéité des effets "
               f"({' ; '.join(_SHORT[e] for e in robust)}) donnent un effet moyen à moins de {kk} erreurs-types de "
               "l'estimation retenue : l'effet estimé ne tient pas au choix de l'estimateur.")
    else:
        parts = []
        for e in ROBUST:
            if e in gaps:
                where = fmt_list(f"{n} ({fmt_num(g, 1, sign=True)} erreurs-types)" for n, g in gaps[e])
                parts.append(f"{_SHORT[e]} pour {where}")
        out = f"S'écartent de l'estimation retenue de plus de {kk} fois son erreur-type : {' ; '.join(parts)}."
        n_ok = sum(1 for p in panels.values() for f in p.fits if f.ok and f.name in ROBUST)
        if n_ok > sum(len(v) for v in gaps.values()):
            out += " Les autres estimations robustes à l'hétérogénéité des effets en restent plus proches."
        if caveat:
            out += " " + caveat
    if "twfe" not in failed:
        out += (f" Le TWFE statique s'en écarte de plus de {kk} erreurs-types pour {fmt_list(twfe_off)}."
                if twfe_off else f" Le TWFE statique en est lui aussi à moins de {kk} erreurs-types.")
    for e, where in failed.items():
        out += f" {_SHORT[e]} n'a pas pu être calculé pour {fmt_list(where)}."
    if skipped:
        out += " " + skipped_sentence([e for e in ROBUST if e in skipped],
                                      max(p.n_units for p in panels.values()))
    return out


def glue(key: str, panels: Mapping[str, AgreementResult], names: Mapping[str, str], **kw) -> dict[str, str]:
    """``{key: sentence}``: the study's glued agreement sentence (:func:`sentence`, ``kw`` passed on), or that the
    panel was not computed (``panels`` empty: the study's ``analyse`` was asked to skip it)."""
    if not panels:
        return {key: "Le panel des estimateurs de comparaison n'a pas été calculé."}
    return {key: sentence(panels, names, **kw)}


def skipped_sentence(estimators, n_units: int) -> str:
    """Why ``estimators`` (among :data:`~evalkit.estimators.agreement.COSTLY`) were not computed on a panel of
    ``n_units`` units (more than :data:`~evalkit.estimators.agreement.MAX_UNITS`), and how to get them."""
    est = list(estimators)
    name = {"dcdh": "de Chaisemartin-D'Haultfœuille"}
    nm = [name.get(e, _SHORT[e]) for e in est]
    size = f"sur un échantillon de cette taille ({fmt_num(n_units, 0)} unités), pour abréger l'exécution"
    quad = [n for e, n in zip(est, nm) if e != "wooldridge_etwfe"]
    square = "le temps de calcul croît avec le carré du nombre d'unités"
    cells = "estime un coefficient par cellule cohorte × année"
    if len(est) == 1:
        of = "" if nm[0].startswith("de ") else "de "
        why = f"il {cells}" if est[0] == "wooldridge_etwfe" else f"son {square[3:]}"
        return (f"L'estimateur {of}{nm[0]} n'est pas calculé {size} : {why}. L'option `--full-panel` d'`evalkit run` "
                "le calcule.")
    parts = ([f"{fmt_list(quad)}, dont {square}"] if quad else []) + \
        (["Wooldridge, qui " + cells] if "wooldridge_etwfe" in est else [])
    return (f"{_n_words(len(est)).capitalize()} estimateurs ne sont pas calculés {size} : {', et '.join(parts)}. "
            "L'option `--full-panel` d'`evalkit run` les calcule.")


def figure(panel: AgreementResult | None, *, outcome_fr: str, xlabel: str, champ: str, source: str, name: str,
           decimals: int = 1, alt_unit: str = "", k: float = K) -> plots.Figure | plots.Table:
    """Compact forest plot of one outcome's panel: one line per estimator, a dashed line at the headline estimate
    (the chapters' « Encadré — Méthode »); a one-cell table when the panel was not computed (``panel`` None).

    The title states the finding for this outcome (computed: agreement within ``k`` headline SEs or not).
    """
    if panel is None:
        return plots.table(pd.DataFrame({"": ["Panel des estimateurs non calculé."]}), title="Accord des estimateurs",
                           champ=champ, source=source)
    tab = panel.table()  # the headline first; estimators that failed left out
    tab = tab[tab["status"] == "ok"].reset_index(drop=True)
    tab = tab.assign(key=tab["estimator"], label=tab["estimator"].map(LABELS_FR))[
        ["key", "label", "estimate", "ci_low", "ci_high", "std_error", "gap_se"]]
    flagged = [e for e in panel.flagged(k) if e != "twfe"]
    kk = _n_words(int(k)) if float(k).is_integer() else fmt_num(k, 1)
    cap = outcome_fr[0].upper() + outcome_fr[1:]
    if not flagged:
        title = f"{cap} : les estimateurs robustes restent à moins de {kk} erreurs-types de l'estimation retenue"
    else:
        title = (f"{cap} : {_n_words(len(flagged))} estimateur{'s' if len(flagged) > 1 else ''} à plus de {kk} "
                 "erreurs-types de l'estimation retenue")
    colors = [plots.TREATED if kk_ == HEADLINE else (plots.CONTROL if kk_ == "twfe" else plots.NEUTRAL)
              for kk_ in tab["key"]]
    h = panel.headline
    note = ("Même échantillon pour tous les estimateurs ; intervalles de confiance à 95 %. La comparaison "
            "classique (régression à effets fixes, TWFE statique) est biaisée quand l'effet varie avec l'ancienneté "
            "dans le dispositif ; les autres lignes portent le nom des auteurs de chaque estimateur robuste.")
    return plots.forest(tab, xlabel=xlabel, title=title, champ=champ, source=source, name=name, reference=None,
                        decimals=decimals, alt_unit=alt_unit, colors=colors,
                        truth=None if h is None else h.estimate, truth_label="estimation retenue", note=note)


__all__ = ["K", "LABELS_FR", "figure", "glue", "sentence", "skipped_sentence"]
