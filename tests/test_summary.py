"""Summary pages read what the study chapters recorded and never compute an analysis: fresh rows are shown with the
same numbers, missing or stale rows are reported in French, absent files leave the study out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from evalkit import registry, results, summary

ROOT = Path(__file__).resolve().parents[1]


def _row(study, outcome, unit, estimate, **kw):
    base = dict(study=study, outcome=outcome, estimator="cs_simple", estimate=estimate, std_error=abs(estimate) / 5,
                unit=unit, n_units=500, n_obs=7500, headline=True, data="synthetic")
    base.update(kw)
    return results.make_row(**base)


def _record_all(res: Path):
    results.record([_row("msp", "patients_mt", "patients", 95.0), _row("msp", "patients_mt", "percent", 7.5)],
                   "msp", out_dir=res,
                   tables={"published": pd.DataFrame({"Indicateur": ["patientèle"], "Publié (Irdes)": ["+ 5 %"],
                                                      "Reproduit": ["+ 7,5 %"], "Lecture": ["proche"]})})
    results.record([_row("asalee", "hba1c_3plus", "pp", 4.5)], "asalee", out_dir=res)
    results.record([_row("assistants", "patients_mt", "patients", 150.0),
                    _row("assistants", "cost_per_patient", "eur_per_patient_year", 1200.0, estimator="aid_over_cs_gain")],
                   "assistants", out_dir=res)


def test_fresh_rows_are_read_with_their_numbers(book_dirs):
    _, res = book_dirs
    _record_all(res)
    assert [r.state for r in summary.statuses()] == ["ok", "ok", "ok"]
    ans = {a.study: a for a in summary.answers()}
    assert list(ans) == list(registry.names())
    assert ans["msp"].numbers["patients"] == 95.0 and ans["msp"].numbers["percent"] == 7.5
    assert "+95 patients" in ans["msp"].text_fr.replace("\u202f", "")
    assert ans["asalee"].numbers["pp"] == 4.5
    assert ans["assistants"].numbers["cost"] == 1200.0
    table = summary.results_table()
    assert len(table) == 5 and list(table.columns) == results.RESULT_COLUMNS
    pub = summary.published_vs_reproduced()
    assert list(pub["Étude"]) == ["MSP"] and pub["Publié (source)"].iloc[0] == "+ 5 % — Irdes"
    assert summary.unavailable_note() is None and summary.missing_note() is None


def test_missing_and_stale_rows_are_reported_not_computed(book_dirs):
    data, res = book_dirs
    _record_all(res)
    assert [r.state for r in summary.statuses()] == ["ok", "ok", "ok"]  # asked before the changes: no stale cache
    (res / "asalee.csv").unlink()
    (data / "assistants.csv").write_text("assistants\n2\n")  # data changed after the chapter recorded
    st = {r.study: r.state for r in summary.statuses()}
    assert st == {"msp": "ok", "asalee": "not_recorded", "assistants": "stale"}
    assert [a.study for a in summary.answers()] == ["msp"]
    assert summary.study_rows("assistants") is None and summary.study_table("assistants", "published") is None
    note = summary.unavailable_note()._repr_mimebundle_()["text/plain"]
    assert "aucun résultat enregistré pour « Asalée »" in note
    assert "« Assistants médicaux » ont été calculés sur d'autres données" in note
    assert "ne recalcule pas" in note
    assert not (res / "asalee.csv").exists(), "the summary must not have computed asalee"
    en = summary.english_page(summary.answers()).html
    assert "Not shown" in en and "Medical assistants" in en and "Asalée" in en


def test_absent_file_leaves_the_study_out(book_dirs):
    data, res = book_dirs
    _record_all(res)
    (data / "asalee.csv").unlink()
    assert summary.missing_studies() == ["asalee"]
    assert summary.unavailable_note() is None
    assert "« Asalée »" in summary.missing_note().text
    assert [a.study for a in summary.answers()] == ["msp", "assistants"]


def test_summary_pages_never_import_an_analysis(book_dirs):
    """Reading the answers, the table and the annex must not import (let alone run) any study's analysis."""
    _, res = book_dirs
    _record_all(res)
    code = ("import sys, evalkit.summary as s\n"
            "s.answers(); s.results_table(); s.published_vs_reproduced(); s.english_page(s.answers())\n"
            "import json; print(json.dumps(sorted(m for m in sys.modules if m.startswith('evalkit.studies'))))\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_generic_answer_for_a_study_without_its_own_sentences():
    spec = registry.StudySpec("cpts", "Communautés professionnelles territoriales de santé", "CPTS", "CPTS",
                              "médecin × année", "x", "y", "chapters/cpts", (("patients_mt", "patients"),))
    rows = results.to_frame([_row("msp", "patients_mt", "patients", 12.0)])
    a = summary._answer_generic(spec, rows)
    assert a.numbers["patients"] == 12.0 and "+12,0" in a.text_fr and a.title_fr == spec.title
