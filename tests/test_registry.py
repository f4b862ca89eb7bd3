"""The study registry is the one list of studies: contracts, cli, simulate, results, guide and the table of contents
follow it; summary pages sort after every study chapter; estimator labels and département codes have one vocabulary."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from evalkit import cli, contracts, geo, guide, registry, results, simulate
from evalkit.contracts import DataError

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "tests" / "fixtures" / "baseline" / "estimates_bundled.csv"


def _toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [ch["file"] for ch in part["chapters"]]
    return files


# --- the registry and who reads it ------------------------------------------------------------------------------

def test_registry_entries_are_complete():
    assert registry.names() == ("msp", "asalee", "assistants")
    for spec in registry.STUDIES:
        assert spec.title and spec.label and spec.title_en and spec.row_fr and spec.headline
        assert (ROOT / f"{spec.chapter}.ipynb").is_file(), spec.chapter
        assert hasattr(spec.generator_module(), "simulate")
        assert registry.get(spec.name) is spec
    with pytest.raises(KeyError, match="registered studies: msp, asalee, assistants"):
        registry.get("cpts")


def test_contracts_follow_the_registry():
    assert list(contracts.STUDIES) == list(registry.names())
    for spec in registry.STUDIES:
        assert spec.contract is contracts.STUDIES[spec.name]
        assert spec.contract.name == spec.name and spec.contract.title == spec.title
        assert spec.contract.schema.name == spec.name


def test_simulate_cli_and_guide_follow_the_registry():
    assert simulate.available() == list(registry.names())
    assert cli._studies(None, list(contracts.STUDIES)) == list(registry.names())
    with pytest.raises(cli.UserError, match="choisir parmi msp, asalee, assistants"):
        cli._studies("msp,cpts", list(contracts.STUDIES))
    assert list(guide.files_overview()["Fichier"]) == [f"{s}.csv" for s in registry.names()]
    assert list(guide.files_overview()["Une ligne par"]) == [s.row_fr for s in registry.STUDIES]


def test_toc_lists_every_registered_chapter_and_summary_page():
    files = _toc_files()
    for ch in [*registry.chapters().values(), *registry.SUMMARY_PAGES]:
        assert ch in files, f"{ch} missing from _toc.yml"
    for f in files:
        assert list(ROOT.glob(f"{f}.*")), f"_toc.yml lists {f}, which does not exist"


def test_filtered_toc_drops_exactly_the_absent_studies_chapters(tmp_path):
    toc = cli._filtered_toc(ROOT, ["msp", "assistants"], tmp_path)
    kept = re.findall(r"file:\s*(\S+)", toc.read_text(encoding="utf-8"))
    assert "chapters/asalee" not in kept
    assert kept == [f for f in _toc_files()[1:] if f != "chapters/asalee"]


def test_summary_pages_execute_after_every_study_chapter():
    """jupyter-book (and nbval on `chapters index.ipynb`) execute notebooks in sorted docname order: a summary page
    must come after every chapter whose recorded results it reads, or it would find none in a fresh build."""
    study_chapters = list(registry.chapters().values())
    for page in registry.SUMMARY_PAGES:
        assert (ROOT / f"{page}.ipynb").is_file(), page
        for ch in study_chapters:
            assert page > ch, f"{page} would execute before {ch}"
    executed = sorted(str(p.relative_to(ROOT).with_suffix("")) for p in ROOT.glob("**/*.ipynb")
                      if "_build" not in p.parts and ".ipynb_checkpoints" not in p.parts)
    last_study = max(executed.index(ch) for ch in study_chapters)
    assert all(executed.index(p) > last_study for p in registry.SUMMARY_PAGES)


def test_no_module_keeps_its_own_study_list():
    """The lists the registry replaced are gone (summary, results, simulate, cli)."""
    import evalkit.summary as summary

    for mod, name in [(summary, "STUDY_ORDER"), (summary, "_TITLES"), (summary, "_STUDY_FR"), (results, "STUDIES"),
                      (simulate, "GENERATORS"), (cli, "CHAPTERS")]:
        assert not hasattr(mod, name), f"{mod.__name__}.{name}"
    pattern = re.compile(r"""\(\s*["']msp["']\s*,\s*["']asalee["']\s*,\s*["']assistants["']""")
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "src" / "evalkit").rglob("*.py")
                 if p.name != "registry.py" and pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


# --- results contract: study values and estimator labels -------------------------------------------------------

from test_results import _row  # noqa: E402  (one results-row helper for the tests)


def test_results_study_values_come_from_the_registry():
    assert registry.result_sources() == (*registry.names(), "methodes")
    for s in registry.result_sources():
        results.check([_row(study=s)])
    with pytest.raises(DataError, match="study"):
        results.check([_row(study="cpts")])


def test_every_estimator_label_of_the_bundled_run_is_in_the_vocabulary():
    labels = set(pd.read_csv(BASELINE)["estimator"].str.removesuffix(results.SUPPRESSED_TAG))
    assert labels <= set(contracts.ESTIMATORS), labels - set(contracts.ESTIMATORS)
    assert len(set(contracts.ESTIMATORS)) == len(contracts.ESTIMATORS)
    results.check(pd.read_csv(BASELINE, dtype={"subgroup": str}))


def test_unknown_estimator_label_is_refused_suppressed_label_accepted():
    with pytest.raises(DataError, match="ESTIMATORS"):
        results.check([_row(estimator="cs_simpel")])
    ok = _row(estimator="cs_simple" + results.SUPPRESSED_TAG, estimate=float("nan"), std_error=None)
    assert len(results.check([ok])) == 1


# --- one list of départements ----------------------------------------------------------------------------------

def test_departements_are_the_cog_list():
    assert len(geo.DEPARTEMENTS) == 101 and len(set(geo.DEPARTEMENTS)) == 101
    assert {"01", "2A", "2B", "95", "971", "974", "976"} <= set(geo.DEPARTEMENTS)
    assert not {"20", "96", "975", "977"} & set(geo.DEPARTEMENTS)
    assert geo.DROM == tuple(c for c in geo.DEPARTEMENTS if c.startswith("97"))
    assert geo.is_departement("2A") and not geo.is_departement("975")
    import evalkit.context as ctx

    assert ctx.DEPARTEMENTS is geo.DEPARTEMENTS and ctx.DROM is geo.DROM


@pytest.mark.parametrize("code, ok", [("976", True), ("2B", True), ("1", True), ("975", False), ("20", False)])
def test_contract_departement_rule_is_the_cog_list(code, ok):
    import contract_data

    df = contract_data.msp()
    df["department"] = df["department"].astype(str)
    df.loc[0, "department"] = code
    if ok:
        contracts.validate(df, "msp")
    else:
        with pytest.raises(DataError, match="code département"):
            contracts.validate(df, "msp")


def test_registered_headlines_are_headline_rows_of_the_bundled_run():
    """Each (outcome, unit) a StudySpec names as headline is a headline row of its chapter on the bundled data."""
    est = pd.read_csv(BASELINE, dtype={"subgroup": str})
    for spec in registry.STUDIES:
        for outcome, unit in spec.headline:
            assert results.headline(est, spec.name, outcome, unit)["subgroup"] == "all"
