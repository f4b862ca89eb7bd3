"""The answers of the book, read from what the study chapters recorded (« L'essentiel », English summary, annex).

The summary pages never compute an analysis: each study chapter computes once and records its rows
(``<results_dir>/<study>.csv``), the tables other pages reuse (``<study>.published.tsv``, see
:func:`chapter_tables`) and the fingerprint of the data they came from (``<study>.fingerprint``: evalkit version,
data kind, seed, file SHA-256; :func:`evalkit.results.data_fingerprint`). jupyter-book executes the notebooks in
sorted docname order and every summary page sorts after every study chapter (:data:`evalkit.registry.SUMMARY_PAGES`,
checked by the tests), so in a build the rows are there. When they are not — a chapter that did not run or failed,
rows recorded on other data — :func:`status` says so and the pages print it (:func:`show_status`) instead of computing:
the numbers on the summary pages are always those of ``estimates.csv``.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from typing import Callable, Literal

import pandas as pd

from . import io, paths, registry, results
from .fr import fmt_ci, fmt_eur, fmt_list, fmt_num, fmt_pct

State = Literal["ok", "absent", "not_recorded", "stale"]


# --- what the chapters recorded --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Recorded:
    """What a study chapter recorded for the current data.

    ``state``: ``ok`` (rows recorded on these data), ``absent`` (no data file: the chapter is left out of the book),
    ``not_recorded`` (the chapter has not recorded rows: not run yet, or failed) or ``stale`` (rows recorded on other
    data, another seed or another evalkit version). ``rows`` is set only when ``ok``.
    """

    study: str
    state: State
    rows: pd.DataFrame | None = None


def chapter_tables(analysis) -> dict[str, pd.DataFrame]:
    """The tables a study chapter records for the summary pages (its published-vs-reproduced table)."""
    return {"published": analysis.table_published().df}


def _stat(path) -> tuple | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


#: status() results keyed by everything they depend on (settings, data file and recorded files as stat'ed): a page
#: asks several times, and hashing a national-size data file each time would cost seconds.
_CACHE: dict[tuple, Recorded] = {}


def status(study: str) -> Recorded:
    """What ``study``'s chapter recorded for the current data (never computes)."""
    data = io.find_file(study, paths.data_dir())
    if data is None:
        return Recorded(study, "absent")
    target = paths.results_dir() / f"{study}.csv"
    side = target.with_suffix(".fingerprint")
    key = (study, str(data), _stat(data), str(target), _stat(target), _stat(side), paths.data_kind(), paths.seed())
    if key not in _CACHE:
        if not target.exists():
            rec = Recorded(study, "not_recorded")
        elif not side.exists() or side.read_text() != results.data_fingerprint(study):
            rec = Recorded(study, "stale")
        else:
            rec = Recorded(study, "ok", results.to_frame(pd.read_csv(target, dtype={"subgroup": str})))
        _CACHE[key] = rec
    return _CACHE[key]


def statuses() -> list[Recorded]:
    """:func:`status` of every registered study, in the book's order."""
    return [status(s) for s in registry.names()]


def study_rows(study: str) -> pd.DataFrame | None:
    """Results rows ``study``'s chapter recorded for the current data, or None (see :func:`status` for why)."""
    return status(study).rows


def study_table(study: str, name: str) -> pd.DataFrame | None:
    """A table ``study``'s chapter recorded (``published``…) for the current data, or None."""
    if status(study).state != "ok":
        return None
    path = paths.results_dir() / f"{study}.{name}.tsv"
    return pd.read_csv(path, sep="\t", keep_default_na=False) if path.exists() else None


def all_rows() -> dict[str, pd.DataFrame]:
    """Recorded rows of every study whose chapter recorded them for the current data."""
    return {r.study: r.rows for r in statuses() if r.state == "ok"}


def missing_studies() -> list[str]:
    """Studies whose data file is absent (their chapters are left out of the book)."""
    return [r.study for r in statuses() if r.state == "absent"]


def unavailable_studies() -> list[Recorded]:
    """Studies whose data are present but whose chapter's rows are missing or stale."""
    return [r for r in statuses() if r.state in ("not_recorded", "stale")]


# --- what is known: the published evaluations ------------------------------------------------------------------

def _published_module(study: str, filename: str):
    """A study's published-figures module (``studies/<study>/<filename>``), loaded from its file: importing it as
    ``evalkit.studies.<study>.…`` would import the study's analysis, which the summary pages never do. These modules
    hold typed, sourced facts and import nothing from evalkit."""
    import importlib.util
    import sys
    from pathlib import Path

    name = f"evalkit._published_{study}"
    if name not in sys.modules:
        path = Path(__file__).resolve().parent / "studies" / study / filename
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        sys.modules[name] = mod
    return sys.modules[name]


@dataclass(frozen=True)
class Known:
    """What a published evaluation found, with its source (cited facts, never the book's estimates)."""

    study: str
    title_fr: str
    text_fr: str
    source: str
    title_en: str
    text_en: str


