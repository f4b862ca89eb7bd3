import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

# Spark workers must run the venv's interpreter (not the system python).
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def user_data(tmp_path_factory) -> Path:
    """An evaluator-like data folder (tests/e2e_run.py), never written to by evalkit."""
    from e2e_run import write_user_data

    return write_user_data(tmp_path_factory.mktemp("extract"))


@pytest.fixture(scope="session")
def run_out(user_data, tmp_path_factory) -> Path:
    """The output of one real ``evalkit run`` on ``user_data`` (minutes on 2 cores: shared by every test module)."""
    from e2e_run import run_into

    return run_into(user_data, tmp_path_factory.mktemp("runs") / "out")


@pytest.fixture
def book_dirs(tmp_path, monkeypatch):
    """A data folder with the three study files (any bytes: only their fingerprint matters here) and an empty
    results folder."""
    data, res = tmp_path / "data", tmp_path / "results"
    data.mkdir()
    res.mkdir()
    from evalkit import registry

    for s in registry.names():
        (data / f"{s}.csv").write_text(f"{s}\n1\n")
    (data / "SYNTHETIC").write_text("{}")
    monkeypatch.setenv("EVALKIT_DATA", str(data))
    monkeypatch.setenv("EVALKIT_RESULTS_DIR", str(res))
    monkeypatch.delenv("EVALKIT_DATA_KIND", raising=False)
    monkeypatch.delenv("EVALKIT_SEED", raising=False)
    return data, res
