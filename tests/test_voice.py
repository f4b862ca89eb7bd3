"""Two modes, one honest voice (issue 15, items 1 and 7).

- Default build (bundled synthetic data): the home page leads with what is known — the published evaluations, each
  with its source — then the synthetic-data warning, *above* the numbers the book demonstrates on those data.
- User build (``evalkit run`` on an evaluator's data): the home page, the three study chapters, the annex and the
  English summary speak of the user's data (« données fournies par l'utilisateur », fingerprint and date), never of
  synthetic or planted data, never of the data folder; the « Source » lines say « calculs evalkit » once.
  Checked on the HTML of the one real ``evalkit run`` the e2e tests share (fixture ``run_out``, no extra build).
- Prose that does not overclaim: the generated texts, under several seeds and in both modes, carry none of the
  patterns the issue lists (« −0,00 », « ((…)) », « (s) » plurals, « fausse alerte », « sont exacts »).
"""

from __future__ import annotations

import html as html_mod
import os
import re
import warnings
from pathlib import Path

import pandas as pd
import pytest

from evalkit import plots, registry, results, summary

#: Words that must not appear on a page built on the user's data.
SYNTHETIC_WORDS = re.compile(r"synth[ée]ti|synthetic|plant[ée]|planted|simul[ée]|simulated|par construction|"
                             r"introduit dans les données|générées? par evalkit|calibrées? sur", re.I)
#: Pages of a user build that must speak of the user's data only (the methods chapter runs its own simulation).
USER_PAGES = ("index.html", "chapters/msp.html", "chapters/asalee.html", "chapters/assistants.html",
              "chapters/publie_reproduit.html", "chapters/summary_en.html")
#: Patterns of prose that overclaims or is malformed.
BAD_PROSE = re.compile(r"−0(,0+)?(?![,\d])|\(\s*\(|\)\s*\)|\w\(s\)|fausse alerte|sont exacts")  # (\s: tags removed)


def _visible_text(page_html: str) -> str:
    """The article's visible text: no navigation (the sidebar lists every chapter), no scripts, no data: URIs."""
    m = re.search(r"<article[^>]*>(.*)</article>", page_html, flags=re.S)
    body = m.group(1) if m else page_html
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r"data:[a-z/+.-]+;base64,[A-Za-z0-9+/=]+", " ", body)
    body = re.sub(r"<[^>]+>", " ", body)
    return html_mod.unescape(body)


# --- user build: the HTML of the shared `evalkit run` ------------------------------------------------------------

@pytest.fixture(scope="module")
def user_pages(run_out) -> dict[str, str]:
    pages = {}
    for rel in USER_PAGES:
        f = run_out / "html" / rel
        assert f.exists(), f"user build: {rel} missing"
        pages[rel] = f.read_text(encoding="utf-8")
    return pages


def test_user_build_speaks_of_the_users_data_only(user_pages, user_data, run_out):
    for rel, page in user_pages.items():
        text = _visible_text(page)
        bad = sorted({m.group(0) for m in SYNTHETIC_WORDS.finditer(text)})
        assert not bad, f"{rel}: synthetic vocabulary on a user build: {bad}"
        for folder in (str(user_data), str(user_data.resolve()), str(run_out)):
            assert folder not in page, f"{rel} prints a local path"
        assert "calculs evalkit ; calculs evalkit" not in text, rel
    for rel in ("index.html", "chapters/msp.html", "chapters/asalee.html", "chapters/assistants.html"):
        text = _visible_text(user_pages[rel])
        assert "données fournies par l'utilisateur" in text, rel
        assert re.search(r"empreinte SHA-256 [0-9a-f]{12}", text), f"{rel}: no data fingerprint"
        assert re.search(r"calculs du \d{1,2}(er)? \w+ \d{4}", text), f"{rel}: no date of the calculations"


def test_user_build_source_lines_name_the_users_data(user_pages):
    for rel in ("chapters/msp.html", "chapters/asalee.html", "chapters/assistants.html"):
        sources = [html_mod.unescape(s) for s in re.findall(r"Source\s*:\s*([^<]+)", user_pages[rel])]
        on_data = [s for s in sources if "calculs evalkit" in s]
        assert on_data, rel
        for s in on_data:
            assert "données fournies par l'utilisateur (empreinte SHA-256" in s, (rel, s)
            assert s.count("calculs evalkit") == 1, (rel, s)


def test_user_build_prose_does_not_overclaim(user_pages):
    for rel, page in user_pages.items():
        bad = sorted({m.group(0) for m in BAD_PROSE.finditer(_visible_text(page))})
        assert not bad, f"{rel}: {bad}"


# --- default build: what is known first, the warning above the demonstrated numbers -------------------------------

from test_summary import _row  # noqa: E402  (the summary tests' results-row helper)


