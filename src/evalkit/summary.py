"""The answers of the book, read from the results rows (« L'essentiel », English summary, annexes).

:func:`study_rows` returns a study's results rows: those its chapter recorded for the same data (same file
fingerprint, evalkit version and seed), or, if the chapter has not run yet in this build, the rows computed now by
the same analysis (and recorded). Either way the numbers on the summary pages equal those in ``estimates.csv``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import pandas as pd

from . import io, paths, results
from .results import fmt_ci, fmt_eur, fmt_num, fmt_pct

STUDY_ORDER = ("msp", "asalee", "assistants")


def _fresh(study: str) -> bool:
    cached = paths.results_dir() / f"{study}.csv"
    side = cached.with_suffix(".fingerprint")
    return cached.exists() and side.exists() and side.read_text() == results.data_fingerprint(study)


def _compute(study: str) -> bool:
    """Run ``study``'s analysis and record its rows and tables as its chapter does. False if no module."""
    try:
        mod = importlib.import_module(f"evalkit.studies.{study}")
    except ModuleNotFoundError as e:
        if e.name != f"evalkit.studies.{study}":
            raise
        return False  # no chapter for this study in this version of evalkit
    analysis = mod.analyse(io.load(study), seed=paths.seed())
    results.record(analysis.rows, study, tables=chapter_tables(analysis))
    return True


def chapter_tables(analysis) -> dict[str, pd.DataFrame]:
    """The tables a study chapter shares with the summary pages (its published-vs-reproduced table)."""
    return {"published": analysis.table_published().df}


def study_rows(study: str) -> pd.DataFrame | None:
    """Results rows of ``study`` on the current data, or None if the study's file is absent."""
    if io.find_file(study, paths.data_dir()) is None:
        return None
    if not _fresh(study) and not _compute(study):
        return None
    return results.to_frame(pd.read_csv(paths.results_dir() / f"{study}.csv", dtype={"subgroup": str}))


def study_table(study: str, name: str) -> pd.DataFrame | None:
    """A table a study chapter recorded (``published``…), computed now if the chapter has not run on these data."""
    if study_rows(study) is None:
        return None
    path = paths.results_dir() / f"{study}.{name}.tsv"
    if not path.exists():
        _compute(study)
    return pd.read_csv(path, sep="\t", keep_default_na=False) if path.exists() else None


def all_rows() -> dict[str, pd.DataFrame]:
    """Rows of every study whose data are present."""
    out = {}
    for s in STUDY_ORDER:
        r = study_rows(s)
        if r is not None:
            out[s] = r
    return out


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
    s = f"{x:+,.{d}f}" if sign else f"{x:,.{d}f}"
    return s