def _known_msp() -> Known:
    pub = _published_module("msp", "published.py").PUBLISHED
    eff, pct, claim = pub["effect_mt"], pub["effect_mt_pct"], pub["naive_claim"]
    sample = pub["sample"]
    return Known(
        "msp", registry.get("msp").title,
        f"Rejoindre une MSP accroît la patientèle « médecin traitant » d'un généraliste d'<strong>environ "
        f"{fmt_num(eff['value'], 0)} patients</strong> (environ {fmt_pct(pct['value'], 0)}) par rapport à des "
        f"médecins comparables ({fmt_num(sample['n_total'], 0)} médecins suivis). Le chiffre de {claim['text']} "
        "est un écart brut de file active (patients vus dans l'année) entre médecins, pas un effet.",
        f"{eff['source']} ; chiffre de « 600 » : {claim['source']}",
        registry.get("msp").title_en,
        f"Joining an MSP raises a GP's registered patient list by about {fmt_num(eff['value'], 0, sign=True)} "
        f"patients (about {fmt_num(pct['value'], 0, sign=True)}%) compared with similar GPs outside MSPs (Irdes). "
        f"The figure of {fmt_num(claim['value'], 0)} patients quoted in institutional communication is a raw gap "
        "between GPs in the number of patients seen in a year, not an effect.")


def _known_asalee() -> Known:
    pub = _published_module("asalee", "published.py").PUBLISHED
    did, src = pub["pp_did"]
    return Known(
        "asalee", "Asalée : coopération médecin–infirmière",
        f"Pour les diabétiques suivis par l'infirmière, la part ayant au moins trois dosages d'HbA1c dans l'année "
        f"a progressé de <strong>{fmt_num(did, 1, sign=True)} points</strong> de plus que chez des patients "
        "comparables (un indicateur de suivi, pas d'état de santé).",
        src,
        registry.get("asalee").title_en,
        f"For diabetic patients followed by an Asalée nurse, the share with at least three HbA1c tests a year rose "
        f"by {fmt_num(did, 1, sign=True).replace(',', '.')} percentage points more than among comparable patients "
        "(per protocol; process indicators, not health outcomes).")


def _known_assistants() -> Known:
    pub = _published_module("assistants", "policy.py").PUBLISHED
    up, ctrl = pub["mt_change_48m"], pub["mt_change_48m_ctrl"]
    return Known(
        "assistants", registry.get("assistants").title,
        "<strong>Aucune évaluation contrefactuelle publiée.</strong> Avant/après publié : "
        f"{fmt_pct(up, 1, sign=True)} de patientèle « médecin traitant » en 48 mois pour les premiers signataires, "
        f"{fmt_pct(ctrl, 1, sign=True)} pour les médecins sans assistant ; la part due au contrat n'a pas été "
        "estimée.",
        "Assurance maladie, bilan à 4 ans du dispositif, décembre 2024",
        registry.get("assistants").title_en,
        "No counterfactual evaluation has been published. The Assurance maladie reports a before/after change of "
        f"{fmt_num(up, 1, sign=True).replace(',', '.')}% in the registered patient lists of the first signatories "
        f"over 48 months, against {fmt_num(ctrl, 1, sign=True).replace(',', '.')}% for GPs without an assistant.")


_KNOWN: dict[str, Callable[[], Known]] = {"msp": _known_msp, "asalee": _known_asalee,
                                          "assistants": _known_assistants}


def known() -> list[Known]:
    """What the published evaluations found, for the studies that have such a summary (in the book's order)."""
    return [_KNOWN[s]() for s in registry.names() if s in _KNOWN]


def known_block() -> "_HTML":
    """« Ce que l'on sait » : the published results, each with its source (the same in both modes)."""
    items = "".join(f"<div class='ek-known'><p><strong>{k.title_fr}.</strong> {k.text_fr}</p>"
                    f"<p class='ek-caption'>Source : {html.escape(k.source)}</p></div>" for k in known())
    return _HTML(f"<div class='ek-known-list'>{items}</div>",
                 "\n".join(f"{k.title_fr} : {k.source}" for k in known()))


# --- « Chiffres clés » : each claim in circulation, set against the attributable estimate ----------------------

@dataclass(frozen=True)
class KeyLine:
    """One claim in one line: what was announced (with its source) → what the book attributes to the reform (its
    estimate with the 95 % CI, read from a results row) → where that estimate comes from. ``numbers``: the values the
    line prints (for tests)."""

    study: str
    label: str
    announced: str
    attributable: str
    estimate_source: str
    numbers: dict

    def html(self) -> str:
        return (f"<p class='ek-keyline'><strong>{self.label}.</strong> <em>Annoncé :</em> {self.announced} "
                f"→ <em>attribuable :</em> {self.attributable} → <em>source de l'estimation :</em> "
                f"{self.estimate_source}.</p>")

    def text(self) -> str:
        return (f"{self.label}. Annoncé : {self.announced} → attribuable : {self.attributable} → source de "
                f"l'estimation : {self.estimate_source}.")


def _on_data(kind: str) -> str:
    """Where the attributable figure was computed, said in the line itself."""
    return ("démonstration de méthode sur les données synthétiques du livre, non un résultat sur la réforme"
            if _demo(kind) else "sur les données fournies par l'utilisateur")


def _key_msp(rows: pd.DataFrame | None, kind: str) -> KeyLine:
    """The « 600 patients » claim: a raw gap in file active (published.py), set against the effect on the file
    active (the headline row ``file_active`` / ``patients`` / ``cs_simple``) and the published Irdes effect."""
    pub = _published_module("msp", "published.py").PUBLISHED
    claim, eff = pub["naive_claim"], pub["effect_fa"]
    h = None if rows is None else _head(rows, claim["measure"], "patients")
    if h is None or pd.isna(h.estimate):
        att, numbers = "non estimé sur ces données", {}
    else:
        att = f"{fmt_num(h.estimate, 0, sign=True)} patients de file active ({_ci_fr(h, 0)}), {_on_data(kind)}"
        numbers = _numbers(h, "estimate")
    att += f" ; effet publié : {eff['text']} ({eff['source']})"
    return KeyLine(
        "msp", "« 600 patients » (maisons de santé)",
        f"{claim['text']} pour un médecin en MSP par rapport à un médecin isolé ({claim['source']}), un écart brut "
        "de file active (patients vus dans l'année)",
        att,
        "effet moyen de l'entrée en MSP sur la file active, double différence de Callaway et Sant'Anna, chapitre "
        "« Maisons de santé pluriprofessionnelles »", numbers)


