"""Claims pipeline on Spark (local): the same SQL gives the known truth and exactly DuckDB's output.

One local Spark session for the module. Run alone with ``pytest -m spark``; skip with ``-m "not spark"``.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from evalkit.claims import ClaimsError, ClaimsOptions, SyntheticSpec, build_tables, cli_claims, generate_claims

pytestmark = pytest.mark.spark

SPEC = SyntheticSpec(n_patients=3000, first_year=2018, last_year=2022, seed=7)


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark")
    from evalkit.claims import spark_session

    session = spark_session("local[2]", {"spark.sql.shuffle.partitions": "2"})
    yield session
    session.stop()


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    return generate_claims(tmp_path_factory.mktemp("claims_spark"), SPEC)


def test_spark_recovers_the_truth_and_matches_duckdb(spark, synth):
    sp = build_tables(synth.claims_dir, engine="spark", spark=spark)
    dk = build_tables(synth.claims_dir, engine="duckdb")
    assert sp.report["engine"] == "spark" and dk.report["engine"] == "duckdb"
    pd.testing.assert_frame_equal(sp.asalee, synth.truth_asalee())
    pd.testing.assert_frame_equal(sp.gp_panel, synth.truth_gp_panel())
    pd.testing.assert_frame_equal(sp.asalee, dk.asalee)
    pd.testing.assert_frame_equal(sp.gp_panel, dk.gp_panel)
    assert sp.report["events"] == dk.report["events"] and sp.report["asalee"] == dk.report["asalee"]
    pd.testing.assert_frame_equal(sp.msp, synth.truth_msp())
    pd.testing.assert_frame_equal(sp.assistants, synth.truth_assistants())
    pd.testing.assert_frame_equal(sp.msp, dk.msp)
    pd.testing.assert_frame_equal(sp.assistants, dk.assistants)
    assert sp.report["msp"] == dk.report["msp"] and sp.report["assistants"] == dk.report["assistants"]


def test_spark_matches_duckdb_with_other_rules(spark, synth):
    # other branches of the rendered SQL: years window, no flux window, no DPN filter, no large-pack rule,
    # médecin traitant for diabetics only (Asalée table alone)
    opts = ClaimsOptions(years=(2019, 2021), flux_lag_months=None, excluded_dpn_qlf=(),
                         min_dispensing_dates_large_pack=None)
    sp = build_tables(synth.claims_dir, engine="spark", spark=spark, tables=["asalee"], options=opts)
    dk = build_tables(synth.claims_dir, engine="duckdb", tables=["asalee"], options=opts)
    assert sp.gp_panel is None and len(sp.asalee) > 1000
    pd.testing.assert_frame_equal(sp.asalee, dk.asalee)
    assert not sp.asalee.equals(synth.truth_asalee())  # the rules changed the answer, identically on both


def test_spark_cli_writes_byte_identical_files(spark, synth, tmp_path):
    # cli_claims starts no second session: it reuses the active one
    ps = cli_claims(synth.claims_dir, tmp_path / "spark", engine="spark")
    pd_ = cli_claims(synth.claims_dir, tmp_path / "duckdb", engine="duckdb")
    assert set(ps) == set(pd_) == {"asalee", "gp_panel", "msp", "assistants", "report"}
    for name in ("asalee", "gp_panel", "msp", "assistants"):
        assert ps[name].read_bytes() == pd_[name].read_bytes(), name
    assert spark.sparkContext._jsc is not None  # still running


def test_spark_without_death_column_matches_duckdb(spark, synth, tmp_path):
    # the other branch of the médecin traitant SQL (no BEN_DCD_DTE): deaths ignored, identically on both engines
    d = tmp_path / "no_death"
    shutil.copytree(synth.claims_dir, d, ignore=shutil.ignore_patterns("_truth"))
    pd.read_parquet(d / "IR_BEN_R.parquet").drop(columns=["BEN_DCD_DTE"]).to_parquet(d / "IR_BEN_R.parquet")
    sp = build_tables(d, engine="spark", spark=spark, tables=["gp_panel", "msp"])
    dk = build_tables(d, engine="duckdb", tables=["gp_panel", "msp"])
    pd.testing.assert_frame_equal(sp.gp_panel, dk.gp_panel)
    pd.testing.assert_frame_equal(sp.msp, dk.msp)
    assert sp.gp_panel["patients_mt"].sum() > synth.truth_gp_panel()["patients_mt"].sum()


def test_spark_missing_column_error(spark, synth, tmp_path):
    d = tmp_path / "claims"
    shutil.copytree(synth.claims_dir, d, ignore=shutil.ignore_patterns("_truth"))
    pd.read_parquet(d / "IR_PHA_R.parquet").drop(columns=["PHA_CND_TOP"]).to_parquet(d / "IR_PHA_R.parquet")
    with pytest.raises(ClaimsError) as e:
        build_tables(d, engine="spark", spark=spark)
    assert "PHA_CND_TOP" in str(e.value) and "IR_PHA_R" in str(e.value) and "Pour corriger :" in str(e.value)
