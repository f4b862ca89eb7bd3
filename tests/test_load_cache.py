"""evalkit run validates each file once: the chapters' io.load reads the validated table back (same frame, same
warnings), keyed by the file's bytes; the run's --balance rule reaches the chapters."""

import warnings

import pandas as pd
import pytest
from contract_data import msp

from evalkit import contracts, io
from evalkit.contracts import DataWarning


def _write(folder, df):
    folder.mkdir(exist_ok=True)
    df.to_csv(folder / "msp.csv", index=False)


def _load(folder, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = io.load("msp", folder, **kw)
    return df, [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


@pytest.fixture
def unbalanced(tmp_path):
    df = msp()
    df = df[~((df["gp_id"] == "G0003") & (df["year"] == 2012))]  # one GP misses a year
    _write(tmp_path / "data", df)
    return tmp_path / "data"


def test_second_load_reads_the_cache_with_the_same_frame_and_warnings(unbalanced, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setenv(io.ENV_CACHE, str(cache))
    first, w1 = _load(unbalanced)
    assert any("G0003" in m for m in w1)  # the unbalanced-panel warning
    assert len(list(cache.glob("msp-*.pkl"))) == 1

    def boom(*a, **k):
        raise AssertionError("validated again")

    monkeypatch.setattr(io, "validate", boom)
    second, w2 = _load(unbalanced)
    pd.testing.assert_frame_equal(first, second)
    assert second.attrs == first.attrs and w2 == w1
    assert list(second.dtypes) == list(first.dtypes)


def test_changed_bytes_are_validated_again(unbalanced, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setenv(io.ENV_CACHE, str(cache))
    _load(unbalanced)
    df = pd.read_csv(unbalanced / "msp.csv", dtype=str)
    df.loc[0, "patients_mt"] = "beaucoup"
    df.to_csv(unbalanced / "msp.csv", index=False)
    with pytest.raises(contracts.DataError, match="patients_mt"):
        io.load("msp", unbalanced)


def test_no_cache_folder_means_no_cache(unbalanced, monkeypatch):
    monkeypatch.delenv(io.ENV_CACHE, raising=False)
    calls = []
    real = io.validate
    monkeypatch.setattr(io, "validate", lambda *a, **k: calls.append(1) or real(*a, **k))
    _load(unbalanced)
    _load(unbalanced)
    assert len(calls) == 2


def test_balance_rule_from_the_environment(unbalanced, monkeypatch):
    monkeypatch.delenv(io.ENV_CACHE, raising=False)
    monkeypatch.setenv(io.ENV_BALANCE, "drop")
    df, _ = _load(unbalanced)
    assert "G0003" not in set(df["gp_id"])
    monkeypatch.setenv(io.ENV_BALANCE, "error")
    with pytest.raises(contracts.DataError):
        io.load("msp", unbalanced)
    df, _ = _load(unbalanced, balance="warn")  # an explicit rule wins
    assert "G0003" in set(df["gp_id"])