def _key_assistants(rows: pd.DataFrame | None, kind: str) -> KeyLine:
    """The « 500 000 patients » claim, in its two readings (the contracts signed when it was made, and the 2022
    target), set against the national projection rows (``national_projection`` / ``date=…``)."""
    pol = _published_module("assistants", "policy.py")
    gp = pol.CONTRACTS.set_index("date")["gp_contracts"]
    parts, numbers = [], {}
    for reading, n_all, what in (("signed", pol.CLAIM_CONTRACTS, "signés en janvier 2022"),
                                 ("target", pol.CLAIM_TARGET_CONTRACTS, "visés pour 2022")):
        date = pol.CLAIM_READINGS[reading]
        p = None if rows is None else _row_of(rows, "national_projection", f"date={date}")
        if p is None:
            continue
        numbers[reading] = _numbers(p, "estimate")
        parts.append(f"{fmt_num(round(p.estimate, -3), 0)} patients "
                     f"{fmt_ci(round(p.ci_low, -3), round(p.ci_high, -3), 0)} pour les {fmt_num(gp[date], 0)} "
                     f"contrats de généralistes parmi les {fmt_num(n_all, 0)} {what}")
    if parts:
        att = (fmt_list(parts) + " (intervalles de confiance à 95 % entre crochets ; chaque contrat supposé arrivé "
               "à maturité), " + _on_data(kind)
               + (" (aucune évaluation contrefactuelle publiée)" if _demo(kind) else ""))
    else:
        att = "non estimé sur ces données (aucune évaluation contrefactuelle publiée)"
    return KeyLine(
        "assistants", f"« {fmt_num(pol.CLAIM_PATIENTS, 0)} patients » (assistants médicaux)",
        f"« {fmt_num(pol.CLAIM_PATIENTS, 0)} patients qui trouvent un médecin traitant » ({pol.CLAIM_SOURCE}), si "
        "les objectifs des contrats sont atteints",
        att,
        "contrats de généralistes × gain de patientèle médecin traitant par contrat, estimé par double différence de "
        "Callaway et Sant'Anna à l'ancienneté de la projection, chapitre « Assistants médicaux »", numbers)


_KEY_LINES: dict[str, Callable[[pd.DataFrame | None, str], KeyLine]] = {"msp": _key_msp,
                                                                      "assistants": _key_assistants}


def key_lines(rows: dict[str, pd.DataFrame] | None = None, kind: str | None = None) -> list[KeyLine]:
    """The « Chiffres clés » lines (one per claim, in the book's order) for the studies whose data are present.
    ``rows``: results rows by study (default: what the chapters recorded, :func:`all_rows`); a study chapter passes
    its own rows (the ones it records), so that the line reads the same on the chapter and on the home page."""
    kind = kind or paths.data_kind()
    if rows is None:
        rows = all_rows()
        present = [s for s in registry.names() if s not in missing_studies()]
    else:
        present = list(rows)
    return [_KEY_LINES[s](rows.get(s), kind) for s in registry.names() if s in _KEY_LINES and s in present]


def key_figures_box(study: str | None = None, rows: pd.DataFrame | None = None, kind: str | None = None):
    """The « Chiffres clés » box (same look and same lines on every page): on the home page every claim, from the
    recorded rows; in a study chapter (``study``, ``rows`` = the rows the chapter records) that study's claim."""
    lines = key_lines(None if study is None else {study: rows}, kind)
    if not lines:
        return None
    body = "".join(x.html() for x in lines)
    return _HTML(f"<div class='admonition important ek-keyfigures'><p class='admonition-title'>Chiffres clés : "
                 f"annoncé, attribuable</p>{body}</div>", "\n".join(x.text() for x in lines))


# --- the answers -----------------------------------------------------------------------------------------------

def _head(rows: pd.DataFrame, outcome: str, unit: str) -> pd.Series | None:
    sel = rows[(rows.outcome == outcome) & (rows.unit == unit) & rows.headline]
    return sel.iloc[0] if len(sel) == 1 else None


def _row_of(rows: pd.DataFrame, outcome: str, subgroup: str = "all", **equal) -> pd.Series | None:
    """The row of ``outcome`` and ``subgroup`` with an estimate whose other columns are ``equal`` (None unless one)."""
    sel = rows[(rows.outcome == outcome) & (rows.subgroup.astype(str) == subgroup) & rows.estimate.notna()]
    for col, value in equal.items():
        sel = sel[sel[col] == value]
    return sel.iloc[0] if len(sel) == 1 else None


@dataclass
class Answer:
    """One study's answer, in French and English, with the numbers it quotes (for tests)."""

    study: str
    title_fr: str
    text_fr: str
    title_en: str
    text_en: str
    numbers: dict

    def _repr_html_(self) -> str:
        return f"<div class='ek-answer'><p><strong>{self.title_fr}.</strong> {self.text_fr}</p></div>"


def _en(x: float, d: int = 1, sign: bool = False) -> str:
    return f"{x:+,.{d}f}" if sign else f"{x:,.{d}f}"


def _ci_fr(h: pd.Series, d: int) -> str:
    return f"intervalle de confiance à 95 % : {fmt_ci(h.ci_low, h.ci_high, d)}"


