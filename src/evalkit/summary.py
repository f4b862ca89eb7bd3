"""The answers of the book, read from what the study chapters recorded (« L'essentiel », English summary, annex).

The summary pages never compute an analysis: each study chapter computes once and records its rows
(``<results_dir>/<study>.csv``), the tables other pages reuse (``<study>.published.tsv``, see
:func:`chapter_tables`) and the fingerprint of the data they came from (``<study>.fingerprint``: evalkit version,
data kind, seed, file SHA-256; :func:`evalkit.results.data_fingerprint`). jupyter-book executes the notebooks in
sorted docname order and every summary page sorts after every study chapter (:data:`evalkit.registry.SUMMARY_PAGES`,
checked by the tests), so in a build the rows are there. When they are not — a chapter that did not run or failed,
rows recorded on other data — :func:`status` says so and the pages print it (:func:`show_extras`) instead of computing:
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


# --- the answers -----------------------------------------------------------------------------------------------

def _head(rows: pd.DataFrame, outcome: str, unit: str) -> pd.Series | None:
    sel = rows[(rows.outcome == outcome) & (rows.unit == unit) & rows.headline]
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


def _pct_notes(pc: pd.Series | None) -> tuple[str, str]:
    if pc is None:
        return "", ""
    return f" ({fmt_pct(pc.estimate, 1, sign=True)})", f" ({_en(pc.estimate, 1, sign=True)}%)"


def _answer_msp(spec: registry.StudySpec, rows: pd.DataFrame) -> Answer | None:
    p, pc = _head(rows, "patients_mt", "patients"), _head(rows, "patients_mt", "percent")
    if p is None:
        return None
    pct_fr, pct_en = _pct_notes(pc)
    return Answer(
        spec.name, spec.title,
        f"Rejoindre une MSP accroît la patientèle « médecin traitant » d'un généraliste de "
        f"<strong>{fmt_num(p.estimate, 0, sign=True)} patients</strong>{pct_fr} par rapport à ce qu'elle aurait "
        f"été sans MSP (intervalle de confiance à 95 % : {fmt_ci(p.ci_low, p.ci_high, 0)}). C'est bien moins que "
        "l'écart brut entre médecins en MSP et médecins isolés, qui mêle l'effet de la MSP et les différences "
        "préexistantes entre ces médecins.",
        spec.title_en,
        f"Joining an MSP raises a GP's registered patient list by <strong>{_en(p.estimate, 0, True)} "
        f"patients</strong>{pct_en} relative to the counterfactual (95% CI {_en(p.ci_low, 0)} to "
        f"{_en(p.ci_high, 0)}), far less than the raw gap between MSP and solo GPs, which mixes the effect with "
        "pre-existing differences.",
        {"patients": p.estimate, "ci_low": p.ci_low, "ci_high": p.ci_high,
         "percent": None if pc is None else pc.estimate})


def _answer_asalee(spec: registry.StudySpec, rows: pd.DataFrame) -> Answer | None:
    h = _head(rows, "hba1c_3plus", "pp")
    if h is None:
        return None
    return Answer(
        spec.name, "Asalée : coopération médecin–infirmière",
        f"Chez les patients diabétiques des médecins engagés dans Asalée, la part de patients ayant au moins "
        f"trois dosages d'HbA1c dans l'année progresse de <strong>{fmt_num(h.estimate, 1, sign=True)} points"
        f"</strong> de plus que chez les patients des autres médecins (intervalle de confiance à 95 % : "
        f"{fmt_ci(h.ci_low, h.ci_high, 1)}), en intention de traiter, c'est-à-dire que l'infirmière les suive ou "
        "non. Les indicateurs mesurent le suivi, pas l'état de santé.",
        spec.title_en,
        f"Among diabetic patients of GPs who joined Asalée, the share with at least three HbA1c tests a year rose "
        f"by <strong>{_en(h.estimate, 1, True)} percentage points</strong> more than among other GPs' patients "
        f"(95% CI {_en(h.ci_low, 1)} to {_en(h.ci_high, 1)}), intention to treat. These are process indicators, "
        "not health outcomes.",
        {"pp": h.estimate, "ci_low": h.ci_low, "ci_high": h.ci_high})


def _answer_assistants(spec: registry.StudySpec, rows: pd.DataFrame) -> Answer | None:
    p, pc = _head(rows, "patients_mt", "patients"), _head(rows, "patients_mt", "percent")
    c = _head(rows, "cost_per_patient", "eur_per_patient")
    if p is None:
        return None
    pct_fr, pct_en = _pct_notes(pc)
    cost_fr = cost_en = ""
    if c is not None:
        cost_fr = (f" Chaque patient supplémentaire coûte à l'Assurance maladie environ "
                   f"<strong>{fmt_eur(c.estimate)} d'aide par an</strong> (intervalle : "
                   f"{fmt_ci(c.ci_low, c.ci_high, 0, unit='€')}).")
        cost_en = f" Each extra patient costs about €{_en(c.estimate, 0)} of subsidy a year."
    return Answer(
        spec.name, spec.title,
        f"Recruter un assistant médical accroît la patientèle « médecin traitant » de "
        f"<strong>{fmt_num(p.estimate, 0, sign=True)} patients</strong>{pct_fr} par médecin par rapport à ce "
        f"qu'elle aurait été sans assistant (intervalle de confiance à 95 % : {fmt_ci(p.ci_low, p.ci_high, 0)})"
        f", moins que ne le suggère la simple évolution avant/après publiée.{cost_fr}",
        spec.title_en,
        f"Hiring a medical assistant raises a GP's registered patient list by <strong>{_en(p.estimate, 0, True)} "
        f"patients</strong>{pct_en} relative to the counterfactual (95% CI {_en(p.ci_low, 0)} to "
        f"{_en(p.ci_high, 0)}), less than the published before/after change suggests.{cost_en}",
        {"patients": p.estimate, "ci_low": p.ci_low, "ci_high": p.ci_high,
         "percent": None if pc is None else pc.estimate, "cost": None if c is None else c.estimate})


def _answer_generic(spec: registry.StudySpec, rows: pd.DataFrame) -> Answer | None:
    """A study registered without its own sentences: its first headline row, stated plainly."""
    outcome, unit = spec.headline[0]
    h = _head(rows, outcome, unit)
    if h is None:
        return None
    return Answer(
        spec.name, spec.title,
        f"Effet estimé sur {html.escape(outcome)} : <strong>{fmt_num(h.estimate, 1, sign=True)}</strong> "
        f"({html.escape(unit)} ; intervalle de confiance à 95 % : {fmt_ci(h.ci_low, h.ci_high, 1)}).",
        spec.title_en,
        f"Estimated effect on {html.escape(outcome)}: <strong>{_en(h.estimate, 1, True)}</strong> "
        f"({html.escape(unit)}; 95% CI {_en(h.ci_low, 1)} to {_en(h.ci_high, 1)}).",
        {unit: h.estimate, "ci_low": h.ci_low, "ci_high": h.ci_high})


#: Studies with their own summary sentences; any other registered study gets :func:`_answer_generic`.
_ANSWERS: dict[str, Callable[[registry.StudySpec, pd.DataFrame], Answer | None]] = {
    "msp": _answer_msp, "asalee": _answer_asalee, "assistants": _answer_assistants,
}


def answer(study: str, rows: pd.DataFrame) -> Answer | None:
    """Plain-language answer for ``study`` built from its headline rows (None if they are missing)."""
    spec = registry.get(study)
    return _ANSWERS.get(study, _answer_generic)(spec, rows)


def answers() -> list[Answer]:
    """Answers of every study whose chapter recorded rows for the current data (in the book's order)."""
    out = []
    for s, rows in all_rows().items():
        a = answer(s, rows)
        if a is not None:
            out.append(a)
    return out


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
    parts = []
    nr = [r.study for r in todo if r.state == "not_recorded"]
    st = [r.study for r in todo if r.state == "stale"]
    if nr:
        parts.append(f"aucun résultat enregistré pour {_titles(nr)} : le chapitre n'a pas été exécuté sur ces "
                     "données, ou il a échoué")
    if st:
        parts.append(f"les résultats enregistrés pour {_titles(st)} ont été calculés sur d'autres données (ou avec "
                     "une autre version d'evalkit ou une autre graine)")
    text = ("Résultats non repris sur cette page : " + " ; ".join(parts) + ". Cette page ne recalcule pas les "
            "analyses : exécuter les chapitres concernés, ou relancer evalkit run, puis cette page.")
    return _HTML(f"<div class='admonition warning'><p>{text}</p></div>", text)


def results_table() -> pd.DataFrame:
    """Every study's recorded rows, in the order and format of ``estimates.csv``."""
    rows = list(all_rows().values())
    if not rows:
        return results.to_frame(pd.DataFrame(columns=results.RESULT_COLUMNS))
    return results.to_frame(pd.concat(rows, ignore_index=True))


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


def show_extras() -> None:
    """Display the status notes (if any) and the results download link."""
    from IPython.display import display

    show_status()
    if len(results_table()):
        display(download_link())


# --- the annex: published figures beside the book's ------------------------------------------------------------

_PUB_COLUMNS = ["Étude", "Indicateur", "Publié (source)", "Reproduit (données du livre)", "Lecture"]


def _harmonise(study: str, t: pd.DataFrame) -> pd.DataFrame:
    """One study's published-vs-reproduced table in the annex's common columns."""
    cols = list(t.columns)
    ind = cols[0]
    pub = next(c for c in cols if c.startswith("Publié"))
    rep = next(c for c in cols if c.startswith("Reproduit"))
    src = next((c for c in cols if c == "Source"), None)
    lec = next((c for c in cols if c in ("Lecture", "Ce que montre la comparaison")), None)
    sim = next((c for c in cols if c.startswith("Effet simulé")), None)
    pub_src = pub[pub.find("(") + 1:pub.rfind(")")] if "(" in pub and pub.rstrip().endswith(")") else ""
    out = pd.DataFrame({"Étude": registry.get(study).label, "Indicateur": t[ind].astype(str)})
    if src is not None:
        out["Publié (source)"] = t[pub].astype(str) + " — " + t[src].astype(str)
    elif pub_src and pub_src != "source":
        out["Publié (source)"] = t[pub].astype(str) + " — " + pub_src
    else:
        out["Publié (source)"] = t[pub].astype(str)
    out["Reproduit (données du livre)"] = t[rep].astype(str)
    if lec is not None:
        out["Lecture"] = t[lec].astype(str)
    elif sim is not None:
        out["Lecture"] = "effet introduit dans les données synthétiques : " + t[sim].astype(str)
    else:
        out["Lecture"] = ""
    return out[_PUB_COLUMNS]


def published_vs_reproduced() -> pd.DataFrame:
    """The studies' published figures beside the book's estimates, in one table (recorded tables only)."""
    parts = []
    for s in registry.names():
        t = study_table(s, "published")
        if t is not None and len(t):
            parts.append(_harmonise(s, t))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=_PUB_COLUMNS)


