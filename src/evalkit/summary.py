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


def study_rows(study: str) -> pd.DataFrame | None:
    """Results rows of ``study`` on the current data, or None if the study's file is absent."""
    if io.find_file(study, paths.data_dir()) is None:
        return None
    fp = results.data_fingerprint(study)
    cached = paths.results_dir() / f"{study}.csv"
    side = cached.with_suffix(".fingerprint")
    if cached.exists() and side.exists() and side.read_text() == fp:
        return results.to_frame(pd.read_csv(cached, dtype={"subgroup": str}))
    try:
        mod = importlib.import_module(f"evalkit.studies.{study}")
    except ModuleNotFoundError as e:
        if e.name != f"evalkit.studies.{study}":
            raise
        return None  # no chapter for this study in this version of evalkit
    analysis = mod.analyse(io.load(study), seed=paths.seed())
    rows = results.to_frame(analysis.rows)
    results.record(rows, study)
    return rows


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
        return (f"<div class='ek-answer'><p><strong>{self.title_fr}</strong></p>"
                f"<p>{self.text_fr}</p></div>")


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
                       f"<strong>{fmt_eur(c.estimate)}</strong> d'aide (intervalle : {fmt_ci(c.ci_low, c.ci_high, 0)}"
                       f"\u202f€).")
            cost_en = f" Each extra patient costs about €{_en(c.estimate, 0)} of subsidy."
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
