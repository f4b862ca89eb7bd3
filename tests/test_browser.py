"""Browser test of the built book: every page of the table of contents, opened in headless Chromium.

Per page (pytest id = the page's path, e.g. ``chapters/msp.html``):
- ``test_book_page_static``: ``<html lang="fr">``, every ``<img>`` has a real alt text, every relative href/src
  resolves to a file of the built book and every ``#anchor`` exists in its target page;
- ``test_book_page_in_browser``, at 1280 px and at 390 px (a phone): the page renders (readyState complete, main
  content with a title and text), no error/warning/traceback text in an output cell and no stderr output block, no
  table or figure wider than the content column unless it is in a horizontally scrollable wrapper, every table
  column reachable, no image wider than the window, the smallest text of every figure at least 9 px high as
  displayed, no number that can break across lines, no horizontal page scroll, no JS error; a full-page screenshot
  per width goes to ``_build/screenshots/<width>/<page>.png`` for humans to look at (``tools/screenshots.py`` takes
  the same screenshots without the test).

The book is built once (``jupyter-book build . --keep-going``, with the toc as collected) into a temporary
``--path-output``, unless ``EVALKIT_BOOK_HTML`` names an already built ``_build/html`` directory. Without Chromium the
browser tests FAIL and say how to install it; ``EVALKIT_SKIP_BROWSER=1`` skips them (the static checks still run). The unit tests at the end check the checker itself on
small synthetic pages (no build).

Run: ``.venv/bin/pytest tests/test_browser.py`` (``-k "not book"`` for the fast unit tests of the checker only, ~10 s).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

import browser as B

ROOT = B.ROOT
JB = str(Path(sys.executable).with_name("jupyter-book"))


# The table of contents as collected: the fixture builds the book from this snapshot (``--toc``), so that the pages
# built are the pages parametrised even if _toc.yml changes while the tests run.
TOC_TEXT = (ROOT / "_toc.yml").read_text(encoding="utf-8")


def _pages_under_test() -> list[str]:
    given = os.environ.get(B.HTML_ENV)
    if given:
        return B.reachable_pages(Path(given)) or ["index.html"]
    return B.toc_pages(ROOT, TOC_TEXT)


PAGES = _pages_under_test()


@dataclass
class Book:
    html: Path
    returncode: int
    log: Path
    seconds: float


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Book:
    given = os.environ.get(B.HTML_ENV)
    if given:
        html = Path(given).resolve()
        if not (html / "index.html").exists():
            pytest.fail(f"{B.HTML_ENV}={given}: no index.html there (point it at a built book's _build/html)",
                        pytrace=False)
        return Book(html, 0, html / "(not built by this test)", 0.0)
    out = tmp_path_factory.mktemp("book")
    log = out / "build.log"
    toc = out / "_toc.yml"
    toc.write_text(TOC_TEXT, encoding="utf-8")
    start = time.monotonic()
    with log.open("w") as fh:
        rc = subprocess.run([JB, "build", str(ROOT), "--toc", str(toc), "--path-output", str(out), "--keep-going"],
                            stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT, timeout=3600).returncode
    html = out / "_build" / "html"
    if not (html / "index.html").exists():
        pytest.fail(f"the book did not build (exit {rc}); end of {log}:\n{_tail(log)}", pytrace=False)
    return Book(html, rc, log, time.monotonic() - start)


def _tail(path: Path, n: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return ""


@pytest.fixture(scope="module")
def chrome(tmp_path_factory):
    """A headless Chromium, or the reason why there is none (turned into a failure by :func:`_need`)."""
    if B.skip_requested():
        yield None
        return
    try:
        driver = B.start_driver(tmp_path_factory.mktemp("chromium-profile"))
    except B.BrowserUnavailable as exc:
        yield exc
        return
    try:
        yield driver
    finally:
        driver.quit()


def _need(chrome):
    if chrome is None:
        pytest.skip(f"{B.SKIP_ENV}=1: browser checks skipped")
    if isinstance(chrome, Exception):
        pytest.fail(str(chrome), pytrace=False)
    return chrome


def _report(page: str, problems: list[str]) -> str:
    return f"{page}: {len(problems)} problem(s)\n  - " + "\n  - ".join(problems)


# --- the built book ----------------------------------------------------------------------------------------------

def test_book_builds(book):
    assert book.returncode == 0, f"jupyter-book build exited {book.returncode}; end of {book.log}:\n{_tail(book.log)}"


def test_book_every_page_is_tested(book):
    """The pages under test are exactly the book pages reachable from the home page (sidebar = table of contents)."""
    reachable = set(B.reachable_pages(book.html))
    missing = [p for p in PAGES if not (book.html / p).exists()]
    assert not missing, f"toc entries without a built page: {missing}"
    untested = sorted(reachable - set(PAGES))
    assert not untested, f"pages reachable from index.html but not in _toc.yml (so not tested): {untested}"
    unreachable = sorted(set(PAGES) - reachable)
    assert not unreachable, f"toc pages that no link of the book reaches: {unreachable}"


@pytest.mark.parametrize("page", PAGES, ids=PAGES)
def test_book_page_static(book, page):
    path = book.html / page
    assert path.exists(), f"{page} was not built (see {book.log})"
    problems = B.static_problems(path, book.html)
    assert not problems, _report(page, problems)


@pytest.mark.parametrize("page", PAGES, ids=PAGES)
def test_book_page_in_browser(book, chrome, page):
    """The page at each of :data:`browser.WIDTHS` (one driver, resized): the checks of :func:`browser.judge` (no page
    overflow, every table column reachable, images within the window, figures' smallest text ≥ 9 px, numbers that
    cannot break), and a screenshot per width in ``_build/screenshots/<width>/``."""
    driver = _need(chrome)
    path = book.html / page
    assert path.exists(), f"{page} was not built (see {book.log})"
    problems = []
    try:
        for width in B.WIDTHS:
            assert B.set_width(driver, width) == width, f"the window could not be set to {width} px"
            facts = B.probe(driver, path)
            B.screenshot(driver, B.SCREENSHOTS / B.page_id(page, width))
            if facts["externalBlocked"] and width == B.WIDTHS[0]:
                warnings.warn(f"{page} requests external resources (blocked in the test, missing offline): "
                              f"{facts['externalBlocked']}", stacklevel=1)
            problems += [f"[{width} px] {p}" for p in B.judge(facts)]
    finally:
        B.set_width(driver, B.WINDOW[0])
    assert not problems, _report(page, problems)


def test_book_damaged_home_page_is_flagged(book, chrome, tmp_path):
    """The checks see the real theme's DOM: a damaged copy of the built home page is flagged on every count."""
    import shutil

    copy = tmp_path / "html"
    shutil.copytree(book.html, copy)
    page = copy / "index.html"
    html = page.read_text(encoding="utf-8")
    assert html.count("</article>") == 1 and '<html lang="fr"' in html
    damage = ('<img src="_static/nope.png"><a href="chapters/nope.html">x</a><a href="#nope">y</a>'
              '<div class="cell"><div class="cell_output"><div class="output stderr"><pre>/x.py:1: UserWarning: w'
              f'</pre></div></div></div><div class="ek-tablewrap"><p class="ek-figtitle">Trop large</p>{WIDE_TABLE}'
              '</div>')
    page.write_text(html.replace('<html lang="fr"', '<html lang="en"').replace("</article>", damage + "</article>"),
                    encoding="utf-8")
    static = "\n".join(B.static_problems(page, copy))
    for expected in ("lang='en'", "has no alt attribute", "no file _static/nope.png", "no file chapters/nope.html",
                     "no element with id 'nope' in index.html"):
        assert expected in static, static
    driver = _need(chrome)
    facts = B.probe(driver, page)
    assert facts["main"] and facts["h1"] and 500 < facts["column"] < 1000, facts
    found = "\n".join(B.judge(facts))
    for expected in ("document language is 'en'", "UserWarning: w", "stderr/traceback output block",
                     "image failed to load: _static/nope.png", "'Trop large'"):
        assert expected in found, found