# --- the English summary ---------------------------------------------------------------------------------------

def english_page(answers_: list[Answer]) -> _HTML:
    """The English summary (``lang="en"``), built from the same answers as « L'essentiel »."""
    items = "".join(f"<h3>{a.title_en}</h3><p>{a.text_en}</p>" for a in answers_)
    kind = paths.data_kind()
    data_note = ("These figures are computed on <strong>synthetic data generated by evalkit and calibrated on "
                 "published results</strong>: finding the planted effects back validates the methods; the "
                 "published evaluations remain the evidence." if kind == "synthetic" else
                 "These figures are computed on the user's own data (evalkit contract format).")
    miss = [registry.get(s).title_en for s in missing_studies()]
    miss_note = f"<p>Not covered (no data file): {', '.join(miss)}.</p>" if miss else ""
    todo = [registry.get(r.study).title_en for r in unavailable_studies()]
    todo_note = (f"<p>Not shown (no results recorded for these data; this page does not recompute them): "
                 f"{', '.join(todo)}.</p>" if todo else "")
    html_ = (
        "<div lang='en' class='ek-english'>"
        "<p>This book reproduces the counterfactual evaluations of three French primary-care reforms — "
        "multi-professional health centres (<em>maisons de santé pluriprofessionnelles</em>), GP–nurse cooperation "
        "(<em>Asalée</em>) and medical assistants (<em>assistants médicaux</em>) — with validated "
        "difference-in-differences estimators (Callaway and Sant'Anna for staggered adoption, with matching, "
        "event studies and HonestDiD sensitivity analysis). Each answer below gives the average effect on the "
        "units that joined the scheme, with its 95% confidence interval.</p>"
        f"{items}{miss_note}{todo_note}<p><em>{data_note}</em></p>"
        "<p>Main limit: the estimates rely on parallel trends — without the reform, participating GPs would have "
        "evolved like their comparison group. Pre-entry tests and the Rambachan–Roth sensitivity analysis measure "
        "how fragile this is, without ruling it out. Evaluators can rerun everything on their own extract with "
        "<code>evalkit run --data DIR --out DIR</code> (see the evaluator's guide, in French).</p></div>"
    )
    return _HTML(html_, "English summary")