def answer(study: str, rows: pd.DataFrame) -> Answer | None:
    """Plain-language answer for ``study`` built from its headline rows (None if they are missing)."""
    if study == "msp":
        p, pc = _head(rows, "patients_mt", "patients"), _head(rows, "patients_mt", "percent")
        if p is None:
            return None
        pct_fr = f" ({fmt_pct(pc.estimate, 1, sign=True)})" if pc is not None else ""
        pct_en = f" ({_en(pc.estimate, 1, sign=True)}%)" if pc is not None else ""
        return Answer(
            "msp", "Maisons de santé pluriprofessionnelles",
            f"Rejoindre une MSP accroît la patientèle « médecin traitant » d'un généraliste de "
            f"<strong>{fmt_num(p.estimate, 0, sign=True)} patients</strong>{pct_fr} par rapport à ce qu'elle aurait "
            f"été sans MSP (intervalle de confiance à 95 % : {fmt_ci(p.ci_low, p.ci_high, 0)}). C'est bien moins que "
            "l'écart brut entre médecins en MSP et médecins isolés, qui mêle l'effet de la MSP et les différences "
            "préexistantes entre ces médecins.",
            "Multi-professional health centres (MSP)",
            f"Joining an MSP raises a GP's registered patient list by <strong>{_en(p.estimate, 0, True)} "
            f"patients</strong>{pct_en} relative to the counterfactual (95% CI {_en(p.ci_low, 0)} to "
            f"{_en(p.ci_high, 0)}), far less than the raw gap between MSP and solo GPs, which mixes the effect with "
            "pre-existing differences.",
            {"patients": p.estimate, "ci_low": p.ci_low, "ci_high": p.ci_high,
             "percent": None if pc is None else pc.estimate})
    if study == "asalee":
        h = _head(rows, "hba1c_3plus", "pp")
        if h is None:
            return None
        return Answer(
            "asalee", "Asalée : coopération médecin–infirmière",
            f"Chez les patients diabétiques des médecins engagés dans Asalée, la part de patients ayant au moins "
            f"trois dosages d'HbA1c dans l'année progresse de <strong>{fmt_num(h.estimate, 1, sign=True)} points"
            f"</strong> de plus que chez les patients des autres médecins (intervalle de confiance à 95 % : "
            f"{fmt_ci(h.ci_low, h.ci_high, 1)}), en intention de traiter, c'est-à-dire que l'infirmière les suive ou "
            "non. Les indicateurs mesurent le suivi, pas l'état de santé.",
            "Asalée: GP–nurse cooperation",
            f"Among diabetic patients of GPs who joined Asalée, the share with at least three HbA1c tests a year rose "
            f"by <strong>{_en(h.estimate, 1, True)} percentage points</strong> more than among other GPs' patients "
            f"(95% CI {_en(h.ci_low, 1)} to {_en(h.ci_high, 1)}), intention to treat. These are process indicators, "
            "not health outcomes.",
            {"pp": h.estimate, "ci_low": h.ci_low, "ci_high": h.ci_high})
    if study == "assistants":
        p, pc = _head(rows, "patients_mt", "patients"), _head(rows, "patients_mt", "percent")
        cost = rows[(rows.unit == "eur_per_patient") & rows.headline]
        if p is None:
            return None
        pct_fr = f" ({fmt_pct(pc.estimate, 1, sign=True)})" if pc is not None else ""
        pct_en = f" ({_en(pc.estimate, 1, sign=True)}%)" if pc is not None else ""
        cost_fr = cost_en = ""
        c = None
        if len(cost) == 1:
            c = cost.iloc[0]
            cost_fr = (f" Chaque patient supplémentaire coûte à l'Assurance maladie environ "
                       f"<strong>{fmt_eur(c.estimate)} d'aide par an</strong> (intervalle : "
                       f"{fmt_ci(c.ci_low, c.ci_high, 0, unit='€')}).")
            cost_en = f" Each extra patient costs about €{_en(c.estimate, 0)} of subsidy a year."
        return Answer(
            "assistants", "Assistants médicaux",
            f"Recruter un assistant médical accroît la patientèle « médecin traitant » de "
            f"<strong>{fmt_num(p.estimate, 0, sign=True)} patients</strong>{pct_fr} par médecin par rapport à ce "
            f"qu'elle aurait été sans assistant (intervalle de confiance à 95 % : {fmt_ci(p.ci_low, p.ci_high, 0)})"
            f", moins que ne le suggère la simple évolution avant/après publiée.{cost_fr}",
            "Medical assistants",
            f"Hiring a medical assistant raises a GP's registered patient list by <strong>{_en(p.estimate, 0, True)} "
            f"patients</strong>{pct_en} relative to the counterfactual (95% CI {_en(p.ci_low, 0)} to "
            f"{_en(p.ci_high, 0)}), less than the published before/after change suggests.{cost_en}",
            {"patients": p.estimate, "ci_low": p.ci_low, "ci_high": p.ci_high,
             "percent": None if pc is None else pc.estimate, "cost": None if c is None else c.estimate})
    raise ValueError(f"unknown study {study!r}")


def answers() -> list[Answer]:
    """Answers of every study whose data are present (in the book's order)."""
    out = []
    for s, rows in all_rows().items():
        a = answer(s, rows)
        if a is not None:
            out.append(a)
    return out


def missing_studies() -> list[str]:
    """Studies whose data file is absent (their chapters are left out of the book)."""
    return [s for s in STUDY_ORDER if io.find_file(s, paths.data_dir()) is None]