# --- unit tests of the checker on synthetic pages (fast, no build) -----------------------------------------------

HEAD = '<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8"><title>t</title>{style}</head><body>\n'
LAYOUT = ('<style>body{margin:0} main{display:flex} nav{width:300px;flex:none}'
          ' article.bd-article{width:600px;padding:0 20px;flex:none} .ek-scroll{overflow-x:auto;max-width:100%}'
          ' aside{width:200px;flex:none}</style>')


def _page(path: Path, body: str, lang: str = "fr") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEAD.format(lang=lang, style=LAYOUT) + body + "\n</body></html>\n", encoding="utf-8")
    return path


def _article(inner: str) -> str:
    return f'<main id="main-content"><nav>nav</nav><article class="bd-article" role="main">{inner}</article>' \
           '<aside>aside</aside></main>'


WIDE_TABLE = "<table><tr>" + "".join(f"<td>colonne{i:02d}_valeur</td>" for i in range(40)) + "</tr></table>"
PNG_1PX = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJ"
           "RU5ErkJggg==")


@pytest.fixture
def site(tmp_path) -> Path:
    """A tiny built site: index.html links to chapters/ok.html; figures/ holds one image."""
    html = tmp_path / "html"
    (html / "_images").mkdir(parents=True)
    (html / "_images" / "fig.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    _page(html / "chapters" / "ok.html", _article(
        '<h1 id="titre">Titre</h1><section id="sec-1"><p>Texte.</p><a href="../index.html#accueil">retour</a>'
        '<a href="#sec-1">ici</a><a href="https://example.org/x">externe</a><a href="mailto:a@b.fr">mail</a>'
        '<img src="../_images/fig.png" alt="Courbe des effets par année"></section>'))
    _page(html / "index.html", _article(
        '<h1 id="accueil">Accueil</h1><a href="chapters/ok.html">chapitre</a><a href="chapters/ok.html#sec-1">s</a>'
        '<a href="chapters/ok.html?x=1#titre">q</a><a href="genindex.html">index</a><a href="#">haut</a>'
        '<link rel="stylesheet" href="_static/style.css?v=123">'))
    (html / "genindex.html").write_text("<html lang='fr'></html>")
    (html / "_static").mkdir()
    (html / "_static" / "style.css").write_text("")
    return html