def _ci_en(h: pd.Series, d: int) -> str:
    return f"95% CI {_en(h.ci_low, d)} to {_en(h.ci_high, d)}"


def _numbers(h: pd.Series, key: str, **more) -> dict:
    """The numbers a sentence quotes (for tests): ``h``'s estimate under ``key``, its 95 % CI, then ``more``."""
    return {key: h.estimate, "ci_low": h.ci_low, "ci_high": h.ci_high, **more}


def _pct_notes(rows: pd.DataFrame) -> tuple[str, str, float | None]:
    """The effect in percent (headline ``patients_mt`` / ``percent`` row) after the number of patients: French and
    English notes, and its value (``""``, ``""``, None without that row)."""
    pc = _head(rows, "patients_mt", "percent")
    if pc is None:
        return "", "", None
    return f" ({fmt_pct(pc.estimate, 1, sign=True)})", f" ({_en(pc.estimate, 1, sign=True)}%)", pc.estimate


def _sig(h: pd.Series) -> int:
    """+1 / −1 when the 95 % interval excludes zero above / below, 0 otherwise."""
    return 1 if h.ci_low > 0 else (-1 if h.ci_high < 0 else 0)


def _effect_fr(h: pd.Series, what: str, dec: int, unit: str, extra: str = "") -> str:
    """« accroît {what} de <strong>+91 patients</strong> » when the interval excludes zero, otherwise a sentence that
    says the data cannot tell the effect from zero (the verb follows the test, not the sign alone)."""
    num = f"<strong>{fmt_num(h.estimate, dec, sign=True)}{unit}</strong>{extra}"
    s = _sig(h)
    if s > 0:
        return f"accroît {what} de {num}"
    if s < 0:
        return f"réduit {what} (effet de {num})"
    return f"modifie {what} de {num} — un écart que l'incertitude ne permet pas de distinguer de zéro —"


def _effect_en(what: str, p: pd.Series, pct_en: str) -> str:
    """The English sentence of an effect on a GP's registered patient list (user's data)."""
    return (f"Effect of {what} on a GP's registered patient list: <strong>{_en(p.estimate, 0, True)} patients</strong>"
            f"{pct_en} relative to the counterfactual ({_ci_en(p, 0)}).")


def _naive_cmp_fr(naive: pd.Series | None, h: pd.Series, dec: int, unit: str) -> str:
    """How the raw gap compares with the estimated effect, said only as far as their intervals allow."""
    if naive is None:
        return ""
    gap = f"{fmt_num(naive.estimate, dec, sign=True)}{unit}"
    if naive.ci_low > h.ci_high:
        return (f" L'écart brut entre médecins engagés et autres médecins ({gap}) est nettement plus grand : il mêle "
                "l'effet et les différences qui existaient avant l'entrée.")
    if naive.ci_high < h.ci_low:
        return f" L'écart brut entre médecins engagés et autres médecins ({gap}) est plus petit que l'effet estimé."
    return (f" L'écart brut entre médecins engagés et autres médecins ({gap}) ne se distingue pas de l'effet estimé "
            "compte tenu de l'incertitude.")


def _demo(kind: str) -> bool:
    return kind != "user"


def _answer_msp(spec: registry.StudySpec, rows: pd.DataFrame, kind: str) -> Answer | None:
    p = _head(rows, "patients_mt", "patients")
    if p is None:
        return None
    naive = _row_of(rows, "patients_mt", unit="patients", estimator="naive_cross_section")
    pct_fr, pct_en, pct = _pct_notes(rows)
    if _demo(kind):
        text_fr = (
            "<em>Démonstration de méthode.</em> Sur des données synthétiques où l'entrée en MSP a l'effet publié et "
            "où les futurs médecins en MSP suivaient déjà plus de patients, la double différence estime "
            f"<strong>{fmt_num(p.estimate, 0, sign=True)} patients</strong>{pct_fr} ({_ci_fr(p, 0)})"
            + (f", quand l'écart brut entre médecins atteint {fmt_num(naive.estimate, 0, sign=True)} patients"
               if naive is not None else "")
            + ". Le chapitre montre comment séparer l'effet de la sélection à l'entrée.")
        text_en = (f"Method demonstration on synthetic data: difference-in-differences estimates "
                   f"<strong>{_en(p.estimate, 0, True)} patients</strong>{pct_en} ({_ci_en(p, 0)})"
                   + (f", while the raw gap between GPs is {_en(naive.estimate, 0, True)}" if naive is not None
                      else "") + ".")
    else:
        what = "la patientèle « médecin traitant » d'un généraliste"
        text_fr = (f"Sur ces données, rejoindre une MSP {_effect_fr(p, what, 0, ' patients', pct_fr)} par "
                   f"rapport à ce qu'elle aurait été sans MSP ({_ci_fr(p, 0)})."
                   + _naive_cmp_fr(naive, p, 0, " patients"))
        text_en = _effect_en("joining an MSP", p, pct_en)
    return Answer(spec.name, spec.title, text_fr, spec.title_en, text_en, _numbers(p, "patients", percent=pct))


