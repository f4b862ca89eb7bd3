"""Claims pipeline on DuckDB: exact round trip on synthetic SNDS claims, filters, code lists as data, errors, CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from evalkit.claims import (ASALEE_COLUMNS, ClaimsError, ClaimsOptions, SyntheticSpec, build_tables, cli_claims,
                            generate_claims, load_codes)
from evalkit.claims import sql as claims_sql
from evalkit.claims.codelists import default_files
from evalkit.contracts import DataError

SPEC = SyntheticSpec(n_patients=3000, first_year=2018, last_year=2022, seed=7)


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    return generate_claims(tmp_path_factory.mktemp("claims"), SPEC)


@pytest.fixture(scope="module")
def default_run(synth):
    return build_tables(synth.claims_dir)


def _copy_claims(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("_truth"))
    return dst


def _changed(base: pd.DataFrame, other: pd.DataFrame, col: str) -> pd.DataFrame:
    m = base.merge(other, on=["patient_id", "year"], suffixes=("", "_other"))
    return m[m[col] != m[f"{col}_other"]]


def _raw(synth, sql: str) -> pd.DataFrame:
    d = synth.claims_dir
    con = duckdb.connect()
    for t in ("ER_PRS_F", "ER_BIO_F", "ER_CAM_F", "ER_PHA_F", "ER_ETE_F"):
        con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{d / t}/*.parquet')")
    for t in ("IR_BEN_R", "IR_PHA_R", "IR_MTT_R", "DA_PRA_R"):
        con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{d / t}.parquet')")
    return con.execute(sql).df()


KEY = ", ".join(claims_sql.JOIN_KEY)


# --- the round trip ---------------------------------------------------------------------------------------------

def test_round_trip_recovers_asalee_table_exactly(synth, default_run):
    truth = synth.truth_asalee()
    assert len(truth) > 2000 and truth["nurse_followed"].sum() > 100 and truth["asalee_year"].notna().sum() > 500
    pd.testing.assert_frame_equal(default_run.asalee, truth)
    assert list(default_run.asalee.columns) == ASALEE_COLUMNS


def test_round_trip_recovers_gp_panel_exactly(synth, default_run):
    truth = synth.truth_gp_panel()
    assert (truth["patients_mt"] > 0).all() and truth["file_active"].sum() > 5000
    pd.testing.assert_frame_equal(default_run.gp_panel, truth)


def test_report_counts_exclusions(synth, default_run):
    rep = default_run.report["asalee"]
    assert rep["rows"] == len(default_run.asalee)
    # people without médecin traitant (p % 53 == 3) and with sex code 0 (p % 211 == 7) exist among diabetics
    assert rep["without_medecin_traitant"] > 0 and rep["without_valid_sex_or_birth_year"] > 0
    assert rep["diabetic_patient_years"] >= rep["rows"] + rep["without_medecin_traitant"]
    assert default_run.report["events"]["PHA"] > 0


# --- filters: each one excludes exactly the lines it should --------------------------------------------------------

def test_information_only_lines_are_excluded(synth, default_run):
    raw = _raw(synth, """SELECT count(*) AS n FROM ER_PRS_F WHERE DPN_QLF IN (71, 72) OR PRS_DPN_QLP IN (71, 72)""")
    assert raw["n"].iloc[0] > 50
    kept = build_tables(synth.claims_dir, tables=["asalee"], options=ClaimsOptions(excluded_dpn_qlf=()))
    flipped = _changed(default_run.asalee, kept.asalee, "hba1c_3plus")
    # keeping them turns a third, information-only HbA1c test into a real one: 0 → 1, never the reverse
    assert len(flipped) > 20 and (flipped["hba1c_3plus"] == 0).all() and (flipped["hba1c_3plus_other"] == 1).all()
    # and makes some "near miss" people treated diabetics (their third dispensing is information only)
    assert len(kept.asalee) > len(default_run.asalee)


def test_public_hospital_lines_are_excluded(synth, default_run):
    raw = _raw(synth, f"""SELECT count(*) AS n FROM ER_CAM_F c JOIN ER_ETE_F e USING ({KEY})
                          WHERE e.ETE_IND_TAA = 1 AND c.CAM_PRS_IDE = 'DEQP003'""")
    assert raw["n"].iloc[0] > 20
    kept = build_tables(synth.claims_dir, tables=["asalee"], options=ClaimsOptions(exclude_public_hospital=False))
    flipped = _changed(default_run.asalee, kept.asalee, "ecg_cardio")
    assert len(flipped) > 10 and (flipped["ecg_cardio"] == 0).all()
    # ER_ETE_F rows with ETE_IND_TAA 0 or empty exist and do not exclude their lines: nothing else changes
    assert _raw(synth, "SELECT count(*) AS n FROM ER_ETE_F WHERE ETE_IND_TAA IS NULL OR ETE_IND_TAA = 0")["n"][0] > 20
    for col in ("hba1c_3plus", "microalb", "creatinine", "lipids", "fundus_2y"):
        assert _changed(default_run.asalee, kept.asalee, col).empty


def test_flux_window_excludes_late_lines(synth, default_run):
    late = _raw(synth, """SELECT count(*) AS n FROM ER_PRS_F
                          WHERE FLX_DIS_DTD >= make_date(year(EXE_SOI_DTD) + 1, 7, 1)""")
    assert late["n"].iloc[0] > 20
    kept = build_tables(synth.claims_dir, tables=["asalee"], options=ClaimsOptions(flux_lag_months=None))
    flipped = _changed(default_run.asalee, kept.asalee, "lipids")
    assert len(flipped) > 10 and (flipped["lipids"] == 0).all()
    # a 9-month window lets the same late lines in
    nine = build_tables(synth.claims_dir, tables=["asalee"], options=ClaimsOptions(flux_lag_months=9))
    assert len(_changed(default_run.asalee, nine.asalee, "lipids")) == len(flipped)


def test_negative_quantity_regularisations_are_netted(synth, default_run):
    # cancelled microalbuminuria tests: a +1 line and a −1 copy in a later flux, for people whose truth is 0
    pairs = _raw(synth, f"""
        SELECT b.BEN_NIR_ANO AS patient_id, year(p.EXE_SOI_DTD) AS year, sum(q.BIO_ACT_QSN) AS net,
               count(*) FILTER (q.BIO_ACT_QSN < 0) AS negatives, min(p.FLX_DIS_DTD) < max(p.FLX_DIS_DTD) AS later
        FROM ER_PRS_F p JOIN ER_BIO_F q USING ({KEY})
        JOIN IR_BEN_R b ON b.BEN_NIR_PSA = p.BEN_NIR_PSA AND b.BEN_RNG_GEM = p.BEN_RNG_GEM
        WHERE q.BIO_PRS_IDE = 1133 GROUP BY 1, 2 HAVING count(*) FILTER (q.BIO_ACT_QSN < 0) > 0""")
    assert len(pairs) > 10 and (pairs["net"] == 0).all() and pairs["later"].all()
    out = default_run.asalee.merge(pairs, on=["patient_id", "year"])
    assert len(out) > 10 and (out["microalb"] == 0).all()
    # partial regularisations (2 boxes, then −1) leave a dispensing that still counts
    partial = _raw(synth, f"""
        SELECT b.BEN_NIR_ANO AS patient_id, year(p.EXE_SOI_DTD) AS year
        FROM ER_PRS_F p JOIN ER_PHA_F f USING ({KEY})
        JOIN IR_BEN_R b ON b.BEN_NIR_PSA = p.BEN_NIR_PSA AND b.BEN_RNG_GEM = p.BEN_RNG_GEM
        GROUP BY 1, 2, p.EXE_SOI_DTD, f.PHA_PRS_C13 HAVING min(f.PHA_ACT_QSN) = -1 AND max(f.PHA_ACT_QSN) = 2""")
    assert len(partial) > 20
    assert len(default_run.asalee.merge(partial.drop_duplicates(), on=["patient_id", "year"])) > 0.8 * len(
        partial.drop_duplicates())


def test_diabetes_rule_large_pack_and_sglt2(synth, default_run):
    # without the large-pack rule, people with 2 dispensing dates (one a large pack) are no longer diabetic
    strict = build_tables(synth.claims_dir, tables=["asalee"],
                          options=ClaimsOptions(min_dispensing_dates_large_pack=None))
    assert 20 < len(default_run.asalee) - len(strict.asalee)
    # SGLT2-inhibitor monotherapy counts before 2022, not from 2022
    sglt2 = _raw(synth, f"""
        SELECT DISTINCT b.BEN_NIR_ANO AS patient_id FROM ER_PRS_F p JOIN ER_PHA_F f USING ({KEY})
        JOIN IR_BEN_R b ON b.BEN_NIR_PSA = p.BEN_NIR_PSA AND b.BEN_RNG_GEM = p.BEN_RNG_GEM
        JOIN IR_PHA_R r ON r.PHA_CIP_C13 = f.PHA_PRS_C13 WHERE r.PHA_ATC_C07 LIKE 'A10BK%'""")
    rows = default_run.asalee[default_run.asalee["patient_id"].isin(sglt2["patient_id"])]
    assert len(rows) > 20 and rows["year"].max() == 2021
    keep = build_tables(synth.claims_dir, tables=["asalee"],
                        options=ClaimsOptions(sglt2_monotherapy_excluded_from=None))
    assert keep.asalee[keep.asalee["patient_id"].isin(sglt2["patient_id"])]["year"].max() == 2022


def test_twins_are_told_apart_by_birth_rank(synth, default_run):
    twins = _raw(synth, """SELECT BEN_NIR_PSA, count(DISTINCT BEN_NIR_ANO) AS n FROM IR_BEN_R
                           GROUP BY 1 HAVING count(DISTINCT BEN_NIR_ANO) > 1""")
    assert len(twins) >= 20
    truth_ids = set(synth.truth_asalee()["patient_id"])
    assert truth_ids == set(default_run.asalee["patient_id"])


def test_gp_who_changes_practice_keeps_one_id(synth, default_run, tmp_path):
    gps = _raw(synth, "SELECT PFS_PFS_NUM, STA_PFS_NUM FROM DA_PRA_R WHERE PFS_PFS_NUM <> STA_PFS_NUM")
    assert len(gps) >= 1
    old, new = gps.iloc[0]["PFS_PFS_NUM"], gps.iloc[0]["STA_PFS_NUM"]
    used = _raw(synth, f"SELECT count(DISTINCT PFS_EXE_NUM) AS n FROM ER_PRS_F WHERE PFS_EXE_NUM IN ('{old}', '{new}')")
    assert used["n"].iloc[0] == 2  # claims under both practice numbers
    panel = default_run.gp_panel
    assert new in set(panel["gp_id"]) and old not in set(panel["gp_id"])
    assert panel[panel["gp_id"] == new]["year"].nunique() == SPEC.last_year - SPEC.first_year + 1
    # without DA_PRA_R the GP splits in two
    d = _copy_claims(synth.claims_dir, tmp_path / "no_da_pra_r")
    (d / "DA_PRA_R.parquet").unlink()
    msgs: list[str] = []
    split = build_tables(d, tables=["gp_panel"], progress=msgs.append)
    assert {old, new} <= set(split.gp_panel["gp_id"])
    assert any("DA_PRA_R absente" in m for m in msgs)


def test_gp_change_within_year_goes_to_the_gp_in_force_at_year_end(synth, default_run):
    decl = _raw(synth, """
        SELECT b.BEN_NIR_ANO AS patient_id, m.MTT_PFS_NUM, m.MTT_DEP_DTE, d.STA_PFS_NUM AS gp_id
        FROM IR_MTT_R m JOIN IR_BEN_R b ON b.BEN_NIR_PSA = m.BEN_NIR_PSA AND b.BEN_RNG_GEM = m.BEN_RNG_GEM
        JOIN DA_PRA_R d ON d.PFS_PFS_NUM = m.MTT_PFS_NUM
        WHERE year(m.MTT_DEP_DTE) BETWEEN 2018 AND 2022 AND month(m.MTT_DEP_DTE) <> 7""")  # July 1 = GP's move
    assert len(decl) > 10
    decl["year"] = pd.to_datetime(decl["MTT_DEP_DTE"]).dt.year
    got = default_run.asalee.merge(decl, on=["patient_id", "year"], suffixes=("", "_new"))
    assert len(got) > 0 and (got["gp_id"] == got["gp_id_new"]).all()


def test_participation_file_is_optional(synth, tmp_path):
    d = _copy_claims(synth.claims_dir, tmp_path / "no_part")
    (d / "asalee_participation.csv").unlink()
    res = build_tables(d, tables=["asalee"])
    assert res.asalee["asalee_year"].isna().all() and (res.asalee["nurse_followed"] == 0).all()
    base = synth.truth_asalee()
    cols = [c for c in ASALEE_COLUMNS if c not in ("asalee_year", "nurse_followed")]
    pd.testing.assert_frame_equal(res.asalee[cols], base[cols])


def test_followed_patients_of_non_asalee_gps_are_not_flagged(synth, tmp_path):
    d = _copy_claims(synth.claims_dir, tmp_path / "extra_follow")
    truth = synth.truth_asalee()
    outsider = truth[truth["asalee_year"].isna()].iloc[0]
    part = pd.read_csv(d / "asalee_participation.csv", dtype=str)
    extra = pd.DataFrame({"patient_id": [outsider["patient_id"]], "year": [str(outsider["year"])]})
    pd.concat([part, extra], ignore_index=True).to_csv(d / "asalee_participation.csv", index=False)
    res = build_tables(d, tables=["asalee"])
    pd.testing.assert_frame_equal(res.asalee, truth)
    assert res.report["asalee"]["followed_listed_but_gp_not_in_asalee"] == 1


# --- code lists are data -------------------------------------------------------------------------------------------

def test_code_lists_load_from_versioned_csv_files():
    codes = load_codes()
    assert [f.name for f in default_files()] == ["diabetes_v1.csv", "gp_activity_v1.csv"]
    assert set(codes["file"]) == {"diabetes_v1.csv", "gp_activity_v1.csv"}

    def get(ind):
        return set(codes.loc[codes["indicator"] == ind, "code"])

    assert get("hba1c") == {"1577"} and get("microalb") == {"1133"} and get("lipids") == {"996"}
    assert get("creatinine") == {"592", "593"}  # '0592' in the file: NABM codes are integers in ER_BIO_F
    assert "2004" not in get("microalb") and "1001" not in get("lipids") and "BZQK001" not in get("fundus")
    assert {"DEQP003", "3"} <= get("ecg_cardio") and {"BGQP002", "BGQP007", "BGQP140", "15"} <= get("fundus")
    assert codes["verified"].dtype == bool and codes["source"].str.len().min() > 5


def test_a_code_added_to_the_file_changes_the_output(synth, default_run, tmp_path):
    # NABM 2004 (proteinuria) is deliberately NOT microalbuminuria; adding it in a code file counts the trap lines
    src = default_files()[0].read_text(encoding="utf-8")
    f = tmp_path / "diabetes_v2.csv"
    f.write_text(src + "microalb,NABM,2004,UR : PROTEINURIE (test only),test,false\n", encoding="utf-8")
    res = build_tables(synth.claims_dir, tables=["asalee"], codes=[f, default_files()[1]])
    flipped = _changed(default_run.asalee, res.asalee, "microalb")
    assert len(flipped) > 10 and (flipped["microalb_other"] == 1).all()


@pytest.mark.parametrize("row, needle", [
    ("hba1C,NABM,1577,x,y,true", "colonne 'indicator' : indicateur inconnu 'hba1C'"),
    ("fundus,CCAM,BGQP02,x,y,true", "colonne 'code' : 'BGQP02' n'est pas un code CCAM bien formé"),
    ("hba1c,CCAM,DEQP003,x,y,true", "colonne 'code_system' : 'CCAM' ne peut pas définir 'hba1c'"),
    ("hba1c,NABM,1577,x,y,maybe", "colonne 'verified' : 'maybe' n'est ni true ni false"),
    ("creatinine,NABM,592,dup,y,true", "lignes répètent un même triplet (indicator, code_system, code)"),
])
def test_code_list_errors_name_file_and_line(tmp_path, row, needle):
    f = tmp_path / "bad_v1.csv"
    text = default_files()[0].read_text(encoding="utf-8")
    f.write_text(text + row + "\n", encoding="utf-8")
    with pytest.raises(ClaimsError) as e:
        load_codes([f, default_files()[1]])
    msg = str(e.value)
    assert needle in msg and msg.startswith("bad_v1.csv : ") and "Pour corriger :" in msg and "Fix" not in msg
    if "triplet" not in needle:  # the added row is the file's last line (the header is line 1)
        assert msg.startswith(f"bad_v1.csv : ligne {len(text.splitlines()) + 1} : ")


# --- errors --------------------------------------------------------------------------------------------------------

def test_missing_table_raises_data_error_with_fix(synth, tmp_path):
    d = _copy_claims(synth.claims_dir, tmp_path / "no_cam")
    shutil.rmtree(d / "ER_CAM_F")
    with pytest.raises(DataError) as e:
        build_tables(d)
    msg = str(e.value)
    assert isinstance(e.value, ClaimsError)
    assert "table ER_CAM_F introuvable" in msg and "Pour corriger : exporter ER_CAM_F" in msg and str(d) in msg


def test_missing_column_raises_data_error_naming_file_and_column(synth, tmp_path):
    d = _copy_claims(synth.claims_dir, tmp_path / "no_col")
    ben = pd.read_parquet(d / "IR_BEN_R.parquet").drop(columns=["BEN_RNG_GEM"])
    ben.to_parquet(d / "IR_BEN_R.parquet")
    with pytest.raises(ClaimsError) as e:
        build_tables(d)
    msg = str(e.value)
    assert "IR_BEN_R.parquet : table IR_BEN_R : colonne BEN_RNG_GEM absente" in msg
    assert "Pour corriger : exporter de nouveau IR_BEN_R" in msg
    assert e.value.column == "BEN_RNG_GEM"


def test_ambiguous_ir_ben_r_is_refused(synth, tmp_path):
    d = _copy_claims(synth.claims_dir, tmp_path / "ambiguous")
    ben = pd.read_parquet(d / "IR_BEN_R.parquet")
    dup = ben.iloc[[0]].assign(BEN_NIR_ANO="ANO_OTHER")
    pd.concat([ben, dup]).to_parquet(d / "IR_BEN_R.parquet")
    with pytest.raises(ClaimsError,
                       match="1 couple \\(BEN_NIR_PSA, BEN_RNG_GEM\\) renvoie à plus d'un BEN_NIR_ANO") as e:
        build_tables(d)
    assert "Pour corriger : garder un seul BEN_NIR_ANO" in str(e.value) and e.value.column == "BEN_NIR_ANO"


def test_bad_participation_file_is_refused(synth, tmp_path):
    d = _copy_claims(synth.claims_dir, tmp_path / "bad_part")
    (d / "asalee_participation.csv").write_text("gp_id,asalee_year\n01100001,2015\n01100001,2016\n")
    with pytest.raises(ClaimsError, match="asalee_participation.csv : colonne 'asalee_year' : 1 médecin avec plus "
                                          "d'une année d'entrée \\(premier : 01100001\\). Pour corriger :"):
        build_tables(d, tables=["asalee"])


# --- the SQL is one text for both engines ---------------------------------------------------------------------------

@pytest.mark.parametrize("opts", [ClaimsOptions(), ClaimsOptions(years=(2019, 2021), flux_lag_months=18,
                                                                excluded_dpn_qlf=(), exclude_public_hospital=False,
                                                                min_dispensing_dates_large_pack=None,
                                                                sglt2_monotherapy_excluded_from=None)])
def test_sql_stays_in_the_duckdb_spark_common_subset(opts):
    for panel in (True, False):
        for da in (True, False):
            for death in (True, False):
                for name, text in claims_sql.statements(opts.rules(panel, death), da).items():
                    assert claims_sql.check_portable(text) == [], name


def test_portability_check_catches_dialect_specific_sql():
    assert claims_sql.check_portable("SELECT x::BIGINT FROM t QUALIFY row_number() OVER (ORDER BY x DESC) = 1")
    assert claims_sql.check_portable("SELECT d + INTERVAL 1 MONTH FROM t")
    assert claims_sql.check_portable("SELECT a FROM t ANTI JOIN u USING (a)")


def test_years_option_restricts_output_and_keeps_previous_year_for_fundus(synth, default_run):
    res = build_tables(synth.claims_dir, tables=["asalee"], options=ClaimsOptions(years=(2020, 2021)))
    want = default_run.asalee[default_run.asalee["year"].between(2020, 2021)].reset_index(drop=True)
    pd.testing.assert_frame_equal(res.asalee, want)


# --- the CLI function ----------------------------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore::evalkit.contracts.DataWarning")  # GPs already in an MSP the first year
def test_cli_claims_writes_contract_files_the_loader_accepts(synth, tmp_path):
    from evalkit.io import load

    msgs: list[str] = []
    paths = cli_claims(synth.claims_dir, tmp_path / "out", progress=msgs.append)
    assert set(paths) == {"asalee", "gp_panel", "msp", "assistants", "report"}
    assert all(p.is_file() for p in paths.values())
    from evalkit.claims.pipeline import normalize_gp_table
    for study, truth in (("msp", synth.truth_msp()), ("assistants", synth.truth_assistants())):
        assert len(load(study, tmp_path / "out", balance="warn")) > 0  # the contract loader accepts the file
        back = pd.read_csv(paths[study], dtype={"gp_id": str, "department": str})
        pd.testing.assert_frame_equal(normalize_gp_table(back, study), truth)
    df = load("asalee", tmp_path / "out")
    assert len(df) == len(synth.truth_asalee())
    back = pd.read_csv(paths["asalee"], dtype={"patient_id": str, "gp_id": str})
    assert back["asalee_year"].isna().sum() > 0  # empty cells for GPs never in Asalée
    panel = pd.read_csv(paths["gp_panel"], dtype={"gp_id": str})
    assert list(panel.columns) == ["gp_id", "year", "patients_mt", "file_active", "acts"]
    report = json.loads(paths["report"].read_text())
    assert report["engine"] == "duckdb" and set(report["code_list_sha256"]) == {"diabetes_v1.csv", "gp_activity_v1.csv"}
    assert any(m.startswith("asalee : ") for m in msgs) and any(m.startswith("écrits : ") for m in msgs)


def test_cli_claims_error_leaves_no_partial_output(synth, tmp_path):
    d = _copy_claims(synth.claims_dir, tmp_path / "broken")
    shutil.rmtree(d / "ER_PHA_F")
    out = tmp_path / "out"
    with pytest.raises(DataError):
        cli_claims(d, out)
    assert not out.exists() or not any(out.iterdir())


def test_generator_is_deterministic(tmp_path):
    spec = SyntheticSpec(n_patients=600, first_year=2019, last_year=2020, seed=3)
    a = generate_claims(tmp_path / "a", spec)
    b = generate_claims(tmp_path / "b", spec)
    pd.testing.assert_frame_equal(a.truth_asalee(), b.truth_asalee())
    order = ["DCT_ORD_NUM", "ORG_CLE_NUM", "PRS_ORD_NUM"]
    pa_ = pd.read_parquet(a.claims_dir / "ER_PRS_F").sort_values(order).reset_index(drop=True)
    pb_ = pd.read_parquet(b.claims_dir / "ER_PRS_F").sort_values(order).reset_index(drop=True)
    pd.testing.assert_frame_equal(pa_, pb_)
    assert a.rows == b.rows


# --- msp.csv and assistants.csv: the GP-year tables from the claims and the referential lists -----------------------

def test_round_trip_recovers_msp_and_assistants_tables_exactly(synth, default_run):
    msp, am = synth.truth_msp(), synth.truth_assistants()
    assert msp["msp_year"].notna().any() and msp["msp_year"].isna().any() and (msp["fees"] > 0).all()
    assert am["am_year"].notna().any() and am["am_option"].notna().sum() == am["am_year"].notna().sum()
    pd.testing.assert_frame_equal(default_run.msp, msp)
    pd.testing.assert_frame_equal(default_run.assistants, am)
    from evalkit.contracts import STUDIES
    assert list(default_run.msp.columns) == STUDIES["msp"].columns
    assert list(default_run.assistants.columns) == STUDIES["assistants"].columns
    # the GP-year rows are the panel's; patients_mt, file_active and acts are the panel's numbers
    panel = default_run.gp_panel.set_index(["gp_id", "year"])
    for df in (default_run.msp, default_run.assistants):
        same = df.set_index(["gp_id", "year"])[["patients_mt", "file_active"]]
        pd.testing.assert_frame_equal(same, panel.loc[same.index, ["patients_mt", "file_active"]])


def test_referential_lists_carry_the_traps_the_pipeline_must_handle(synth, default_run):
    msp = pd.read_csv(synth.claims_dir / "msp_membership.csv", dtype=str)
    am = pd.read_csv(synth.claims_dir / "assistants_contracts.csv", dtype=str)
    gps = _raw(synth, "SELECT PFS_PFS_NUM AS num, STA_PFS_NUM AS gp_id FROM DA_PRA_R")
    chain = dict(zip(gps["num"], gps["gp_id"]))
    assert msp["gp_id"].map(chain).duplicated().any()  # a GP listed twice (under both numbers): earliest date
    assert msp["entry_date"].str.contains("/").any() and am["start_date"].str.contains("/").any()
    assert am["option"].str.contains("temps").any() and am["gp_id"].map(chain).duplicated().any()
    # the earliest MSP date counts
    msp["gp"] = msp["gp_id"].map(chain)
    msp["y"] = pd.to_datetime(msp["entry_date"], format="mixed", dayfirst=True).dt.year
    twice = msp[msp["gp"].duplicated(keep=False)].groupby("gp")["y"].min()
    got = default_run.msp.drop_duplicates("gp_id").set_index("gp_id")["msp_year"]
    for gp, y in twice.items():
        if gp in got.index:
            assert got[gp] == y


def test_deaths_close_medecin_traitant_declarations(synth, default_run, tmp_path):
    # dead people keep an open declaration in IR_MTT_R; only IR_BEN_R.BEN_DCD_DTE says they died
    dead = _raw(synth, """
        SELECT DISTINCT b.BEN_NIR_ANO AS patient, year(b.BEN_DCD_DTE) AS death_year
        FROM IR_BEN_R b JOIN IR_MTT_R m ON m.BEN_NIR_PSA = b.BEN_NIR_PSA AND m.BEN_RNG_GEM = b.BEN_RNG_GEM
        WHERE b.BEN_DCD_DTE > DATE '1900-01-01' AND (m.MTT_FIN_DTE IS NULL OR m.MTT_FIN_DTE < DATE '1900-01-01'
                                                     OR m.MTT_FIN_DTE > DATE '2100-01-01')""")
    assert len(dead) > 10
    # patient-years after death a pipeline ignoring deaths would count at 31 December
    ghost = int(sum(max(0, SPEC.last_year - max(y, SPEC.first_year) + 1) for y in dead["death_year"]))
    assert ghost > 10
    d = _copy_claims(synth.claims_dir, tmp_path / "no_death")
    ben = pd.read_parquet(d / "IR_BEN_R.parquet").drop(columns=["BEN_DCD_DTE"])
    ben.to_parquet(d / "IR_BEN_R.parquet")
    msgs: list[str] = []
    blind = build_tables(d, tables=["gp_panel"], progress=msgs.append)
    assert any("BEN_DCD_DTE" in m for m in msgs)
    assert blind.gp_panel["patients_mt"].sum() - default_run.gp_panel["patients_mt"].sum() == ghost
    pd.testing.assert_frame_equal(default_run.gp_panel, synth.truth_gp_panel())
    # 1600-01-01 (« no date ») is not a death: people written so are in the panel
    assert _raw(synth, "SELECT count(*) AS n FROM IR_BEN_R WHERE BEN_DCD_DTE = DATE '1600-01-01'")["n"].iloc[0] > 0


def test_fees_net_out_regularisation_lines(synth, default_run, tmp_path):
    neg = _raw(synth, """
        SELECT d.STA_PFS_NUM AS gp_id, year(p.EXE_SOI_DTD) AS year, sum(p.PRS_PAI_MNT) AS minus
        FROM ER_PRS_F p JOIN DA_PRA_R d ON d.PFS_PFS_NUM = p.PFS_EXE_NUM
        WHERE p.PRS_PAI_MNT < 0 AND p.PSE_SPE_COD IN (1, 22) AND p.DPN_QLF NOT IN (71, 72)
          AND p.PRS_DPN_QLP NOT IN (71, 72)
        GROUP BY d.STA_PFS_NUM, year(p.EXE_SOI_DTD)""")
    assert len(neg) > 5  # cancelled GP visits: a line, then its copy with a negative amount
    d = _copy_claims(synth.claims_dir, tmp_path / "no_neg")
    prs = pd.read_parquet(d / "ER_PRS_F")
    shutil.rmtree(d / "ER_PRS_F")
    prs[~((prs["PRS_PAI_MNT"] < 0) & prs["PSE_SPE_COD"].isin([1, 22]))].to_parquet(d / "ER_PRS_F.parquet")
    kept = build_tables(d, tables=["msp"]).msp.set_index(["gp_id", "year"])["fees"]
    base = default_run.msp.set_index(["gp_id", "year"])["fees"]
    diff = (kept - base).round(2)
    want = (-neg.set_index(["gp_id", "year"])["minus"]).round(2).reindex(diff.index, fill_value=0.0)
    pd.testing.assert_series_equal(diff, want, check_names=False)
    pd.testing.assert_frame_equal(default_run.msp, synth.truth_msp())


def test_gp_who_moves_keeps_one_id_commune_and_entry_year(synth, default_run, tmp_path):
    gps = _raw(synth, """SELECT PFS_PFS_NUM AS old, STA_PFS_NUM AS new FROM DA_PRA_R WHERE PFS_PFS_NUM <> STA_PFS_NUM""")
    old, new = gps.iloc[0]["old"], gps.iloc[0]["new"]
    com = _raw(synth, f"SELECT PFS_EXC_COM FROM DA_PRA_R WHERE PFS_PFS_NUM = '{new}'")["PFS_EXC_COM"].iloc[0]
    for df in (default_run.msp, default_run.assistants):
        assert old not in set(df["gp_id"]) and df[df["gp_id"] == new]["year"].nunique() == SPEC.last_year - SPEC.first_year + 1
        assert set(df.loc[df["gp_id"] == new, "department"]) == {com[:3] if com.startswith("97") else com[:2]}
    # a list naming the GP by the old practice number gives the entry year to the one GP id
    d = _copy_claims(synth.claims_dir, tmp_path / "old_number")
    pd.DataFrame({"gp_id": [old, new], "entry_date": ["15/03/2020", "2021-01-01"]}).to_csv(
        d / "msp_membership.csv", index=False)
    res = build_tables(d, tables=["msp"])
    assert set(res.msp.loc[res.msp["gp_id"] == new, "msp_year"]) == {2020}
    assert res.msp.loc[res.msp["gp_id"] != new, "msp_year"].isna().all()
    assert res.report["msp"]["listed_gps"] == 1 and res.report["msp"]["listed_ids_not_found"] == 0


def test_departement_is_read_off_the_commune_code():
    from evalkit.claims.pipeline import _department

    got = _department(pd.Series(["2A004", "97411", "01004", "97611", "75056"]))
    assert list(got) == ["2A", "974", "01", "976", "75"]


def test_commune_absent_from_zoning_leaves_gp_out_and_is_counted(synth, default_run, tmp_path):
    d = _copy_claims(synth.claims_dir, tmp_path / "zoning")
    zone = pd.read_csv(d / "zoning.csv", dtype=str)
    attrs = _raw(synth, "SELECT STA_PFS_NUM AS gp_id, PFS_EXC_COM AS commune FROM DA_PRA_R "
                        "WHERE PFS_PFS_NUM = STA_PFS_NUM")
    victim = attrs.iloc[0]
    zone[zone["commune"] != victim["commune"]].to_csv(d / "zoning.csv", index=False)
    res = build_tables(d, tables=["assistants"])
    lost = default_run.assistants[default_run.assistants["gp_id"].isin(
        attrs.loc[attrs["commune"] == victim["commune"], "gp_id"])]
    assert len(lost) > 0 and res.report["assistants"]["gp_years_commune_not_in_zoning"] == len(lost)
    assert len(res.assistants) == len(default_run.assistants) - len(lost)


def test_gp_tables_are_built_only_with_their_lists(synth, tmp_path):
    d = _copy_claims(synth.claims_dir, tmp_path / "no_lists")
    (d / "msp_membership.csv").unlink()
    (d / "assistants_contracts.csv").unlink()
    res = build_tables(d, tables=None)
    assert res.msp is None and res.assistants is None and res.gp_panel is not None
    with pytest.raises(ClaimsError) as e:
        build_tables(d, tables=["msp"])
    assert "Pour corriger :" in str(e.value) and "msp_membership.csv" in str(e.value)
    # the lists can live anywhere (the CLI's --msp / --assistants / --zoning)
    lists = tmp_path / "lists"
    lists.mkdir()
    for f in ("msp_membership.csv", "assistants_contracts.csv", "zoning.csv"):
        shutil.copy(synth.claims_dir / f, lists / f)
    (d / "zoning.csv").unlink()
    res = build_tables(d, msp_list=lists / "msp_membership.csv", am_list=lists / "assistants_contracts.csv",
                       zoning=lists / "zoning.csv", tables=["msp", "assistants"])
    pd.testing.assert_frame_equal(res.msp, synth.truth_msp())
    pd.testing.assert_frame_equal(res.assistants, synth.truth_assistants())


@pytest.mark.parametrize("fname, text, column, needle", [
    ("assistants_contracts.csv", "gp_id,start_date,option\n01100000,2019-01-01,quart temps\n", "option", "third, half"),
    ("assistants_contracts.csv", "gp_id,start_date,option\n01100000,2019-13-01,full\n", "start_date", "2019-03-01"),
    ("msp_membership.csv", "gp_id,date\n01100000,2019-01-01\n", "entry_date", "entry_date"),
    ("msp_membership.csv", "gp_id,entry_date\n,2019-01-01\n", "gp_id", "remplir"),
    ("zoning.csv", "commune,underserved,rurality\n1004,0,urban\n", "commune", "zéro"),
    ("zoning.csv", "commune,underserved,rurality\n01004,2,urban\n", "underserved", "0 sinon"),
    ("zoning.csv", "commune,underserved,rurality\n01004,1,city\n", "rurality", "periurban"),
])
def test_bad_referential_list_is_refused_in_french(synth, tmp_path, fname, text, column, needle):
    d = _copy_claims(synth.claims_dir, tmp_path / "bad_list")
    (d / fname).write_text(text)
    with pytest.raises(ClaimsError) as e:
        build_tables(d)
    msg = str(e.value)
    assert fname in msg and "Pour corriger :" in msg and needle in msg and e.value.column == column


def test_gp_tables_need_da_pra_r_attributes_and_amounts(synth, tmp_path):
    d = _copy_claims(synth.claims_dir, tmp_path / "no_commune")
    pd.read_parquet(d / "DA_PRA_R.parquet").drop(columns=["PFS_EXC_COM"]).to_parquet(d / "DA_PRA_R.parquet")
    with pytest.raises(ClaimsError) as e:
        build_tables(d)
    assert "PFS_EXC_COM" in str(e.value) and "Pour corriger :" in str(e.value) and e.value.column == "PFS_EXC_COM"
    # the asalee table does not need them
    assert build_tables(d, tables=["asalee"]).asalee is not None


def test_cli_command_takes_the_lists_from_options(synth, tmp_path, capsys):
    from evalkit import cli

    d = _copy_claims(synth.claims_dir, tmp_path / "claims")
    lists = tmp_path / "lists"
    lists.mkdir()
    for f in ("msp_membership.csv", "assistants_contracts.csv", "zoning.csv"):
        shutil.move(d / f, lists / f)
    out = tmp_path / "out"
    rc = cli.main(["--quiet", "claims", "--claims", str(d), "--out", str(out), "--msp",
                   str(lists / "msp_membership.csv"), "--assistants", str(lists / "assistants_contracts.csv"),
                   "--zoning", str(lists / "zoning.csv")])
    assert rc == cli.EXIT_OK
    from evalkit.claims.pipeline import normalize_gp_table
    back = pd.read_csv(out / "msp.csv", dtype={"gp_id": str, "department": str})
    pd.testing.assert_frame_equal(normalize_gp_table(back, "msp"), synth.truth_msp())
    # without lists, only the Asalée table and the panel; a list that does not exist is a clear French error
    out2 = tmp_path / "out2"
    assert cli.main(["--quiet", "claims", "--claims", str(d), "--out", str(out2)]) == cli.EXIT_OK
    assert sorted(p.name for p in out2.iterdir()) == ["asalee.csv", "claims_report.json", "gp_panel.csv"]
    capsys.readouterr()
    rc = cli.main(["--quiet", "claims", "--claims", str(d), "--out", str(tmp_path / "o3"), "--msp",
                   str(lists / "nope.csv")])
    err = capsys.readouterr().err
    assert rc == cli.EXIT_USAGE and "--msp" in err and "Pour corriger :" in err and "Traceback" not in err
    assert not (tmp_path / "o3").exists()
    with pytest.raises(SystemExit):
        cli.main(["claims", "--help"])
    helptext = capsys.readouterr().out
    assert all(o in helptext for o in ("--msp", "--assistants", "--zoning", "zonage des communes"))


def test_participation_year_errors_name_the_rows(synth, tmp_path):
    d = _copy_claims(synth.claims_dir, tmp_path / "bad_year")
    (d / "asalee_participation.csv").write_text("gp_id,asalee_year\n01100001,2015\n01100002,20x5\n01100003,1800\n")
    with pytest.raises(ClaimsError) as e:
        build_tables(d, tables=["asalee"])
    assert str(e.value).startswith("asalee_participation.csv : colonne 'asalee_year' : 2 valeurs qui ne sont pas une "
                                   "année à quatre chiffres entre 1990 et 2100 (premières : 20x5 (ligne 3), 1800 "
                                   "(ligne 4)). Pour corriger : ")
    assert e.value.column == "asalee_year" and e.value.n_rows == 2


def test_no_english_fix_left_in_the_claims_messages():
    """Every message of `evalkit claims` is French: no « Fix: » left in the pipeline's sources."""
    import evalkit.claims as pkg

    for f in Path(pkg.__file__).parent.glob("*.py"):
        assert "Fix:" not in f.read_text(encoding="utf-8"), f.name
