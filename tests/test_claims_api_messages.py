"""The claims Python API refuses bad arguments in French, naming the argument and the fix (« Pour corriger : »)."""

from __future__ import annotations

import pytest

from evalkit.claims import ClaimsOptions, build_tables


@pytest.mark.parametrize("kwargs, names", [
    ({"years": (2019, 2015)}, ["years", "(2019, 2015)", "years=(2015, 2019)"]),
    ({"years": (1980, 2015)}, ["years", "1990"]),
    ({"flux_lag_months": 30}, ["flux_lag_months", "30", "entre 0 et 24"]),
    ({"min_dispensing_dates": 0}, ["min_dispensing_dates", "vaut 0", "par défaut 3"]),
    ({"hba1c_min_tests": 0}, ["hba1c_min_tests", "au moins égal à 1"]),
    ({"duckdb_memory_limit": "6 gigas"}, ["duckdb_memory_limit", "'6 gigas'", "'6GB'"]),
])
def test_bad_options_are_refused_in_french(kwargs, names):
    with pytest.raises(ValueError) as e:
        ClaimsOptions(**kwargs)
    msg = str(e.value)
    assert msg.startswith("ClaimsOptions : ") and "Pour corriger :" in msg, msg
    for n in names:
        assert n in msg, (n, msg)
    assert " must " not in msg and " got " not in msg


def test_good_options_pass():
    o = ClaimsOptions(years=(2015, 2019), flux_lag_months=0, duckdb_memory_limit="500MB")
    assert o.years == (2015, 2019)


@pytest.mark.parametrize("kwargs, names", [
    ({"tables": ["asalee", "patients"]}, ["'patients' n'est pas une table", "asalee, gp_panel, msp, assistants"]),
    ({"tables": ["x", "y"]}, ["'x', 'y' ne sont pas des tables"]),
    ({"tables": []}, ["aucune table demandée"]),
    ({"engine": "polars"}, ["moteur 'polars' inconnu", "engine='duckdb'"]),
])
def test_bad_arguments_of_build_tables_are_refused_in_french(tmp_path, kwargs, names):
    with pytest.raises(ValueError) as e:
        build_tables(tmp_path, **kwargs)
    msg = str(e.value)
    assert "Pour corriger :" in msg, msg
    for n in names:
        assert n in msg, (n, msg)
