"""A chapter that fails is reported with its real cause (the cell's exception), read off a real Jupyter Book log."""

import os
import sys
from pathlib import Path

import nbformat as nbf
import pytest

from evalkit import cli

PRINTS_ERROR = "print('Error: this line is only printed output, not the cause')\nx = 1"


def _book(root: Path, cells: list[str]) -> Path:
    root.mkdir()
    (root / "_config.yml").write_text("title: t\nexecute:\n  execute_notebooks: force\n  timeout: 120\n"
                                      "  allow_errors: false\n  raise_on_error: true\n")
    (root / "_toc.yml").write_text("format: jb-book\nroot: index\nchapters:\n  - file: msp\n")
    (root / "index.md").write_text("# Index\n")
    nb = nbf.v4.new_notebook()
    nb.cells = [nbf.v4.new_markdown_cell("# MSP"), *[nbf.v4.new_code_cell(c) for c in cells]]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbf.write(nb, root / "msp.ipynb")
    return root


def _build(tmp_path, cells):
    root = _book(tmp_path / "book", cells)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    log = tmp_path / "build.log"
    with pytest.raises(cli.BuildError) as e:
        cli._jupyter_book(root, tmp_path / "out", root / "_toc.yml", env, lambda m: None, log=log)
    return e.value, log


@pytest.fixture(scope="module")
def value_error(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ve")
    return _build(tmp, [PRINTS_ERROR, "def analyse():\n    return int(float('inf'))\nres = analyse()"])


def test_cell_exception_is_the_cause(value_error):
    err, log = value_error
    c = err.cause
    assert c["chapter"] == "msp"
    assert c["exception"] == "OverflowError" and "infinity" in c["message"]
    assert "res = analyse()" in c["cell"] or "def analyse" in c["cell"]
    msg = str(err)
    assert msg.startswith("le chapitre msp a échoué : OverflowError : cannot convert float infinity to integer")
    assert "this line is only printed" not in msg and "ExecutionError" not in msg and "Pour corriger" in msg


@pytest.mark.slow
def test_data_error_in_a_real_cell(tmp_path):
    err, _ = _build(tmp_path, ["from evalkit.contracts import DataError\n"
                               "raise DataError(\"msp.csv : colonne 'fees' : 2 lignes …. Pour corriger : x\")"])
    assert err.cause["data_error"] and err.cause["exception"] == "DataError"
    assert "colonne 'fees'" in err.cause["message"]


def test_data_error_in_a_cell_is_a_user_error(value_error, tmp_path, monkeypatch, capsys):
    real_log = cli._ANSI.sub("", value_error[1].read_text())
    log = real_log.replace("OverflowError: cannot convert float infinity to integer",
                           "evalkit.contracts.DataError: msp.csv : colonne 'fees' : 2 lignes. Pour corriger : x")
    assert log != real_log
    err = cli.BuildError(cli.failure_cause(log), 1)
    assert err.cause["data_error"] and err.cause["exception"] == "DataError"

    def fail(*a, **k):
        raise err

    monkeypatch.setattr(cli, "_execute_and_build", fail)
    d = tmp_path / "data"
    d.mkdir()
    from contract_data import msp

    msp().to_csv(d / "msp.csv", index=False)
    out = tmp_path / "sortie"
    assert cli.main(["--quiet", "run", "--data", str(d), "--out", str(out)]) == cli.EXIT_USAGE
    text = capsys.readouterr().err
    assert "colonne 'fees'" in text and "Traceback" not in text


def test_failed_build_log_goes_to_out_not_tmp(tmp_path, monkeypatch, capsys):
    import tempfile

    from contract_data import msp

    def fail(root, src, build_dir, toc, pages, env, progress, strict=False, log=None):
        Path(log).write_text("the whole log\nValueError: boom\n")
        raise cli.BuildError(cli.failure_cause(Path(log).read_text()), 1)

    monkeypatch.setattr(cli, "_execute_and_build", fail)
    d = tmp_path / "data"
    d.mkdir()
    msp().to_csv(d / "msp.csv", index=False)
    out = tmp_path / "out"
    before = set(Path(tempfile.gettempdir()).glob("evalkit-build-*.log"))
    assert cli.main(["--quiet", "run", "--data", str(d), "--out", str(out)]) == cli.EXIT_FAIL
    text = capsys.readouterr().err
    assert "ValueError : boom" in text and str(out / "build-failed.log") in text
    assert (out / "build-failed.log").read_text().startswith("the whole log")
    assert set(Path(tempfile.gettempdir()).glob("evalkit-build-*.log")) == before
    assert not list(tmp_path.glob(".out.*"))
    assert cli.is_evalkit_output(out)  # the next run may replace it

    def ok(root, src, build_dir, toc, pages, env, progress, strict=False, log=None):
        (build_dir / "_build" / "html").mkdir(parents=True)
        (build_dir / "_build" / "html" / "index.html").write_text("ok")
        Path(log).write_text("fine\n")
        return {}

    monkeypatch.setattr(cli, "_execute_and_build", ok)
    assert cli.main(["--quiet", "run", "--data", str(d), "--out", str(out)]) == cli.EXIT_OK
    assert not (out / "build-failed.log").exists() and (out / "results" / "build.log").read_text() == "fine\n"


def test_failure_cause_fallbacks():
    c = cli.failure_cause("Running Sphinx\nWARNING: toc references a missing document 'x'\n")
    assert c["exception"] is None and "WARNING" in c["message"]
    c = cli.failure_cause("x.ipynb: Executing notebook\nnbclient.exceptions.DeadKernelError: Kernel died\n"
                          "myst_nb.core.execute.base.ExecutionError: /a/b/assistants.ipynb\n")
    assert c["chapter"] == "assistants" and c["exception"] == "DeadKernelError"


def test_parallel_executor_reports_the_failing_cell_and_stops(tmp_path):
    """evalkit run's executor (notebooks executed in parallel before the book is rendered): a failing cell is
    reported with its real cause, by the same reader of the log; the other pages are executed in place."""
    from evalkit import execute

    root = _book(tmp_path / "book", [PRINTS_ERROR, "def analyse():\n    return int(float('inf'))\nres = analyse()"])
    good = nbf.v4.new_notebook()
    good.cells = [nbf.v4.new_markdown_cell("# OK"), nbf.v4.new_code_cell("print(6 * 7)")]
    good.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbf.write(good, root / "ok.ipynb")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    log = tmp_path / "build.log"
    with open(log, "w") as fh:
        timings = execute.execute(root, ["index", "ok"], env, lambda m: None, fh, jobs=2, timeout=120)
    assert set(timings) == {"ok"} and "42" in str(nbf.read(root / "ok.ipynb", as_version=4).cells[1].outputs)
    with open(log, "w") as fh, pytest.raises(execute.NotebookFailed) as e:
        execute.execute(root, ["index", "ok", "msp"], env, lambda m: None, fh, jobs=2, timeout=120)
    assert e.value.page == "msp"
    c = cli.failure_cause(log.read_text())
    assert c["chapter"] == "msp" and c["exception"] == "OverflowError" and "infinity" in c["message"]
    assert "res = analyse()" in c["cell"] or "def analyse" in c["cell"]


def test_parallel_kernels_share_the_cores():
    from evalkit import execute

    env = execute.thread_limits({"PATH": "/bin"}, jobs=10**6)
    assert all(env[k] == "1" for k in execute.THREAD_VARS)
    assert execute.thread_limits({"OPENBLAS_NUM_THREADS": "7"}, jobs=2)["OPENBLAS_NUM_THREADS"] == "7"
