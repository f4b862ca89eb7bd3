"""The list of references is French (« et », « URL : », « DOI : ») and every reference can be checked: it carries a
URL or a DOI, except the press article listed in NO_LINK (no stable address found; its text is in the sources)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: References without a URL or DOI, with the reason (keep this list short and honest).
NO_LINK = {"quotidien2022": "article de presse réservé aux abonnés, sans adresse stable retrouvée"}


@pytest.fixture(scope="module")
def formatted():
    pybtex = pytest.importorskip("pybtex")
    from pybtex.database import parse_file
    from pybtex.plugin import find_plugin

    sys.path.insert(0, str(ROOT / "_ext"))
    try:
        import bibstyle_fr
    finally:
        sys.path.pop(0)
    from pybtex.plugin import register_plugin

    try:
        register_plugin("pybtex.style.formatting", "plain_fr", bibstyle_fr.FrenchPlainStyle)
    except Exception:  # noqa: BLE001 - already registered in this process
        pass
    bib = parse_file(str(ROOT / "references.bib"))
    style = find_plugin("pybtex.style.formatting", "plain_fr")()
    entries = {e.key: e.text.render_as("text") for e in style.format_entries(bib.entries.values())}
    return bib, entries


def test_every_reference_has_a_url_or_doi(formatted):
    bib, _ = formatted
    missing = sorted(k for k, e in bib.entries.items() if not ({"url", "doi"} & {f.lower() for f in e.fields}))
    assert missing == sorted(NO_LINK), missing


def test_references_are_formatted_in_french(formatted):
    bib, entries = formatted
    assert len(entries) == len(bib.entries)
    for key, text in entries.items():
        authors = text.split(". ", 1)[0] if bib.entries[key].persons else ""
        assert " and " not in authors, (key, text)
    assert entries["cassou2020"].startswith("Cassou, M., Mousquès, J. et Franc, C.")
    assert "DOI\u00a0: 10.1007/s10198-020-01226-4" in entries["cassou2020"]
    assert "URL\u00a0: https://www.legifrance.gouv.fr/" in entries["avenant7"]


def test_config_uses_the_french_styles():
    cfg = (ROOT / "_config.yml").read_text(encoding="utf-8")
    assert "bibtex_default_style: plain_fr" in cfg and "bibtex_reference_style: author_year_fr" in cfg
