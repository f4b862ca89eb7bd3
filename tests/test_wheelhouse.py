"""Offline install (``make wheelhouse``): the wheelhouse check, and a fresh venv installed from it with no index.

The install test needs a built wheelhouse (``EVALKIT_WHEELHOUSE=dist/wheelhouse``, as ``make test-offline`` sets):
it installs a fresh venv from it, then runs ``evalkit run`` with that venv on synthetic data — every chapter executed
and the book built — with the network really off when it can (as root, in a network namespace that has only the
loopback interface the Jupyter kernels talk over). It takes ≈ 6 min and 1.7 GB, so it is not part of ``make test``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "wheelhouse.py"
PINS = [line.split("==") for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")]


def _fake_wheelhouse(d: Path, skip: str | None = None, bad_platform: str | None = None) -> None:
    for name, version in PINS:
        if name == skip:
            continue
        tag = "cp311-cp311-win_amd64" if name == bad_platform else "py3-none-any"
        (d / f"{name.replace('-', '_')}-{version}-{tag}.whl").write_bytes(b"x")
    (d / "evalkit-0.1.0-py3-none-any.whl").write_bytes(b"x")


def _offline(cmd: list[str]) -> list[str]:
    """``cmd`` inside a network namespace with only the loopback interface (root and ``unshare`` needed), else as is."""
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"):
        return cmd
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    return cmd if probe.returncode else ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *cmd]


def _check(d: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(TOOL), str(d)], capture_output=True, text=True)


def test_complete_wheelhouse_passes_and_documents_itself(tmp_path):
    _fake_wheelhouse(tmp_path)
    r = _check(tmp_path)
    assert r.returncode == 0, r.stderr
    doc = (tmp_path / "INSTALL-OFFLINE.md").read_text()
    assert "--no-index --find-links" in doc and "WHEELHOUSE=" in doc
    assert len((tmp_path / "SHA256SUMS").read_text().splitlines()) == len(PINS) + 1


def test_missing_pin_is_refused(tmp_path):
    _fake_wheelhouse(tmp_path, skip="pandas")
    r = _check(tmp_path)
    assert r.returncode == 1 and "no wheel for pandas==" in r.stderr


def test_wrong_platform_is_refused(tmp_path):
    _fake_wheelhouse(tmp_path, bad_platform="numpy")
    r = _check(tmp_path)
    assert r.returncode == 1 and "numpy" in r.stderr and "not for Linux x86-64" in r.stderr


@pytest.mark.skipif(not os.environ.get("EVALKIT_WHEELHOUSE"), reason="needs a built wheelhouse (make test-offline)")
def test_fresh_venv_from_wheelhouse_without_index(tmp_path):
    wh = Path(os.environ["EVALKIT_WHEELHOUSE"]).resolve()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
           "--no-index", "--find-links", str(wh)]
    env = dict(os.environ, PIP_CONFIG_FILE=os.devnull)  # no mirror or index from the machine's pip configuration
    subprocess.run([*pip, "-r", str(ROOT / "requirements.txt")], check=True, env=env)
    subprocess.run([*pip, "--no-deps", "evalkit"], check=True, env=env)
    out = subprocess.run([str(venv / "bin" / "python"), "-c",
                          "import evalkit, diff_diff, linearmodels, duckdb, pyspark, jupyter_book; print('ok')"],
                         capture_output=True, text=True, check=True, cwd=tmp_path)
    assert out.stdout.strip() == "ok"
    data = tmp_path / "data"
    subprocess.run([str(venv / "bin" / "evalkit"), "--quiet", "simulate", "--out", str(data)], check=True,
                   cwd=tmp_path)
    r = subprocess.run([str(venv / "bin" / "evalkit"), "validate", "--data", str(data)], capture_output=True,
                       text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    # the book, with the installed venv and no network: validation, every chapter executed, the book built
    out = tmp_path / "out"
    env = dict(os.environ, PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    r = subprocess.run(_offline([str(venv / "bin" / "evalkit"), "--quiet", "run", "--data", str(data), "--out",
                                 str(out)]), capture_output=True, text=True, cwd=ROOT, env=env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert (out / "html" / "index.html").is_file() and (out / "html" / "chapters" / "msp.html").is_file()
    assert (out / "results" / "estimates.csv").stat().st_size > 0
