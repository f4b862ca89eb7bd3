"""The « Guide de l'évaluateur » shows what the code does: its dictionaries are the schemas, every results column and
command-line option is described, and its example error messages are evalkit's own, naming file and column."""

import re

import pandas as pd
import pytest

from evalkit import cli, contracts, guide, results
from evalkit.contracts import RESULTS_SCHEMA, STUDIES, validate


# --- input dictionaries ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("study", list(STUDIES))
def test_dictionary_rows_are_the_schema_columns(study):
    st = STUDIES[study]
    d = guide.dictionary(study)
    assert list(d["Colonne"]) == st.columns  # same columns, same order
    assert list(d["Vide autorisé"]) == ["oui" if st.schema.columns[c].nullable else "non" for c in st.columns]
    assert list(d["Description"]) == [st.schema.columns[c].description for c in st.columns]


@pytest.mark.parametrize("study", list(STUDIES))
def test_rendered_dictionary_shows_exactly_the_schema_columns(study):
    """What the reader sees (the HTML table) lists the schema's columns, and nothing else, in the schema's order."""
    html = guide.dictionary_table(study)._repr_html_()
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    first_cells = re.findall(r"<tr[^>]*>\s*<td[^>]*>([^<]*)</td>", body)
    assert first_cells == STUDIES[study].columns


def test_every_column_rule_is_translated():
    """A rule added to a schema without its French wording would show in English in the guide."""
    rules = {c.error for st in STUDIES.values() for col in st.schema.columns.values() for c in col.checks}
    assert rules <= set(guide.RULES_FR), rules - set(guide.RULES_FR)
    for study in STUDIES:
        assert not guide.dictionary(study)["Valeurs permises"].str.contains("must").any()


@pytest.mark.parametrize("study", list(STUDIES))
def test_every_column_has_an_snds_recipe_and_no_other(study):
    assert set(guide.SNDS_RECIPES[study]) == set(STUDIES[study].columns)
    assert list(guide.recipes(study)["Colonne"]) == STUDIES[study].columns


def test_recipe_codes_are_in_the_shipped_code_lists():
    """The NABM and CCAM codes the recipes quote are those the claims pipeline uses (no drift between the two)."""
    codelists = pytest.importorskip("evalkit.claims.codelists")
    codes = codelists.load_codes()
    shipped = {(s, str(c)) for s, c in zip(codes["code_system"], codes["code"])}
    text = guide.recipes("asalee")["Construction"].str.cat(sep=" ")
    for nabm in re.findall(r"NABM (\d{4})(?: ou (\d{4}))?", text):
        for code in filter(None, nabm):
            assert ("NABM", str(int(code))) in shipped, code
    for ccam in re.findall(r"\b([A-Z]{4}\d{3})\b", text):
        assert ("CCAM", ccam) in shipped, ccam


def test_files_overview_follows_the_contracts():
    tab = guide.files_overview()
    assert list(tab["Fichier"]) == [f"{s}.csv" for s in STUDIES]
    assert list(tab["Colonnes"]) == [len(st.columns) for st in STUDIES.values()]
    assert list(tab["Année d'entrée"]) == [st.cohort for st in STUDIES.values()]


@pytest.mark.parametrize("study", list(STUDIES))
def test_example_tables_are_valid(study):
    out = validate(guide.example_table(study), study, file=f"{study}.csv")
    st = STUDIES[study]
    assert out[st.cohort].isna().any() and out[st.cohort].notna().any()  # treated and never-treated units


# --- results table ---------------------------------------------------------------------------------------------------

def test_every_results_column_is_documented():
    assert set(guide.RESULTS_DESCRIPTIONS) == set(RESULTS_SCHEMA.columns)
    d = guide.results_dictionary()
    assert list(d["Colonne"]) == list(RESULTS_SCHEMA.columns) == results.RESULT_COLUMNS
    assert d["Description"].str.len().min() > 20
    assert not d["Description"].str.contains(r"\{").any()  # placeholders filled


