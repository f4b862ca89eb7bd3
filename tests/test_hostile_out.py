"""The output folder as a user really uses it: never delete what evalkit did not write, refuse every overlap.

The book build is replaced by a fake (seconds instead of minutes); the folder logic around it is the real one. Every
test checks the inputs' bytes (SHA-256) afterwards.
"""

import hashlib
import json
import os
from pathlib import Path

import pytest
from contract_data import assistants, msp

from evalkit import cli


def sha(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def data(tmp_path) -> Path:
    d = tmp_path / "mes_donnees"
    d.mkdir()
    msp().to_csv(d / "msp.csv", index=False)
    assistants().to_csv(d / "assistants.csv", sep=";", index=False)
    return d


@pytest.fixture
def fake_build(monkeypatch):
    """Replace the jupyter-book run by one that writes an html/ and one chapter's results, as the real one does."""
    calls = []

    def fake(root, src, build_dir, toc, pages, env, progress, strict=False, log=None):
        from evalkit.results import make_row, record

        calls.append(env)
        html = build_dir / "_build" / "html"
        (html / "chapters").mkdir(parents=True)
        (html / "index.html").write_text("<html lang=\"fr\">ok</html>")
        (html / "chapters" / "msp.html").write_text("msp")
        Path(log).write_text("build log\n")
        row = make_row(study="msp", outcome="patients_mt", estimator="cs_simple", estimate=1.0, std_error=0.5,
                       unit="patients", n_units=30, n_obs=180, headline=True, data="user")
        record([row], "msp", out_dir=Path(env["EVALKIT_RESULTS_DIR"]))
        return {"msp": 1.0}

    monkeypatch.setattr(cli, "_execute_and_build", fake)
    return calls


def run(*args) -> int:
    return cli.main(["--quiet", *map(str, args)])


def test_first_run_writes_manifest_and_log(data, tmp_path, fake_build):
    before = sha(data)
    out = tmp_path / "out"
    assert run("run", "--data", data, "--out", out) == 0
    assert (out / "results" / "estimates.csv").is_file() and (out / "html" / "index.html").is_file()
    man = json.loads((out / cli.MANIFEST).read_text())
    from evalkit import synthese

    note = {"html/note-de-synthese.html"} | ({"html/note-de-synthese.pdf"} if synthese.chromium() else set())
    assert set(man["files"]) == {"results/estimates.csv", "results/estimations_fr.csv", "results/run.json",
                                 "results/build.log", "README.md", "html/index.html", "html/chapters/msp.html"} | note
    # the French companion of estimates.csv, beside it: the same rows, the same numbers
    import pandas as pd
    from evalkit import donnees

    est = pd.read_csv(out / "results" / "estimates.csv")
    fr = donnees.read_french_results(out / "results" / donnees.FRENCH_RESULTS)
    assert len(fr) == len(est) and fr["Estimation"].tolist() == est["estimate"].tolist()
    assert fr["Estimation retenue"].tolist() == ["oui"] and fr["Données"].tolist() == ["fournies par l'utilisateur"]
    assert (out / "results" / "build.log").read_text() == "build log\n"
    assert sha(data) == before
    assert not list(tmp_path.glob(".out.*"))
    # the build's temporary files go into the run's own scratch folder, removed with it
    assert fake_build[0]["TMPDIR"].startswith(str(tmp_path))


def test_replacing_keeps_user_files_and_says_so(data, tmp_path, fake_build, capsys):
    out = tmp_path / "out"
    assert run("run", "--data", data, "--out", out) == 0
    (out / "notes.txt").write_text("my note")
    (out / "results" / "commentaire.md").write_text("à garder")
    (out / "html" / "extra").mkdir()
    (out / "html" / "extra" / "figure.png").write_bytes(b"\x89PNG")
    (out / "vide").mkdir()
    os.symlink(data / "msp.csv", out / "lien_msp.csv")
    capsys.readouterr()
    before = sha(data)
    assert run("run", "--data", data, "--out", out) == 0
    err = capsys.readouterr().err
    assert "remplacée" in err and "results/estimates.csv" in err and "conservé" in err and "notes.txt" in err
    assert (out / "notes.txt").read_text() == "my note"
    assert (out / "results" / "commentaire.md").read_text() == "à garder"
    assert (out / "html" / "extra" / "figure.png").read_bytes() == b"\x89PNG"
    assert (out / "vide").is_dir() and (out / "lien_msp.csv").is_symlink()
    assert sha(data) == before
    assert not list(tmp_path.glob(".out.*"))  # no old or temporary folder left
    man = json.loads((out / cli.MANIFEST).read_text())
    assert "notes.txt" not in man["files"]  # still not evalkit's: kept again next time
    assert run("run", "--data", data, "--out", out) == 0
    assert (out / "notes.txt").read_text() == "my note"


def test_legacy_output_without_manifest(data, tmp_path, fake_build):
    out = tmp_path / "out"
    (out / "results").mkdir(parents=True)
    (out / "results" / "run.json").write_text("{}")
    (out / "results" / "estimates.csv").write_text("old")
    (out / "html").mkdir()
    (out / "html" / "index.html").write_text("old")
    (out / "ma_note.docx").write_text("x")
    assert run("run", "--data", data, "--out", out) == 0
    assert (out / "ma_note.docx").read_text() == "x"
    assert (out / "results" / "estimates.csv").read_text() != "old"


@pytest.mark.parametrize("case", ["data_inside_out", "data_is_out", "out_inside_data", "symlinked_out_is_data",
                                  "symlinked_data_inside_out", "file_linked_from_out"])
def test_every_overlap_is_refused_and_inputs_kept(case, data, tmp_path, fake_build, capsys):
    prev = tmp_path / "PREV"
    if case == "data_inside_out":  # the case: --data PREV/mes_donnees --out PREV, PREV an earlier output
        assert run("run", "--data", data, "--out", prev) == 0
        os.replace(data, prev / "mes_donnees")
        d, out = prev / "mes_donnees", prev
    elif case == "data_is_out":
        d, out = data, data
    elif case == "out_inside_data":
        d, out = data, data / "sortie"
    elif case == "symlinked_out_is_data":
        os.symlink(data, tmp_path / "alias")
        d, out = data, tmp_path / "alias"
    elif case == "symlinked_data_inside_out":
        assert run("run", "--data", data, "--out", prev) == 0
        os.replace(data, prev / "mes_donnees")
        os.symlink(prev / "mes_donnees", tmp_path / "donnees")
        d, out = tmp_path / "donnees", prev
    else:  # a study file that is a link to a file inside the output folder
        assert run("run", "--data", data, "--out", prev) == 0
        os.replace(data / "msp.csv", prev / "msp.csv")
        os.symlink(prev / "msp.csv", data / "msp.csv")
        d, out = data, prev
    before = sha(Path(os.path.realpath(d)))
    linked = (prev / "msp.csv").read_bytes() if case == "file_linked_from_out" else None
    capsys.readouterr()
    assert run("run", "--data", d, "--out", out) == 2
    err = capsys.readouterr().err
    assert "Pour corriger" in err and "Traceback" not in err
    assert sha(Path(os.path.realpath(d))) == before
    if linked is not None:
        assert (prev / "msp.csv").read_bytes() == linked
    assert not list(tmp_path.glob(".*.tmp")) and not list(tmp_path.glob(".*.old.*"))


def test_foreign_nonempty_out_refused(data, tmp_path, fake_build, capsys):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "thesis.docx").write_text("x")
    assert run("run", "--data", data, "--out", out) == 2
    err = capsys.readouterr().err
    assert "n'est pas une sortie d'evalkit" in err and "thesis.docx" in err
    assert (out / "thesis.docx").read_text() == "x" and fake_build == []