@pytest.fixture
def recorded(tmp_path, monkeypatch):
    """Rows recorded by the three chapters on a data folder with (``synthetic``) or without the SYNTHETIC marker."""

    def make(kind: str):
        data, res = tmp_path / kind / "data", tmp_path / kind / "results"
        data.mkdir(parents=True)
        res.mkdir()
        for s in registry.names():
            (data / f"{s}.csv").write_text(f"{s}\n1\n")
        if kind == "synthetic":
            (data / "SYNTHETIC").write_text("{}")
        monkeypatch.setenv("EVALKIT_DATA", str(data))
        monkeypatch.setenv("EVALKIT_RESULTS_DIR", str(res))
        monkeypatch.delenv("EVALKIT_DATA_KIND", raising=False)
        monkeypatch.delenv("EVALKIT_SEED", raising=False)
        d = "synthetic" if kind == "synthetic" else "user"
        results.record([_row("msp", "patients_mt", "patients", 91.0, data=d),
                        _row("msp", "patients_mt", "percent", 9.9, data=d),
                        _row("msp", "patients_mt", "patients", 180.0, estimator="naive_cross_section",
                             headline=False, data=d, std_error=10.0)], "msp", out_dir=res)
        results.record([_row("asalee", "hba1c_3plus", "pp", 4.5, data=d)], "asalee", out_dir=res)
        results.record([_row("assistants", "patients_mt", "patients", 140.0, data=d),
                        _row("assistants", "cost_per_patient", "eur_per_patient_year", 212.0,
                             estimator="aid_over_cs_gain", data=d)], "assistants", out_dir=res)
        return data

    return make


def _home_html() -> str:
    return "".join(b._repr_mimebundle_()["text/html"] if hasattr(b, "_repr_mimebundle_") else b._repr_html_()
                   for b in summary.home_blocks())


def test_default_home_leads_with_published_results_then_warning_then_demonstration(recorded):
    recorded("synthetic")
    page = _home_html()
    text = _visible_text(page)
    known, warning, answer = page.find("ek-known"), page.find("Données synthétiques"), page.find("ek-answer")
    assert -1 < known < warning < answer, (known, warning, answer)
    # the published results, from the studies' published-figures modules, each with its source
    msp_pub = summary._published_module("msp", "published.py").PUBLISHED
    asalee_pub = summary._published_module("asalee", "published.py").PUBLISHED
    assert f"environ {msp_pub['effect_mt']['value']:.0f} patients" in text
    assert "+12,7 points" in text and asalee_pub["pp_did"][1] in text
    assert msp_pub["effect_mt"]["source"] in text
    assert "Aucune évaluation contrefactuelle publiée" in text
    assert text.count("Source :") == 3
    # numbers demonstrated on synthetic data are labelled so; the assistants' generator numbers are not quoted
    assert text.count("Démonstration de méthode") == 3
    assert "212" not in text and "+140" not in text
    assert "accroît la patientèle « médecin traitant » d'un généraliste de +91" not in text


def test_user_home_states_results_on_the_users_data(recorded):
    data = recorded("user")
    page = _home_html()
    text = _visible_text(page)
    assert not SYNTHETIC_WORDS.search(text), SYNTHETIC_WORDS.search(text)
    assert str(data) not in page and "Démonstration" not in text
    assert page.find("ek-answer") < page.find("ek-known")  # the user's results first, the published ones as reference
    assert "données fournies par l'utilisateur (empreinte SHA-256" in text
    assert "+91" in text.replace("\u202f", "") and "nettement plus grand" in text  # naive [160 ; 200] vs [55 ; 127]
    en = _visible_text(summary.english_page(summary.answers()).html)
    assert not SYNTHETIC_WORDS.search(en) and "fingerprint" in en


def test_user_answers_follow_the_confidence_interval(recorded):
    recorded("user")
    flat = results.to_frame([_row("msp", "patients_mt", "patients", 3.0, std_error=10.0, data="user")])
    a = summary.answer("msp", flat)
    assert "accroît" not in a.text_fr and "distinguer de zéro" in a.text_fr
    a = summary.answer("msp", results.to_frame([_row("msp", "patients_mt", "patients", 30.0, data="user")]))
    assert "accroît" in a.text_fr


def test_source_lines_in_both_modes(recorded, monkeypatch):
    recorded("user")
    src = plots.data_source("x", "msp")
    assert src.startswith("données fournies par l'utilisateur (empreinte SHA-256 ") and src.count("calculs evalkit") == 1
    assert "/" not in src
    recorded("synthetic")
    src = plots.data_source("les résultats publiés", "msp")
    assert "synthétiques" in src and src.count("calculs evalkit") == 1


# --- generated texts under several seeds and both modes -------------------------------------------------------