def test_results_rules_and_patterns_are_translated():
    for chk in RESULTS_SCHEMA.checks:
        assert chk.error in guide.RULES_FR, chk.error
    for col in RESULTS_SCHEMA.columns.values():
        for chk in col.checks:
            if chk.name == "str_matches":
                assert chk.statistics["pattern"] in guide.PATTERNS_FR


def test_every_unit_is_documented():
    assert set(guide.UNIT_DESCRIPTIONS) == set(contracts.RESULT_UNITS)


def test_every_estimator_label_is_documented():
    assert set(guide.ESTIMATOR_DESCRIPTIONS) == set(contracts.ESTIMATORS)
    tab = guide.estimators_table()
    assert list(tab.df["estimator"]) == list(contracts.ESTIMATORS) and tab.df["Signification"].str.len().gt(10).all()


def test_run_json_keys_are_documented():
    man = guide.example_run_manifest()
    assert set(man) == set(guide.RUN_JSON_DESCRIPTIONS)
    assert man["files"]["msp"]["rows"] == len(guide.example_table("msp"))
    assert len(man["files"]["msp"]["sha256"]) == 64


# --- command line ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["", "validate", "run"])
def test_every_option_is_documented(command):
    tab = guide.cli_options(command)
    assert tab is not None
    assert set(tab["_option"]) == set(guide.CLI_OPTIONS_FR[command])


def test_claims_usage_matches_the_command_when_it_exists():
    """The guide prints CLAIMS_USAGE; once `evalkit claims` is a command, that syntax must parse."""
    if guide.cli_options("claims") is None:
        pytest.skip("evalkit claims is not yet a command of this evalkit")
    assert set(guide.cli_options("claims")["_option"]) <= set(guide.CLI_OPTIONS_FR["claims"])
    args = cli.build_parser().parse_args(["claims", "--claims", "in", "--out", "out", "--engine", "spark"])
    assert args.command == "claims"


def test_documented_run_syntax_parses():
    args = cli.build_parser().parse_args(["run", "--data", "d", "--out", "o", "--studies", "msp,asalee",
                                          "--seed", "7", "--balance", "drop"])
    assert (args.seed, args.balance) == (7, "drop")
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["run", "--data", "d", "--out", "o", "--balance", "sometimes"])


# --- example error messages --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def broken():
    return guide.broken_examples()


def test_broken_examples_name_file_and_column(broken):
    assert len(broken) == len(guide.BROKEN)
    for case in broken:
        assert case.message.startswith(case.file), case.message
        assert f"'{case.column}'" in case.message, (case.label, case.message)
        assert "Pour corriger :" in case.message, case.message


def test_broken_examples_cover_the_brief(broken):
    """Negative count, duplicate GP-year and option without a year are among the examples, with their rows."""
    by_col = {c.column: c for c in broken}
    assert "2 lignes" in by_col["file_active"].message and "≥ 0" in by_col["file_active"].message
    assert "gp_id, year" in by_col and "qui partagent une paire (gp_id, year)" in by_col["gp_id, year"].message
    assert "am_year est vide" in by_col["am_option"].message


def test_a_defect_evalkit_accepts_is_not_shown():
    """broken_examples() refuses to display a 'defect' that passes validation."""
    original = list(guide.BROKEN)
    guide.BROKEN.append(("rien de cassé", "msp", "gp_id", lambda d: d))
    try:
        with pytest.raises(AssertionError, match="accepted"):
            guide.broken_examples()
    finally:
        guide.BROKEN[:] = original


