"""The evalkit command as a user runs it (subprocess): exit codes, messages, no traceback, no partial output."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from contract_data import msp

EVALKIT = [sys.executable, "-m", "evalkit.cli"]


def run(*args, cwd=None):
    env = dict(os.environ)
    env.pop("EVALKIT_DATA", None)
    return subprocess.run([*EVALKIT, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=900)


@pytest.fixture
def good_dir(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    msp().to_csv(d / "msp.csv", index=False)
    return d


def test_validate_good(good_dir):
    r = run("validate", "--data", str(good_dir))
    assert r.returncode == 0, r.stderr
    assert "msp.csv : OK" in r.stdout


def test_validate_bad_exit_2_no_traceback(good_dir):
    df = msp()
    df.loc[0, "patients_mt"] = -3
    df.to_csv(good_dir / "msp.csv", sep=";", index=False)
    r = run("validate", "--data", str(good_dir))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert "msp.csv" in r.stderr and "patients_mt" in r.stderr and "-3" in r.stderr


def test_debug_shows_traceback(good_dir):
    (good_dir / "msp.csv").write_text("gp_id;year\nA;2010\n")
    r = run("--debug", "validate", "--data", str(good_dir))
    assert r.returncode != 0 and "Traceback" in r.stderr


def test_missing_data_dir(tmp_path):
    r = run("validate", "--data", str(tmp_path / "nope"))
    assert r.returncode == 2 and "dossier introuvable" in r.stderr and "Traceback" not in r.stderr


def test_empty_data_dir(tmp_path):
    r = run("validate", "--data", str(tmp_path))
    assert r.returncode == 2 and "aucun fichier d'étude" in r.stderr


def test_run_refuses_out_inside_data(good_dir):
    r = run("run", "--data", str(good_dir), "--out", str(good_dir / "out"))
    assert r.returncode == 2 and "à l'intérieur" in r.stderr
    assert not (good_dir / "out").exists()
    r = run("run", "--data", str(good_dir), "--out", str(good_dir))
    assert r.returncode == 2


def test_run_refuses_foreign_nonempty_out(good_dir, tmp_path):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "thesis.docx").write_text("x")
    r = run("run", "--data", str(good_dir), "--out", str(out))
    assert r.returncode == 2 and "n'est pas une sortie d'evalkit" in r.stderr
    assert (out / "thesis.docx").read_text() == "x"


def test_rejected_run_writes_nothing(good_dir, tmp_path):
    df = msp()
    df["extra"] = 1
    df.to_csv(good_dir / "msp.csv", index=False)
    before = sorted(p.name for p in good_dir.iterdir())
    out = tmp_path / "out"
    r = run("run", "--data", str(good_dir), "--out", str(out))
    assert r.returncode == 2 and "'extra'" in r.stderr
    assert not out.exists()
    assert not list(tmp_path.glob(".out.*"))  # no temporary leftovers
    assert sorted(p.name for p in good_dir.iterdir()) == before


def test_unknown_study_option(good_dir, tmp_path):
    r = run("run", "--data", str(good_dir), "--out", str(tmp_path / "o"), "--studies", "msp,foo")
    assert r.returncode == 2 and "étude inconnue foo" in r.stderr


def test_claims_command_end_to_end(tmp_path):
    """`evalkit claims` turns SNDS-shaped claims into an asalee.csv that `evalkit validate` accepts."""
    from evalkit.claims import SyntheticSpec, generate_claims

    claims, out = tmp_path / "claims", tmp_path / "tables"
    generate_claims(claims, SyntheticSpec(n_patients=500, seed=7))
    r = run("claims", "--claims", str(claims), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert (out / "asalee.csv").exists() and (out / "gp_panel.csv").exists()
    v = run("validate", "--data", str(out))
    assert v.returncode == 0 and "asalee.csv : OK" in v.stdout


def test_claims_missing_folder_is_clear(tmp_path):
    r = run("claims", "--claims", str(tmp_path / "nope"), "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "dossier introuvable" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "o").exists()


def test_large_files_validated_side_by_side_same_result(tmp_path, monkeypatch, capsys):
    """Above PARALLEL_VALIDATION_BYTES the files are validated in worker processes, one per file: same rows, warnings,
    statistics and error messages (in the studies' order) as one after the other."""
    from contract_data import asalee, assistants

    from evalkit import cli, execute
    from evalkit.contracts import DataError

    d = tmp_path / "data"
    d.mkdir()
    msp().to_csv(d / "msp.csv", index=False)
    assistants().iloc[:-1].to_csv(d / "assistants.csv", index=False)  # unbalanced: a warning
    bad = asalee()
    bad.loc[3, "year"] = 1850
    bad.to_csv(d / "asalee.csv", index=False)

    def both():
        out = []
        for limit in (10**12, 0):
            monkeypatch.setattr(cli, "PARALLEL_VALIDATION_BYTES", limit)
            monkeypatch.setattr(execute, "_cores", lambda: 2)
            assert cli._validation_jobs(sorted(d.iterdir())) == (1 if limit else 2)
            stats: dict = {}
            try:
                found = cli.validate_dir(d, None, stats=stats)
            except DataError as e:
                out.append(("error", str(e)))
            else:
                out.append((found, stats))
            out.append(capsys.readouterr().err)
        return out

    seq_err, seq_msgs, par_err, par_msgs = both()
    assert seq_err == par_err and seq_err[0] == "error" and "asalee.csv" in seq_err[1] and "1850" in seq_err[1]
    assert seq_msgs == par_msgs
    (d / "asalee.csv").unlink()
    seq, seq_msgs, par, par_msgs = both()
    assert seq == par and set(seq[0]) == {"msp", "assistants"} and seq[0]["assistants"][2]  # the warning
    assert seq_msgs == par_msgs and "avertissement" in seq_msgs