def test_static_checks_pass_on_a_good_site(site):
    for rel in ("index.html", "chapters/ok.html"):
        assert B.static_problems(site / rel, site) == []


def test_static_checks_flag_bad_links_images_and_language(site):
    bad = _page(site / "chapters" / "bad.html", _article(
        '<h1>Titre</h1><img src="../_images/fig.png"><img src="../_images/fig.png" alt="  ">'
        '<img src="../_images/fig.png" alt="fig.png"><img src="../_images/missing.png" alt="Carte">'
        '<a href="nowhere.html">x</a><a href="ok.html#no-such-anchor">y</a><a href="#absent">z</a>'
        '<a href="../../outside.html">o</a><a href="/chapters/ok.html">abs</a>'
        '<script src="../_static/missing.js"></script>'), lang="en")
    problems = B.static_problems(bad, site)
    text = "\n".join(problems)
    assert "lang='en'" in text
    assert "has no alt attribute" in text
    assert "has an empty alt text" in text
    assert "file name as alt text ('fig.png')" in text
    assert "no file _images/missing.png" in text
    assert "no file chapters/nowhere.html" in text
    assert "no element with id 'no-such-anchor' in chapters/ok.html" in text
    assert "no element with id 'absent' in chapters/bad.html" in text
    assert "points outside the built book" in text
    assert "root-absolute path" in text
    assert "no file _static/missing.js" in text
    assert len(problems) == 11, text


def test_reachable_pages_follow_links_and_skip_generated_pages(site):
    _page(site / "chapters" / "orphan.html", _article("<h1>Orphelin</h1>"))
    assert B.reachable_pages(site) == ["chapters/ok.html", "index.html"]


def test_toc_pages_cover_files_sections_and_globs(tmp_path):
    (tmp_path / "chapters").mkdir()
    for name in ("a.ipynb", "b.md", "notes.txt"):
        (tmp_path / "chapters" / name).write_text("")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: index\nparts:\n  - caption: P\n    chapters:\n      - file: intro.md\n"
        "        sections:\n          - file: intro/detail\n      - glob: chapters/*\n      - url: https://x.org\n")
    assert B.toc_pages(tmp_path) == ["index.html", "intro.html", "intro/detail.html", "chapters/a.html",
                                     "chapters/b.html"]


def test_toc_pages_of_this_repo_start_with_the_home_page():
    pages = B.toc_pages(ROOT)
    assert pages[0] == "index.html" and all(p.endswith(".html") for p in pages)


def test_error_lines_spot_tracebacks_and_warnings():
    assert B.error_lines("Traceback (most recent call last):\n  File x\nValueError: boom")[0].startswith("Traceback")
    assert B.error_lines("/x.py:3: FutureWarning: deprecated") != []
    assert B.error_lines("DataError: colonne manquante") != []
    assert B.error_lines("Effet estimé : 90,1 patients (IC 95 % : 60,2 à 120,0)\nErreur type : 15,2") == []