def _answer_asalee(spec: registry.StudySpec, rows: pd.DataFrame, kind: str) -> Answer | None:
    h = _head(rows, "hba1c_3plus", "pp")
    if h is None:
        return None
    pp = _row_of(rows, "hba1c_3plus", unit="pp", estimator="cs_simple_per_protocol")
    wald = _row_of(rows, "hba1c_3plus", unit="pp", estimator="wald_did")
    # the effect on followed patients is the Wald DiD (ITT ÷ first stage); the per-protocol comparison, exposed to
    # the selection of the followed patients, is quoted only when the Wald DiD could not be estimated
    if wald is not None:
        pp_fr = (f" ; pour les patients que l'infirmière suit (intention de traiter rapportée à la hausse de la part "
                 f"des patients suivis), {fmt_num(wald.estimate, 1, sign=True)} points "
                 f"({fmt_ci(wald.ci_low, wald.ci_high, 1)})")
    elif pp is not None:
        pp_fr = (f" ; en comparant les seuls patients suivis par l'infirmière à ceux des médecins témoins "
                 f"(comparaison per-protocole, exposée à la sélection de ces patients), "
                 f"{fmt_num(pp.estimate, 1, sign=True)} points ({fmt_ci(pp.ci_low, pp.ci_high, 1)})")
    else:
        pp_fr = ""
    if _demo(kind):
        text_fr = (
            "<em>Démonstration de méthode.</em> Sur des données synthétiques calibrées sur l'évaluation de l'Irdes, "
            "la double différence estime l'effet sur tous les diabétiques des médecins engagés (intention de "
            f"traiter) : <strong>{fmt_num(h.estimate, 1, sign=True)} points</strong> ({_ci_fr(h, 1)}){pp_fr}. Le "
            "chapitre montre pourquoi l'effet sur l'ensemble des patients du médecin ne se compare pas à l'effet "
            "publié sur les seuls patients suivis.")
        text_en = (f"Method demonstration on synthetic data: intention-to-treat effect "
                   f"<strong>{_en(h.estimate, 1, True)} percentage points</strong> ({_ci_en(h, 1)}).")
    else:
        text_fr = (
            "Sur ces données, chez les patients diabétiques des médecins engagés dans Asalée, l'entrée du médecin "
            + _effect_fr(h, "la part de patients ayant au moins trois dosages d'HbA1c dans l'année", 1, " points")
            + f" ({_ci_fr(h, 1)}), en intention de traiter, c'est-à-dire que l'infirmière les suive ou non{pp_fr}. "
            "Les indicateurs mesurent le suivi, pas l'état de santé.")
        text_en = (f"Among diabetic patients of GPs who joined Asalée, effect on the share with at least three HbA1c "
                   f"tests a year: <strong>{_en(h.estimate, 1, True)} percentage points</strong> ({_ci_en(h, 1)}), "
                   "intention to treat. Process indicators, not health outcomes.")
    return Answer(spec.name, "Asalée : coopération médecin–infirmière", text_fr, spec.title_en, text_en,
                  _numbers(h, "pp"))


def _answer_assistants(spec: registry.StudySpec, rows: pd.DataFrame, kind: str) -> Answer | None:
    p = _head(rows, "patients_mt", "patients")
    c = _head(rows, "cost_per_patient", "eur_per_patient_year")
    if p is None:
        return None
    pct_fr, pct_en, pct = _pct_notes(rows)
    numbers = _numbers(p, "patients", percent=pct, cost=None if c is None else c.estimate)
    if _demo(kind):
        # No counterfactual estimate has been published: every number of the chapter follows from the generator's
        # assumptions, so none is quoted here.
        text_fr = (
            "<em>Démonstration de méthode.</em> Faute d'évaluation publiée, les données synthétiques reposent sur "
            "une hypothèse d'effet : leurs chiffres ne renseignent pas sur le dispositif. Le chapitre montre comment "
            "passer de la hausse avant/après publiée à un gain attribuable au contrat, puis à un coût par patient "
            "gagné et à un ordre de grandeur national — les calculs qu'une évaluation sur données réelles "
            "reprendrait tels quels.")
        text_en = ("Method demonstration only: with no published counterfactual evaluation, the synthetic data rest on "
                   "an assumed effect, so the chapter's numbers say nothing about the scheme; it shows how to go from "
                   "the published before/after change to an effect, a cost per patient gained and a national order "
                   "of magnitude.")
        return Answer(spec.name, spec.title, text_fr, spec.title_en, text_en, numbers)
    cost_fr = cost_en = ""
    if c is not None and _sig(p) > 0:
        cost_fr = (f" Rapportée à l'aide versée, chaque patient supplémentaire coûte à l'Assurance maladie environ "
                   f"<strong>{fmt_eur(c.estimate)} par an</strong> (intervalle : "
                   f"{fmt_ci(c.ci_low, c.ci_high, 0, unit='€')}).")
        cost_en = f" Each extra patient costs about €{_en(c.estimate, 0)} of subsidy a year."
    text_fr = (f"Sur ces données, recruter un assistant médical "
               + _effect_fr(p, "la patientèle « médecin traitant » d'un médecin", 0, " patients", pct_fr)
               + f" par rapport à ce qu'elle aurait été sans assistant ({_ci_fr(p, 0)}).{cost_fr}")
    text_en = _effect_en("hiring a medical assistant", p, pct_en) + cost_en
    return Answer(spec.name, spec.title, text_fr, spec.title_en, text_en, numbers)


def _answer_generic(spec: registry.StudySpec, rows: pd.DataFrame, kind: str = "user") -> Answer | None:
    """A study registered without its own sentences: its first headline row, stated plainly."""
    outcome, unit = spec.headline[0]
    h = _head(rows, outcome, unit)
    if h is None:
        return None
    lead = "<em>Démonstration de méthode sur données synthétiques.</em> " if _demo(kind) else ""
    return Answer(
        spec.name, spec.title,
        f"{lead}Effet estimé sur {html.escape(outcome)} : <strong>{fmt_num(h.estimate, 1, sign=True)}</strong> "
        f"({html.escape(unit)} ; {_ci_fr(h, 1)}).",
        spec.title_en,
        f"Estimated effect on {html.escape(outcome)}: <strong>{_en(h.estimate, 1, True)}</strong> "
        f"({html.escape(unit)}; {_ci_en(h, 1)}).",
        _numbers(h, unit))