def test_out_is_a_file(data, tmp_path, fake_build, capsys):
    f = tmp_path / "out.txt"
    f.write_text("x")
    assert run("run", "--data", data, "--out", f) == 2
    assert "n'est pas un dossier" in capsys.readouterr().err and f.read_text() == "x"


def test_clash_with_a_new_evalkit_file_refuses_and_keeps_all(data, tmp_path, fake_build, capsys):
    out = tmp_path / "out"
    assert run("run", "--data", data, "--out", out) == 0
    man = json.loads((out / cli.MANIFEST).read_text())
    man["files"].remove("html/chapters/msp.html")  # as if an older evalkit had not written it: now a user file
    (out / cli.MANIFEST).write_text(json.dumps(man))
    (out / "html" / "chapters" / "msp.html").write_text("mine")
    before = sha(out)
    assert run("run", "--data", data, "--out", out) == 2
    assert "html/chapters/msp.html" in capsys.readouterr().err
    assert sha(out) == before and not list(tmp_path.glob(".out.*"))


def test_replace_dir_never_deletes_unlisted(tmp_path):
    from evalkit.io import replace_dir

    target, new = tmp_path / "t", tmp_path / "n"
    (target / "a").mkdir(parents=True)
    (target / "a" / "mine.txt").write_text("mine")
    (target / "a" / "theirs.txt").write_text("evalkit")
    (target / "../outside.txt").write_text("outside")
    new.mkdir()
    (new / "a").mkdir()
    (new / "a" / "theirs.txt").write_text("new")
    assert replace_dir(new, target, {"a/theirs.txt", "../outside.txt"}) is None
    assert (target / "a" / "mine.txt").read_text() == "mine"
    assert (target / "a" / "theirs.txt").read_text() == "new"
    assert (tmp_path / "outside.txt").read_text() == "outside"


