"""The Sphinx extension that keeps numbers on one line (_ext/nobreak_numbers.py); the built pages are checked by the
browser test."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))

import nobreak_numbers as N  # noqa: E402

S = "\u202f"


def test_thousands_groups_get_a_narrow_no_break_space():
    assert N.fix_text("près de 5 000 médecins, 30 541 médecins, 1 000 000 €") == \
        f"près de 5{S}000 médecins, 30{S}541 médecins, 1{S}000{S}000{S}€"


def test_a_number_and_its_unit_stay_together():
    assert N.fix_text("83 777 (+4,5 %), 2 620 € et 30 %.") == f"83{S}777 (+4,5{S}%), 2{S}620{S}€ et 30{S}%."
    assert N.fix_text("5 %s, en % du total") == "5 %s, en % du total"


def test_what_is_not_a_number_is_left_alone():
    for text in ("entre 2015 2016 et 2019", "de 1 à 100", "12 34", "1,5 000", f"1{S}234 567", "version 3 200a",
                 "n° 12 3456"):
        assert N.fix_text(text) == text, text


def test_html_text_only_never_tags_styles_or_scripts():
    html = ("<td style='width: 100 200px'>6 000</td><style>a{margin:0 100 200}</style>"
            "<script>var x = '1 000';</script><!-- 2 000 --><p alt='3 000'>et 4 000</p>")
    assert N.fix_html(html) == ("<td style='width: 100 200px'>6\u202f000</td><style>a{margin:0 100 200}</style>"
                                "<script>var x = '1 000';</script><!-- 2 000 --><p alt='3 000'>et 4\u202f000</p>")


def test_the_book_uses_the_extension():
    import yaml

    cfg = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert cfg["sphinx"]["local_extensions"].get("nobreak_numbers") == "_ext"