#: Studies with their own summary sentences; any other registered study gets :func:`_answer_generic`.
_ANSWERS: dict[str, Callable[[registry.StudySpec, pd.DataFrame, str], Answer | None]] = {
    "msp": _answer_msp, "asalee": _answer_asalee, "assistants": _answer_assistants,
}


def answer(study: str, rows: pd.DataFrame, kind: str | None = None) -> Answer | None:
    """Plain-language answer for ``study`` built from its headline rows (None if they are missing).

    ``kind`` (default :func:`evalkit.paths.data_kind`): on synthetic data the answer is worded as a demonstration of
    method (the numbers are the generator's, not findings); on the user's data it states the estimate, with verbs
    that follow the confidence interval."""
    spec = registry.get(study)
    return _ANSWERS.get(study, _answer_generic)(spec, rows, kind or paths.data_kind())


def answers() -> list[Answer]:
    """Answers of every study whose chapter recorded rows for the current data (in the book's order)."""
    return [a for s, rows in all_rows().items() if (a := answer(s, rows)) is not None]


# --- notes and downloads ---------------------------------------------------------------------------------------

class _HTML:
    def __init__(self, html_: str, text: str):
        self.html, self.text = html_, text

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self.html, "text/plain": self.text}


def _titles(studies) -> str:
    return fmt_list(f"« {registry.get(s).title} »" for s in studies)


def missing_note():
    """A note naming the studies left out because their data are absent (None when all are present)."""
    miss = missing_studies()
    if not miss:
        return None
    names = _titles(miss)
    return _HTML(f"<div class='admonition note'><p>Études non traitées faute de fichier de données : {names}. "
                 "Leurs chapitres sont retirés du livre.</p></div>",
                 f"Études non traitées : {names}")


def unavailable_note():
    """A warning naming the studies whose recorded results are missing or stale (None when there are none).

    The summary pages do not compute analyses: they say which results they cannot show and how to get them.
    """
    todo = unavailable_studies()
    if not todo:
        return None
    why = {"not_recorded": "aucun résultat enregistré pour {} : le chapitre n'a pas été exécuté sur ces données, ou "
                           "il a échoué",
           "stale": "les résultats enregistrés pour {} ont été calculés sur d'autres données (ou avec une autre "
                    "version d'evalkit ou une autre graine)"}
    parts = [text.format(_titles(studies)) for state, text in why.items()
             if (studies := [r.study for r in todo if r.state == state])]
    text = ("Résultats non repris sur cette page : " + " ; ".join(parts) + ". Cette page ne recalcule pas les "
            "analyses : exécuter les chapitres concernés, ou relancer evalkit run, puis cette page.")
    return _HTML(f"<div class='admonition warning'><p>{text}</p></div>", text)


def results_table() -> pd.DataFrame:
    """Every study's recorded rows, in the order and format of ``estimates.csv``."""
    rows = list(all_rows().values())
    return results.to_frame(pd.concat(rows, ignore_index=True) if rows else
                            pd.DataFrame(columns=results.RESULT_COLUMNS))


def download_link():
    """Links to download the results table: its French companion (:func:`evalkit.donnees.french_results`: « ; »,
    decimal comma, French labels) first, the machine-readable ``estimates.csv`` (same rows) second, and the guide's
    dictionary of its columns."""
    from . import donnees, synthese
    from .fr import fmt_int

    rows = results_table()
    fr_b64 = base64.b64encode(donnees.french_results_csv(rows)).decode("ascii")
    raw_b64 = base64.b64encode(rows.to_csv(index=False).encode("utf-8")).decode("ascii")
    return _HTML(f"<p><a download='{donnees.FRENCH_RESULTS}' href='data:text/csv;base64,{fr_b64}'>Télécharger le "
                 f"tableau de tous les résultats (CSV au format français, {fmt_int(len(rows))} lignes)</a> — "
                 f"<a href='{donnees.DICTIONARY_PAGE}'>dictionnaire des colonnes</a> ; pour un logiciel : "
                 f"<a download='estimates.csv' href='data:text/csv;base64,{raw_b64}'>estimates.csv</a> (mêmes "
                 f"lignes, codes et point décimal). <a href='{synthese.PDF}'>Note de synthèse (PDF, "
                 f"{synthese.MAX_PAGES} pages au plus)</a>.</p>", donnees.FRENCH_RESULTS)


def show_status() -> None:
    """Display the notes on studies left out (no data) and on results missing or stale (if any)."""
    from IPython.display import display

    for note in (missing_note(), unavailable_note()):
        if note is not None:
            display(note)


def synthetic_warning() -> _HTML:
    """The warning that the book's numbers are a demonstration of method (default build), shown above them."""
    text = ("<strong>Données synthétiques : une démonstration de méthode.</strong> Les données individuelles de "
            "l'Assurance maladie (SNDS) ne sont pas publiques. Les chiffres qui suivent sont calculés sur des données "
            "générées par evalkit et calibrées sur les résultats publiés cités ci-dessus : ils montrent ce que la "
            "méthode retrouve et corrige, ce ne sont pas des résultats sur les réformes. Les résultats à citer sont "
            "ceux des évaluations publiées.")
    return _HTML(f"<div class='admonition warning ek-banner'><p>{text}</p></div>", "[données : synthétiques]")


