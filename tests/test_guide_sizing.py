"""The guide's « Dimensionner un calcul » section: measured time and memory read from the benchmarks' JSON.

The JSON files are written by the benchmarks' own functions (``benchmarks/run_bench.py:write_summary``,
``benchmarks/claims_bench.py:update_summary``) on made-up measurements, so these tests also pin the format the two
sides share; the committed files, when present, are checked for what the guide prints and for local paths.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from evalkit import guide
from evalkit.fr import NBSP

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "benchmarks" / "results"


def _bench(name: str):
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", ROOT / "benchmarks" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


MACHINE = {"cpu": "Processeur d'essai", "cores": 2, "ram_gb": 23.5, "os": "Linux", "python": "3.11.7",
           "duckdb": "2.0.0", "pyspark": "4.3.0", "pandas": "2.3.3", "java": "openjdk 17"}


def _stage(wall, largest_mb, tree_mb, load=1.5):
    return {"wall": wall, "max_rss_mb": largest_mb, "peak_tree_mb": tree_mb, "load_mean": load, "load_max": load + 1}


def _write_run(folder: Path) -> dict:
    rb = _bench("run_bench")
    return rb.write_summary(
        folder / "run_bench.json", sha="0123456789abcdef", scale=10.4, seed=20240501, national=True,
        stages={"simulate": _stage(25.5, 1189, 1200), "validate": _stage(32.3, 1012, 1014),
                "run": _stage(416.0, 3181, 4061, load=1.3)},
        chapters={"msp": 112.7, "asalee": 31.7, "guide": 5.8}, chapters_src="OUT/results/run.json",
        kernels={"msp": 3101.0}, files={"msp": {"rows": 780_000, "mb": 36.0}, "asalee": {"rows": 1_244_719, "mb": 53}},
        run_json={"timings_seconds": {"total": 383.0}}, book_s=4.6, t_exec=32.1, machine=MACHINE)


def _claims_results(sizes):
    truth = {"asalee": "a", "gp_panel": "g", "msp": "m", "assistants": "s"}
    out = {"machine": MACHINE, "commit": "0123456789", "sizes": [],
           "settings": {"cores": 2, "duckdb_memory": "6GB", "spark_memory": "8g", "cluster_cores": 2,
                        "executor_memory": "8g", "cluster_driver_memory": "4g", "pandas_memory": 16,
                        "shuffle_partitions": 16}}
    for target, prs, runs in sizes:
        out["sizes"].append({"target": target, "prs_lines": prs, "all_rows": int(prs * 1.78), "parquet_gb": prs / 1.2e8,
                             "truth_shas": truth, "runs": [
                                 {"engine": eng, "status": "ok", "seconds": sec, "seconds_without_startup": sec - 1,
                                  "peak_rss_gb": gb, "table_rows": {t: 10 for t in truth}, "cpu_seconds": 2 * sec,
                                  "shas": dict(truth, msp="WRONG") if wrong else dict(truth),
                                  "date": "2026-12-07", "load_start": 1.0, "load_mean": 3.4, "load_max": 4.0}
                                 for eng, sec, gb, wrong in runs]})
    return out


def _write_claims(folder: Path, wrong_spark: bool = False) -> dict:
    cb = _bench("claims_bench")
    res = _claims_results([(1e7, 9_991_062, [("duckdb", 5.7, 0.5, False)]),
                           (1e8, 99_866_953, [("duckdb", 56.4, 2.3, False), ("spark-cluster", 412.0, 9.1, wrong_spark)])])
    res["cluster_start_s"] = 6.2
    return cb.update_summary(res, folder / "claims_bench.json")


def test_without_benchmarks_the_section_says_so_and_builds(tmp_path):
    t = guide.sizing_texts(tmp_path)
    assert set(t) == {"guide_sizing_run", "guide_sizing_claims"}
    assert "n'a pas encore été exécuté" in t["guide_sizing_run"] and "run_bench.py" in t["guide_sizing_run"]
    assert "n'a pas encore été exécuté" in t["guide_sizing_claims"] and "claims_bench.py" in t["guide_sizing_claims"]
    assert not re.search(r"\d", t["guide_sizing_run"] + t["guide_sizing_claims"])  # no number without a measure
    assert guide.sizing(tmp_path) is None and guide.sizing_table(tmp_path) is None


def test_numbers_come_from_the_json_in_french(tmp_path):
    _write_run(tmp_path)
    _write_claims(tmp_path)
    t = guide.sizing_texts(tmp_path)
    run, claims = t["guide_sizing_run"], t["guide_sizing_claims"]
    assert f"6,9{NBSP}min" in run  # 416 s
    assert f"4,0{NBSP}Go" in run and f"3,1{NBSP}Go" in run  # 4061 MB of the tree, 3181 MB of the largest process
    assert "7 décembre 2026" in run and "2 cœurs et 24 Go" in run and "Processeur d'essai" in run
    assert f"780{NBSP}000 lignes pour msp.csv" in run and "à la taille nationale" in run
    assert f"msp, a pris 113{NBSP}s" in run  # the slowest chapter, 112.7 s (minutes from 120 s)
    assert f"99{NBSP}866{NBSP}953 lignes de prestations" in claims and f"56{NBSP}s avec DuckDB" in claims
    assert f"2,3{NBSP}Go" in claims and "identiques, octet pour octet, aux tables attendues" in claims
    assert f"(temps processeur : 113{NBSP}s)" in claims and "3,4 pour 2 cœurs ; d'autres calculs" in claims
    assert "1,3 pour 2 cœurs." in run and "majorent" not in run  # load 1.3 < 2 cores: no clause
    # 10 M → 100 M: CPU time × 9.9, memory × 4.6, volume × 10.0
    assert "le temps processeur a été multiplié par 9,9 et la mémoire a été multipliée par 4,6" in claims
    assert "multiplié par 10,0" in claims
    assert f"6,9{NBSP}min et 9,1{NBSP}Go (charge moyenne 3,4" in claims and "identiques octet pour octet à celles de DuckDB" in claims
    assert "grappe" in claims
    df = guide.sizing(tmp_path)
    assert list(df["Moteur"]) == ["pandas et diff-diff, un noyau Jupyter par chapitre", guide.ENGINES_FR["duckdb"],
                                  guide.ENGINES_FR["duckdb"], guide.ENGINES_FR["spark-cluster"]]
    assert df["Résultat contrôlé"].iloc[-1] == "identique à la vérité du générateur ; identique octet pour octet à DuckDB"
    html = guide.sizing_table(tmp_path)._repr_html_()
    assert "Champ :" in html and "Source :" in html and "données simulées" in html


def test_a_spark_table_that_differs_from_duckdb_is_reported(tmp_path):
    _write_claims(tmp_path, wrong_spark=True)
    t = guide.sizing_texts(tmp_path)["guide_sizing_claims"]
    assert "diffèrent de celles de DuckDB" in t and "identiques octet pour octet à celles de DuckDB" not in t
    row = guide.sizing(tmp_path).iloc[-1]
    assert "différent de la vérité" in row["Résultat contrôlé"] and "différent de DuckDB" in row["Résultat contrôlé"]


def test_a_new_measure_replaces_the_old_entry_and_keeps_the_others(tmp_path):
    cb = _bench("claims_bench")
    _write_claims(tmp_path)
    out = cb.update_summary(_claims_results([(1e8, 99_866_953, [("duckdb", 50.0, 2.0, False)])]),
                            tmp_path / "claims_bench.json")
    got = {(r["target_lines"], r["engine"]): r["seconds"] for r in out["runs"]}
    assert got == {(1e7, "duckdb"): 5.7, (1e8, "duckdb"): 50.0, (1e8, "spark-cluster"): 412.0}


def test_notebook_glues_exactly_the_sizing_keys():
    nb = json.loads((ROOT / "chapters" / "guide.ipynb").read_text(encoding="utf-8"))
    src = "\n".join("".join(c["source"]) for c in nb["cells"])
    used = set(re.findall(r"\{glue:md\}`(guide_sizing_\w+)`", src))
    assert used == set(guide.sizing_texts()), used
    assert "guide.sizing_texts()" in src and "guide.sizing_table()" in src


@pytest.mark.parametrize("name", sorted(guide.BENCH_FILES.values()))
def test_committed_results_have_no_local_path(name):
    f = COMMITTED / name
    if not f.is_file():
        pytest.skip(f"{name} not committed yet")
    text = f.read_text(encoding="utf-8")
    for bad in ("/work/", "/home/", "/tmp/", "/root/", "_work/claims_", "\\\\"):
        assert bad not in text, (name, bad)
    json.loads(text)


def test_committed_results_are_what_the_guide_prints():
    run, claims = guide.bench_results("run"), guide.bench_results("claims")
    t = guide.sizing_texts()
    if run:
        assert guide._duration_fr(run["run"]["seconds"]) in t["guide_sizing_run"]
    if claims and any(r["status"] == "ok" and r["engine"] == "duckdb" for r in claims["runs"]):
        big = max((r for r in claims["runs"] if r["status"] == "ok" and r["engine"] == "duckdb"),
                  key=lambda r: r["prs_lines"])
        assert guide._duration_fr(big["seconds"]) in t["guide_sizing_claims"]
        assert guide._gb_fr(big["peak_rss_gb"]) in t["guide_sizing_claims"]
        assert big["equals_truth"] is True
    if not run and not claims:
        pytest.skip("no benchmark result committed")


def test_wall_times_under_different_loads_are_not_compared(tmp_path):
    cb = _bench("claims_bench")
    res = _claims_results([(1e7, 9_991_062, [("duckdb", 5.7, 0.5, False)]),
                           (1e8, 99_866_953, [("duckdb", 56.4, 2.3, False)])])
    for s in res["sizes"]:
        for r in s["runs"]:
            r.pop("cpu_seconds")  # a busy machine (load 3.4 > 2 cores + 1) and no CPU time: no ratio of durations
    cb.update_summary(res, tmp_path / "claims_bench.json")
    t = guide.sizing_texts(tmp_path)["guide_sizing_claims"]
    assert "durée a été multipliée" not in t and "temps processeur" not in t
    assert "la mémoire a été multipliée par 4,6" in t


def test_agreement_panel_cost_read_from_the_run_benchmark(tmp_path):
    """run_bench records what the agreement panel cost in each chapter (EVALKIT_TIMINGS); the guide says it, with
    the estimators not computed at that size."""
    rb = _bench("run_bench")
    log = tmp_path / "timings.jsonl"
    lines = [{"page": "msp", "outcome": o, "estimator": e, "status": st, "seconds": sec, "n_units": 52000,
              "n_obs": 780000} for o in ("patients_mt", "fees")
             for e, st, sec in (("sun_abraham", "ok", 15.5), ("dcdh", "skipped", 0.0), ("wooldridge_etwfe", "skipped", 0.0))]
    log.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    panel = rb.agreement_costs(log)
    assert panel == {"msp": {"outcomes": 2, "n_units": 52000, "seconds": 31.0, "estimators": {"sun_abraham": 31.0},
                             "skipped": ["dcdh", "wooldridge_etwfe"]}}
    _write_run(tmp_path)
    data = json.loads((tmp_path / "run_bench.json").read_text())
    data["agreement_panel"] = panel
    (tmp_path / "run_bench.json").write_text(json.dumps(data))
    run = guide.sizing_texts(tmp_path)["guide_sizing_run"]
    assert (f"Le panneau de comparaison des estimateurs y a pris 31{NBSP}s pour le chapitre « MSP » ; à cette taille, de "
            "Chaisemartin-D'Haultfœuille et Wooldridge n'y sont pas calculés (option `--full-panel`") in run


def test_a_run_alone_is_not_called_shared():
    """A run that keeps both cores busy shows a load of about 2 (+ its own main process): not « shared »."""
    assert guide._shared_fr(2.6, 2) == "" and guide._shared_fr(1.2, 2) == ""
    assert "d'autres calculs" in guide._shared_fr(3.4, 2) and guide._shared_fr(None, 2) == ""