@pytest.mark.parametrize("seed", [3, pytest.param(8, marks=pytest.mark.slow), pytest.param(21, marks=pytest.mark.slow)])
def test_generated_texts_do_not_overclaim(seed):
    """Each study analysed once on a small seeded table; its texts (and titles) built for both data kinds."""
    from evalkit.contracts import validate
    from evalkit.simulate import asalee as sim_asalee, assistants as sim_assistants, msp as sim_msp
    from evalkit.studies import asalee, assistants, msp
    from evalkit.studies.asalee import texts as asalee_texts
    from evalkit.studies.assistants import texts as assistants_texts
    from evalkit.studies.msp import texts as msp_texts

    texts: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = msp.analyse(validate(sim_msp.simulate(seed=seed, n_gps=800), "msp"), seed=seed, kind="user",
                        honest=False, subgroups=False).result
        a = asalee.analyse(validate(sim_asalee.simulate(seed=seed, scale=0.1), "asalee"), seed=seed,
                           kind="user").result
        m = assistants.analyse(validate(sim_assistants.simulate(seed=seed, scale=0.2), "assistants"), seed=seed,
                               kind="user").result
    for kind in ("synthetic", "user"):
        by_study = [msp_texts.texts(r, kind), asalee_texts.texts(a, kind), assistants_texts.texts(m, kind)]
        if kind == "user":
            for t in by_study:
                bad = {k: v for k, v in t.items() if SYNTHETIC_WORDS.search(v)}
                assert not bad, bad
        texts += [v for t in by_study for v in t.values()]
    texts += [msp_texts.title_trends(r, "patients_mt"), msp_texts.title_estimates(r, "patients_mt"),
              msp_texts.title_event_study(r, "patients_mt"), msp_texts.title_estimates_table(r)]
    bad = sorted({(m_.group(0), t[:80]) for t in texts for m_ in [BAD_PROSE.search(t)] if m_})
    assert not bad, bad


# --- default build: the built pages' prose ---------------------------------------------------------------------------

PROSE_PAGES = ("index", "chapters/msp", "chapters/asalee", "chapters/assistants", "chapters/contexte",
               "chapters/publie_reproduit", "chapters/summary_en")  # (the guide and Méthodes also show code)


def test_default_build_prose_has_no_doubled_parentheses_or_overclaims():
    """On the pages of the strict build (make test), the visible text: no « ((…)) » — e.g. a citation role, which
    prints its own parentheses, written inside parentheses —, no « −0 », « (s) », « fausse alerte », « sont exacts »."""
    html_dir = os.environ.get("EVALKIT_BOOK_HTML")
    if not html_dir:
        pytest.skip("needs the strict build of make test (EVALKIT_BOOK_HTML)")
    for page in PROSE_PAGES:
        text = _visible_text((Path(html_dir) / f"{page}.html").read_text(encoding="utf-8"))
        bad = sorted({text[max(0, m.start() - 40):m.end() + 20] for m in BAD_PROSE.finditer(text)})
        assert not bad, f"{page}: {bad}"


def test_every_built_page_declares_french():
    """Every HTML page of the strict build — the table of contents' pages, the search and index pages, the note de
    synthèse — says it is in French (``<html lang="fr">``), as screen readers and translation tools read it."""
    html_dir = os.environ.get("EVALKIT_BOOK_HTML")
    if not html_dir:
        pytest.skip("needs the strict build of make test (EVALKIT_BOOK_HTML)")
    root = Path(html_dir)
    pages = [p for p in root.rglob("*.html") if "_static" not in p.relative_to(root).parts]
    assert len(pages) > 10 and (root / "note-de-synthese.html") in pages
    bad = [str(p.relative_to(root)) for p in pages
           if not re.search(r"<html\b[^>]*\blang=\"fr\"", p.read_text(encoding="utf-8", errors="replace")[:2000])]
    assert not bad, bad


def _footer(page_html: str) -> str:
    m = re.search(r'<div class="extra_footer">(.*?)</div>', page_html, flags=re.S)
    assert m, "no footer"
    return html_mod.unescape(re.sub(r"<[^>]+>", " ", m.group(1)))


def test_user_build_footer_names_the_users_data_and_version(user_pages):
    """The footer, outside the article, is on every page: on a user build it speaks of the user's data (fingerprint,
    no path, no synthetic vocabulary) and gives the evalkit version."""
    from evalkit import __version__

    for rel, page in user_pages.items():
        foot = _footer(page)
        assert not SYNTHETIC_WORDS.search(foot), (rel, foot)
        assert "données fournies par l'utilisateur" in foot and re.search(r"empreinte SHA-256 [0-9a-f]{12}", foot)
        assert f"evalkit {__version__}" in foot


def test_default_build_footer_says_synthetic_demonstration():
    html_dir = os.environ.get("EVALKIT_BOOK_HTML")
    if not html_dir:
        pytest.skip("needs the strict build of make test (EVALKIT_BOOK_HTML)")
    from evalkit import __version__

    for page in ("index", "chapters/msp", "chapters/guide"):
        foot = _footer((Path(html_dir) / f"{page}.html").read_text(encoding="utf-8"))
        assert "données synthétiques" in foot and "démonstration de méthode" in foot, foot
        assert re.search(r"empreinte SHA-256 [0-9a-f]{12}", foot) and f"evalkit {__version__}" in foot