def test_judge_flags_each_problem():
    facts = {"readyState": "loading", "main": True, "mainText": 0, "h1": None, "lang": "en",
             "outputs": ["ok", "Traceback (most recent call last):"], "stderr": ["UserWarning: x"],
             "systemMessages": ['Unknown directive type "foo".'], "brokenImages": ["x.png"],
             "wide": [{"tag": "table", "width": 2000, "title": "T"}], "column": 600, "pageOverflow": 300,
             "consoleErrors": ["Uncaught ReferenceError: x is not defined"]}
    problems = B.judge(facts)
    assert len(problems) == 11, problems
    good = {"readyState": "complete", "main": True, "mainText": 10, "h1": "Titre", "lang": "fr", "outputs": ["1,5"],
            "stderr": [], "systemMessages": [], "brokenImages": [], "wide": [], "column": 600, "pageOverflow": 0,
            "consoleErrors": []}
    assert B.judge(good) == []
    assert B.judge({k: v for k, v in good.items() if k != "main"} | {"main": False})[0].startswith("no main")


def test_browser_passes_a_good_page(tmp_path, chrome):
    driver = _need(chrome)
    page = _page(tmp_path / "good.html", _article(
        '<h1>Les MSP augmentent la patientèle</h1><p>Texte du chapeau.</p>'
        f'<div class="ek-tablewrap"><div class="ek-scroll">{WIDE_TABLE}</div></div>'
        '<div class="cell"><div class="cell_output"><pre>Effet : 90,1 patients</pre></div></div>'
        '<div class="cell tag_raises-exception"><div class="cell_output"><div class="output traceback">'
        '<pre>Traceback (most recent call last):\nDataError: colonne manquante</pre></div></div></div>'
        f'<img src="{PNG_1PX}" alt="Un point" style="max-width:100%">'
        '<script src="https://cdn.example.org/mathjax/tex.js"></script>'))
    facts = B.probe(driver, page)
    assert facts["column"] == 600
    assert facts["externalBlocked"] == ["https://cdn.example.org/mathjax/tex.js"]  # blocked, reported, not a failure
    assert B.judge(facts) == []
    shot = B.screenshot(driver, tmp_path / "shots" / "good.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_browser_flags_a_bad_page(tmp_path, chrome):
    driver = _need(chrome)
    page = _page(tmp_path / "bad.html", _article(
        '<h1>Titre</h1>'
        f'<div class="ek-tablewrap"><p class="ek-figtitle">Tableau trop large</p>{WIDE_TABLE}</div>'
        '<div class="cell"><div class="cell_output"><pre>Traceback (most recent call last):\n'
        'ZeroDivisionError: division by zero</pre></div></div>'
        '<div class="cell"><div class="cell_output"><div class="output stderr"><pre>/x.py:1: FutureWarning: old'
        '</pre></div></div></div>'
        '<div class="system-message">Unknown directive type "glue:figure"</div>'
        '<img src="missing.png" alt="Carte">'
        '<script>undefinedFunction();</script>'
        '<div style="width:3000px">trop large</div>'), lang="en")
    facts = B.probe(driver, page)
    text = "\n".join(B.judge(facts))
    assert "document language is 'en'" in text
    assert "output cell #1 shows error/warning text: Traceback" in text
    assert "ZeroDivisionError: division by zero" in text
    assert "output cell #2 shows error/warning text: /x.py:1: FutureWarning: old" in text
    assert "stderr/traceback output block: /x.py:1: FutureWarning: old" in text
    assert 'docutils error in the page: Unknown directive type "glue:figure"' in text
    assert "image failed to load: missing.png" in text
    assert "'Tableau trop large'" in text and "not in a horizontally scrollable wrapper" in text
    assert "the page scrolls horizontally" in text
    assert "undefinedFunction" in text


def _png_uri(width: int, height: int = 60) -> str:
    import base64
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _figure(title: str, font_px: float, width: int, mobile: tuple[float, int] | None = None) -> str:
    """A figure as evalkit.plots writes it: a PNG ``width`` px wide whose smallest text is ``font_px`` high, and
    optionally a phone variant (font px, width) served below 640 px."""
    attrs = f" data-font-px='{font_px}'" + (f" data-font-px-mobile='{mobile[0]}'" if mobile else "")
    img = f"<img src='{_png_uri(width)}' alt='Courbe' {attrs} style='max-width:100%;height:auto'>"
    if mobile:
        img = (f"<picture><source media='(max-width: 640px)' srcset='{_png_uri(mobile[1])}'>{img}</picture>")
    return f"<figure class='ek-figure'><p class='ek-figtitle'><strong>{title}</strong></p>{img}</figure>"


def test_browser_checks_legibility_at_two_widths(tmp_path, chrome):
    """Figures' smallest text as displayed (from data-font-px, the variant the <picture> serves), table columns
    clipped by an overflow: hidden wrapper, numbers that can break: flagged at the width where they happen."""
    driver = _need(chrome)
    narrow = ('<style>@media (max-width: 640px) { main{display:block} nav,aside{display:none} '
              'article.bd-article{width:auto !important} }</style>')
    page = _page(tmp_path / "legible.html", narrow + _article(
        '<h1>Titre</h1><p>Texte.</p>'
        + _figure("Grande figure lisible", 12.2, 400)          # shown at natural size at 1280: 12,2 px
        + _figure("Figure trop fine", 12.2, 1200)              # shrunk to the column at 1280: about 5 px
        + _figure("Figure avec variante", 12.2, 400, (13.0, 300)) +  # phone: 300 px PNG, shown at natural size
        f'<div class="ek-tablewrap"><p class="ek-figtitle">Tableau coupé</p><div style="overflow:hidden">'
        f'{WIDE_TABLE}</div></div>'
        '<p>Un nombre sécable : 6 000 patients, 4,5 % ; insécable : 6\u202f000 patients, 4,6\u202f% ; années 2015 '
        '2016.</p>'
        '<table><tr><td style="width:1px">12 345</td><td style="width:1px">12\u202f345</td>'
        '<td style="width:1px;overflow-wrap:anywhere">6\u202f789</td></tr></table>'))
    try:
        found = {}
        for width in (1280, 390):
            assert B.set_width(driver, width) == width
            facts = B.probe(driver, page)
            found[width] = "\n".join(B.judge(facts))
            fonts = {f["title"]: f for f in facts["figureFonts"]}
            for f in fonts.values():
                font = 13.0 if f["variant"] == "mobile" else 12.2
                assert f["px"] == pytest.approx(font * f["shown"] / f["natural"], abs=0.05)
            if width == 1280:
                assert fonts["Grande figure lisible"]["px"] == pytest.approx(12.2, abs=0.05)
                assert fonts["Figure trop fine"]["shown"] < 600 and fonts["Figure trop fine"]["px"] < 6.1
                assert fonts["Figure avec variante"]["variant"] == "desktop"
            else:
                v = fonts["Figure avec variante"]
                assert v["variant"] == "mobile" and v["natural"] == 300 and v["shown"] < 300
                assert v["px"] >= 9 and "'Figure avec variante'" not in found[width]
        wide = found[1280]
        assert "'Figure trop fine'" in wide and "px high at 1280 px (desktop PNG 1200 px wide" in wide
        assert "'Grande figure lisible'" not in wide and "'Figure avec variante'" not in wide
        assert "not reachable (cut by an ancestor with overflow-x: hidden): 'Tableau coupé'" in wide
        assert "number with a breakable space (use a narrow no-break space, evalkit.fr): '6␣000'" in wide
        assert "'12␣345'" in wide and "number broken across lines: '6\\u202f789'" in wide
        assert "'5␣%'" in wide and "'6␣%'" not in wide
        assert "6\\u202f000" not in wide and "2015" not in wide and "12\\u202f345" not in wide
        phone = found[390]
        assert "'Grande figure lisible'" in phone and "(desktop PNG 400 px wide" in phone  # no phone variant
        assert "px wide in a 390 px window" not in phone
    finally:
        B.set_width(driver, B.WINDOW[0])


def test_browser_flags_an_empty_page(tmp_path, chrome):
    driver = _need(chrome)
    page = _page(tmp_path / "empty.html", '<main id="main-content"><article class="bd-article"> </article></main>')
    text = "\n".join(B.judge(B.probe(driver, page)))
    assert "the main content element has no text" in text
    assert "no <h1> title" in text
    page = _page(tmp_path / "nomain.html", "<p>rien</p>")
    assert "no main content element" in "\n".join(B.judge(B.probe(driver, page)))


def test_missing_chromium_fails_with_install_hint(monkeypatch):
    monkeypatch.setattr(B, "CHROMIUM_CANDIDATES", ("/nonexistent/chromium",))
    monkeypatch.setattr(B, "CHROMEDRIVER", "/nonexistent/chromedriver")
    monkeypatch.setattr(B.shutil, "which", lambda name: None)
    with pytest.raises(B.BrowserUnavailable) as exc:
        B.find_chromium()
    msg = str(exc.value)
    assert "chromium and chromedriver not found" in msg
    assert B.APT_INSTALL in msg and B.SKIP_ENV in msg