_TITLES = {"msp": "Maisons de santé pluriprofessionnelles", "asalee": "Asalée", "assistants": "Assistants médicaux"}


class _HTML:
    def __init__(self, html: str, text: str):
        self.html, self.text = html, text

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self.html, "text/plain": self.text}


def missing_note():
    """A note naming the studies left out because their data are absent (None when all are present)."""
    miss = missing_studies()
    if not miss:
        return None
    names = ", ".join(_TITLES[s] for s in miss)
    return _HTML(f"<div class='admonition note'><p>Études non traitées faute de fichier de données : {names}. "
                 "Leurs chapitres sont retirés du livre.</p></div>",
                 f"Études non traitées : {names}")


def results_table() -> pd.DataFrame:
    """Every study's rows, in the order and format of ``estimates.csv``."""
    rows = list(all_rows().values())
    if not rows:
        return results.to_frame(pd.DataFrame(columns=results.RESULT_COLUMNS))
    return results.to_frame(pd.concat(rows, ignore_index=True))


def download_link():
    """A link to download the results table (the same rows as ``estimates.csv``)."""
    import base64

    csv = results_table().to_csv(index=False).encode("utf-8")
    b64 = base64.b64encode(csv).decode("ascii")
    return _HTML(f"<p><a download='estimates.csv' href='data:text/csv;base64,{b64}'>Télécharger le tableau de "
                 f"tous les résultats (CSV, {len(csv.splitlines()) - 1} lignes)</a> — colonnes décrites dans le guide de "
                 "l'évaluateur.</p>", "estimates.csv")


def show_extras() -> None:
    """Display the missing-data note (if any) and the results download link."""
    from IPython.display import display

    note = missing_note()
    if note is not None:
        display(note)
    if len(results_table()):
        display(download_link())


_STUDY_FR = {"msp": "MSP", "asalee": "Asalée", "assistants": "Assistants médicaux"}
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
    out = pd.DataFrame({"Étude": _STUDY_FR[study], "Indicateur": t[ind].astype(str)})
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
    """The three studies' published figures beside the book's estimates, in one table."""
    parts = []
    for s in STUDY_ORDER:
        t = study_table(s, "published")
        if t is not None and len(t):
            parts.append(_harmonise(s, t))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=_PUB_COLUMNS)


def english_page(answers_: list[Answer]) -> _HTML:
    """The English summary (``lang="en"``), built from the same answers as « L'essentiel »."""
    items = "".join(f"<h3>{a.title_en}</h3><p>{a.text_en}</p>" for a in answers_)
    kind = paths.data_kind()
    data_note = ("These figures are computed on <strong>synthetic data generated by evalkit and calibrated on "
                 "published results</strong>: finding the planted effects back validates the methods; the "
                 "published evaluations remain the evidence." if kind == "synthetic" else
                 "These figures are computed on the user's own data (evalkit contract format).")
    miss = missing_studies()
    miss_note = (f"<p>Not covered (no data file): {', '.join(miss)}.</p>" if miss else "")
    html = (
        "<div lang='en' class='ek-english'>"
        "<p>This book reproduces the counterfactual evaluations of three French primary-care reforms — "
        "multi-professional health centres (<em>maisons de santé pluriprofessionnelles</em>), GP–nurse cooperation "
        "(<em>Asalée</em>) and medical assistants (<em>assistants médicaux</em>) — with validated "
        "difference-in-differences estimators (Callaway and Sant'Anna for staggered adoption, with matching, "
        "event studies and HonestDiD sensitivity analysis). Each answer below gives the average effect on the "
        "units that joined the scheme, with its 95% confidence interval.</p>"
        f"{items}{miss_note}<p><em>{data_note}</em></p>"
        "<p>Main limit: the estimates rely on parallel trends — without the reform, participating GPs would have "
        "evolved like their comparison group. Pre-entry tests and the Rambachan–Roth sensitivity analysis measure "
        "how fragile this is, without ruling it out. Evaluators can rerun everything on their own extract with "
        "<code>evalkit run --data DIR --out DIR</code> (see the evaluator's guide, in French).</p></div>"
    )
    return _HTML(html, "English summary")