def user_data_note() -> _HTML:
    """The notice that the page's results are computed on the user's data (fingerprint and date, never a path)."""
    from .plots import user_data_label

    label = user_data_label()
    return _HTML(f"<div class='admonition note ek-banner'><p>Les résultats de cette page sont calculés sur les "
                 f"{html.escape(label)}.</p></div>", f"[{label}]")


def _h2(text: str) -> _HTML:
    return _HTML(f"<h2 class='ek-home-h2'>{text}</h2>", text)


def home_blocks() -> list:
    """The home page, in reading order. Default build: what is known (the published evaluations, with their
    source), the synthetic-data warning, then what the book demonstrates on those data. User build: the results on
    the user's data first, then the published evaluations as a reference."""
    ans = answers()
    box = [b for b in (key_figures_box(),) if b is not None]
    if paths.data_kind() == "user":
        out = [user_data_note(), _h2("Les résultats sur ces données"), *ans, *box,
               _h2("Repères : ce que concluent les évaluations publiées"), known_block()]
    else:
        out = [_h2("Ce que l'on sait : les évaluations publiées"), known_block(), synthetic_warning(), *box]
        if ans:
            out += [_h2("Ce que ce livre démontre : la méthode, sur données synthétiques"), *ans]
    out += [n for n in (missing_note(), unavailable_note()) if n is not None]
    if len(results_table()):
        out.append(download_link())
    return out


def show_home() -> None:
    """Display :func:`home_blocks`."""
    from IPython.display import display

    for b in home_blocks():
        display(b)


# --- the annex: published figures beside the book's ------------------------------------------------------------

_PUB_COLUMNS = ["Étude", "Indicateur", "Publié (source)", "Reproduit (données du livre)", "Lecture"]


def _harmonise(study: str, t: pd.DataFrame) -> pd.DataFrame:
    """One study's published-vs-reproduced table in the annex's common columns."""
    cols = list(t.columns)
    ind = cols[0]
    pub = next(c for c in cols if c.startswith("Publié"))
    rep = next(c for c in cols if c.startswith("Reproduit"))
    src = "Source" if "Source" in cols else None
    lec = next((c for c in cols if c in ("Lecture", "Ce que montre la comparaison")), None)
    sim = next((c for c in cols if c.startswith("Effet simulé")), None)
    pub_src = pub[pub.find("(") + 1:pub.rfind(")")] if "(" in pub and pub.rstrip().endswith(")") else ""
    out = pd.DataFrame({"Étude": registry.get(study).label, "Indicateur": t[ind].astype(str)})
    with_src = (" — " + t[src].astype(str) if src is not None
                else f" — {pub_src}" if pub_src not in ("", "source") else "")
    out["Publié (source)"] = t[pub].astype(str) + with_src
    out["Reproduit (données du livre)"] = t[rep].astype(str)
    out["Lecture"] = (t[lec].astype(str) if lec is not None
                      else "effet introduit dans les données synthétiques : " + t[sim].astype(str) if sim is not None
                      else "")
    return out[_PUB_COLUMNS]


def published_vs_reproduced() -> pd.DataFrame:
    """The studies' published figures beside the book's estimates, in one table (recorded tables only)."""
    parts = [_harmonise(s, t) for s in registry.names() if (t := study_table(s, "published")) is not None and len(t)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=_PUB_COLUMNS)


def published_reading(t: pd.DataFrame) -> str:
    """The « Lecture » line of the annex table (:func:`published_vs_reproduced`): its first row read aloud."""
    if t is None or not len(t):
        return ""
    r = t.iloc[0]
    pub = str(r["Publié (source)"]).split(" — ")[0].strip()
    rep = str(r["Reproduit (données du livre)"]).strip()
    return (f"Pour l'étude « {r['Étude']} », indicateur « {r['Indicateur']} », l'évaluation publiée donne {pub} et "
            f"l'estimation sur les données du livre {rep}.")


