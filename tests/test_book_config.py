"""The book's configuration makes a failing notebook cell fail the strict build, and pages are in French."""

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

JB = str(Path(sys.executable).with_name("jupyter-book"))


def _book(tmp_path: Path, root: Path, code: str) -> Path:
    book = tmp_path / "book"
    book.mkdir()
    shutil.copy(root / "_config.yml", book / "_config.yml")
    shutil.copytree(root / "_static", book / "_static")
    shutil.copytree(root / "_ext", book / "_ext")
    (book / "references.bib").write_text((root / "references.bib").read_text())
    (book / "_toc.yml").write_text("format: jb-book\nroot: index\nchapters:\n  - file: nb\n")
    (book / "index.md").write_text("# Accueil\n\nTexte.\n")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# Chapitre"), nbformat.v4.new_code_cell(code)]
    nbformat.write(nb, book / "nb.ipynb")
    return book


def _build(book: Path, strict: bool = True):
    flags = ["-W", "-n", "--keep-going"] if strict else []
    return subprocess.run([JB, "build", str(book), *flags], capture_output=True, text=True, timeout=600)


def test_failing_cell_fails_strict_build(tmp_path, root):
    r = _build(_book(tmp_path, root, "1 / 0"))
    assert r.returncode != 0
    assert "ZeroDivisionError" in r.stdout + r.stderr


def test_failing_cell_fails_even_without_W(tmp_path, root):
    """raise_on_error in _config.yml alone makes a notebook error fatal (not only a warning under -W)."""
    r = _build(_book(tmp_path, root, "raise RuntimeError('boom')"), strict=False)
    assert r.returncode != 0


def test_passing_book_builds_in_french(tmp_path, root):
    book = _book(tmp_path, root, "print(1 + 1)")
    r = _build(book)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    html = (book / "_build" / "html" / "nb.html").read_text()
    assert '<html lang="fr"' in html


def test_no_page_shows_its_code():
    """Readers see prose, figures and tables, never the code that makes them: every code cell of every notebook page
    removes (or folds) its input."""
    import nbformat

    root = Path(__file__).resolve().parents[1]
    hidden = {"remove-input", "remove-cell", "hide-input", "hide-cell"}
    shown = []
    for f in [root / "index.ipynb", *sorted((root / "chapters").glob("*.ipynb"))]:
        nb = nbformat.read(f, as_version=4)
        shown += [f"{f.name} cell {i}: {c.source[:60]!r}" for i, c in enumerate(nb.cells)
                  if c.cell_type == "code" and not hidden & set(c.metadata.get("tags", []))]
    assert not shown, shown