def test_rerun_is_byte_identical_but_for_the_measured_files(data, tmp_path, fake_build):
    """A rerun on the same data rewrites the same bytes. Excluded, on purpose: results/run.json and README.md, which
    record what this run measured (its duration, CPU time and peak memory, its end time), so differ between runs."""
    out = tmp_path / "out"
    assert run("run", "--data", data, "--out", out, "--seed", "3") == 0
    first = sha(out)
    assert run("run", "--data", data, "--out", out, "--seed", "3") == 0
    second = sha(out)
    measured = {"results/run.json", "README.md"}
    assert measured <= set(first) and set(first) == set(second)
    assert {k: v for k, v in first.items() if k not in measured} == {k: v for k, v in second.items()
                                                                     if k not in measured}


def test_readme_command_reruns_the_run(data, tmp_path, fake_build):
    """The command README.md gives, folders put back, reruns the same run (same estimates, same options)."""
    out = tmp_path / "out"
    assert run("run", "--data", data, "--out", out, "--seed", "5", "--studies", "msp", "--balance", "drop") == 0
    text = (out / "README.md").read_text(encoding="utf-8")
    assert str(data) not in text and str(tmp_path) not in text
    cmd = [ln for ln in text.splitlines() if ln.startswith("evalkit run ")]
    assert cmd == ["evalkit run --data DONNEES --out SORTIE --studies msp --seed 5 --balance drop"]
    again = tmp_path / "again"
    argv = [str(data) if a == "DONNEES" else str(again) if a == "SORTIE" else a for a in cmd[0].split()[1:]]
    assert run(*argv) == 0
    assert (again / "results" / "estimates.csv").read_bytes() == (out / "results" / "estimates.csv").read_bytes()
    assert fake_build[1]["EVALKIT_SEED"] == fake_build[0]["EVALKIT_SEED"] == "5"
    assert fake_build[1]["EVALKIT_STUDIES"] == fake_build[0]["EVALKIT_STUDIES"] == "msp"