def annex_reading() -> _HTML:
    """How to read the annex table (« Ce que la comparaison montre / ne montre pas »), worded for the data kind."""
    if paths.data_kind() == "user":
        shows = [
            "<strong>Deux mesures d'une même question.</strong> La colonne « Publié » donne le résultat des "
            "évaluations publiées, sur leur champ et leur période ; la colonne « Reproduit » donne l'estimation sur "
            "les données fournies, avec la même méthode. Un écart entre les deux peut tenir au champ, à la période, "
            "aux définitions des indicateurs ou à l'échantillon, autant qu'à l'effet lui-même.",
            "<strong>Les écarts bruts ne sont pas des effets.</strong> Lorsque les médecins qui entrent dans un "
            "dispositif diffèrent des autres avant d'y entrer, l'écart brut mêle l'effet et ces différences ; "
            "chaque chapitre compare l'écart brut et l'effet estimé sur ces données.",
        ]
        not_shows = [
            "Elle ne dit pas laquelle des deux estimations est la plus juste : chaque chapitre donne, dans ses "
            "limites, les tests et analyses de sensibilité qui permettent d'en juger.",
            "Pour les assistants médicaux, aucun effet contrefactuel n'a été publié : la colonne « Publié » reprend "
            "des évolutions descriptives (avant/après) de l'Assurance maladie.",
        ]
    else:
        shows = [
            "<strong>La méthode retrouve l'effet introduit.</strong> Les données synthétiques sont construites pour "
            "que l'effet moyen de chaque dispositif ait la taille publiée. Que l'estimateur de Callaway et Sant'Anna "
            "le retrouve valide la chaîne de calcul — lecture des données, appariement, estimation, inférence — et "
            "non le résultat publié lui-même.",
            "<strong>L'écart brut n'est pas l'effet.</strong> Les données synthétiques reproduisent les différences "
            "de profil publiées entre médecins qui entrent dans un dispositif et les autres : l'écart brut y mêle "
            "l'effet et ces différences, comme dans la communication institutionnelle.",
        ]
        not_shows = [
            "Elle n'apporte <strong>aucune preuve nouvelle</strong> sur l'effet réel des dispositifs : seules des "
            "données réelles (SNDS) le peuvent. Un évaluateur qui dispose d'une extraction au format des contrats "
            "obtient ce même tableau sur ses données avec <code>evalkit run</code>.",
            "Les <strong>niveaux</strong> (taux de suivi, patientèles moyennes) des données synthétiques suivent des "
            "moyennes nationales, non les échantillons appariés des études : seules les différences et doubles "
            "différences se comparent.",
            "Pour les assistants médicaux, aucun effet contrefactuel n'a été publié : la colonne « Publié » reprend "
            "des évolutions descriptives (avant/après) de l'Assurance maladie, que les données reproduisent par "
            "calibrage.",
        ]

    def ul(items):
        return "<ul>" + "".join(f"<li>{x}</li>" for x in items) + "</ul>"

    return _HTML(f"<h2 class='ek-home-h2'>Ce que la comparaison montre</h2>{ul(shows)}"
                 f"<h2 class='ek-home-h2'>Ce qu'elle ne montre pas</h2>{ul(not_shows)}", "Lecture du tableau")


def how_to_cite() -> _HTML:
    """« Comment citer ce livre » : title, evalkit version, build date and the data it was built on (the data's
    fingerprint on the user's data, never a path)."""
    from . import __version__
    from .plots import data_fingerprint_short, date_fr

    title = "Évaluer l'exercice coordonné"
    try:
        import yaml

        title = yaml.safe_load((paths.project_root() / "_config.yml").read_text(encoding="utf-8")).get("title", title)
    except Exception:  # noqa: BLE001 - the citation still renders with the default title
        pass
    if paths.data_kind() == "user":
        fp = data_fingerprint_short()
        data = "calculs sur les données fournies par l'utilisateur" + (f" (empreinte SHA-256 {fp})" if fp else "")
    else:
        data = "démonstration sur données synthétiques"
    text = (f"evalkit ({date_fr().split()[-1]}). <em>{html.escape(title)}</em>. Livre exécutable, version "
            f"{__version__} de la bibliothèque evalkit, construit le {date_fr()} ; {data}.")
    return _HTML(f"<div class='ek-cite'><p>{text}</p><p>Les nombres du livre sont recalculés à chaque "
                 "construction : citer la version et la date, et, pour un résultat, le chapitre et le tableau "
                 "des résultats (<code>estimates.csv</code>) de cette construction.</p></div>",
                 f"evalkit. {title}. Version {__version__}, {date_fr()}.")


# --- the English summary ---------------------------------------------------------------------------------------

def english_page(answers_: list[Answer]) -> _HTML:
    """The English summary (``lang="en"``), built from the same answers as « L'essentiel »."""
    items = "".join(f"<h3>{a.title_en}</h3><p>{a.text_en}</p>" for a in answers_)
    known_ = "".join(f"<li><strong>{k.title_en}.</strong> {k.text_en}</li>" for k in known())
    known_html = f"<p>What the published evaluations found:</p><ul>{known_}</ul>"
    if paths.data_kind() == "user":
        from .plots import data_fingerprint_short

        fp = data_fingerprint_short()
        items += known_html
        data_note = ("<p><em>These figures are computed on the data provided by the user (evalkit contract format"
                     + (f"; SHA-256 fingerprint {fp}" if fp else "") + ").</em></p>")
    else:
        items = (known_html + "<p><em>These figures are computed on <strong>synthetic data generated by evalkit and "
                 "calibrated on published results</strong>: they demonstrate the method and are not findings; the "
                 "published evaluations remain the evidence.</em></p>" + items)
        data_note = ""
    notes = "".join(f"<p>{lead}: {', '.join(registry.get(s).title_en for s in studies)}.</p>" for lead, studies in (
        ("Not covered (no data file)", missing_studies()),
        ("Not shown (no results recorded for these data; this page does not recompute them)",
         [r.study for r in unavailable_studies()])) if studies)
    html_ = (
        "<div lang='en' class='ek-english'>"
        "<p>This book reproduces the counterfactual evaluations of three French primary-care reforms — "
        "multi-professional health centres (<em>maisons de santé pluriprofessionnelles</em>), GP–nurse cooperation "
        "(<em>Asalée</em>) and medical assistants (<em>assistants médicaux</em>) — with validated "
        "difference-in-differences estimators (Callaway and Sant'Anna for staggered adoption, with matching, "
        "event studies and HonestDiD sensitivity analysis). Each answer below gives the average effect on the "
        "units that joined the scheme, with its 95% confidence interval.</p>"
        f"{items}{notes}{data_note}"
        "<p>Main limit: the estimates rely on parallel trends — without the reform, participating GPs would have "
        "evolved like their comparison group. Pre-entry tests and the Rambachan–Roth sensitivity analysis measure "
        "how fragile this is, without ruling it out. Evaluators can rerun everything on their own extract with "
        "<code>evalkit run --data DIR --out DIR</code> (see the evaluator's guide, in French).</p></div>"
    )
    return _HTML(html_, "English summary")