def test_claims_examples_are_the_pipelines_french_messages():
    """The guide quotes the claims pipeline's own messages: French, file and column named, the fix given, no path."""
    pytest.importorskip("evalkit.claims.pipeline")
    cases = guide.claims_examples()
    assert len(cases) == len(guide.CLAIMS_BROKEN)
    by_file = {c.file: c.message for c in cases}
    for c in cases:
        assert c.file in c.message and "Pour corriger :" in c.message and "Fix" not in c.message, c.message
        assert c.column in c.message and "/tmp" not in c.message and "evalkit-guide-" not in c.message, c.message
    assert by_file["msp_membership.csv"].startswith("msp_membership.csv : colonne 'entry_date' : 1 valeur qui n'est "
                                                    "pas une date") and "ligne 3" in by_file["msp_membership.csv"]
    assert "'quart temps'" not in by_file["assistants_contracts.csv"] and "quart temps, ligne 3" in by_file[
        "assistants_contracts.csv"]
    assert by_file["ER_PRS_F.parquet"].startswith("prestations")


def test_a_claims_defect_evalkit_accepts_is_not_shown():
    pytest.importorskip("evalkit.claims.pipeline")
    original = list(guide.CLAIMS_BROKEN)
    guide.CLAIMS_BROKEN[:] = [("rien de cassé", "msp_membership.csv", "entry_date",
                               {"msp_membership.csv": "gp_id,entry_date\n011000001,2019-03-01\n"})]
    try:
        with pytest.raises(AssertionError, match="accepted"):  # the accepted list lets the run go on to the claims
            guide.claims_examples()
    finally:
        guide.CLAIMS_BROKEN[:] = original


def test_balance_examples_follow_the_rules():
    cases = guide.balance_examples()
    assert [c.label for c in cases] == ["--balance warn", "--balance drop", "--balance error"]
    assert [c.kind for c in cases] == ["avertissement", "avertissement", "erreur"]
    for c in cases:
        assert c.message.startswith("assistants.csv") and "gp_id" in c.message
    assert "écartées" in cases[1].message and "Pour corriger" in cases[2].message


def test_cli_examples_are_real_runs():
    ok, bad = guide.cli_validate_examples()
    assert ok.exit_code == cli.EXIT_OK and "msp.csv : OK" in ok.stdout and "avertissement :" in ok.stderr
    assert bad.exit_code == cli.EXIT_USAGE and bad.stdout == ""
    assert "evalkit : erreur : msp.csv : colonne 'file_active'" in bad.stderr
    assert "assistants.csv : colonne 'am_option'" in bad.stderr  # every file checked before failing
    assert "Traceback" not in bad.stderr and "/tmp" not in bad.stderr + ok.stderr


def test_messages_block_renders_verbatim_and_escaped(broken):
    html = guide.messages_block(broken, "titre")._repr_html_()
    for case in broken:
        assert case.message.replace("'", "&#x27;").replace("<", "&lt;").replace(">", "&gt;") in html


# --- small cells -------------------------------------------------------------------------------------------------------

def test_suppression_examples():
    before, after = guide.suppression_example()
    small = pd.to_numeric(before["Médecins"]) < 11
    assert small.any() and (~small).any()
    assert (after.loc[small, "Médecins"] == "< 11").all()
    assert (after.loc[small, "Patients MT en moyenne"] == "< 11").all()
    rows = guide.results_suppression_example()
    hidden = rows["estimator"].str.endswith(results.SUPPRESSED_TAG)
    assert hidden.sum() == 1 and rows.loc[hidden, "estimate"].isna().all()
    results.check(rows)


def test_texts_and_invariants():
    t = guide.texts()
    assert t["guide_min_cell"] == "11" and t["guide_exit_usage"] == str(cli.EXIT_USAGE)
    assert all(isinstance(v, str) for v in t.values())
    guide.check_invariants()


def test_text_table_is_a_plots_table_with_left_aligned_cells():
    t = guide.dictionary_table("msp")
    from evalkit import plots

    assert isinstance(t, plots.Table)
    html = t._repr_html_()
    assert "text-align:left" in html and "Champ :" in html and "Source :" in html
