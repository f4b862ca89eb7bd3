"""French formatting: one convention for every page (evalkit.fr)."""

import math

import pytest

from evalkit import fr


def test_numbers_use_french_separators_and_true_minus():
    assert fr.fmt_num(1234.56, 1) == "1\u202f234,6"
    assert fr.fmt_num(-3.26, 1) == "−3,3"
    assert fr.fmt_int(-1500) == "−1\u202f500"
    assert fr.fmt_num(2.0, 0, sign=True) == "+2"


@pytest.mark.parametrize("x", [-0.0001, -0.004, 0.0, -0.0])
def test_no_negative_zero(x):
    assert "−" not in fr.fmt_num(x, 2)
    assert "−" not in fr.fmt_num(x, 2, sign=True)


@pytest.mark.parametrize("x", [None, float("nan"), math.inf])
def test_missing_is_nd(x):
    assert fr.fmt_num(x) == "n.d."


def test_p_values_one_convention():
    assert fr.fmt_p(0.0004) == "<\u00a00,001"
    assert fr.fmt_p(0.0004, style="words") == "inférieure à 0,001"
    assert fr.fmt_p(0.034) == "0,034"
    assert fr.fmt_p(0.2) == "0,20"
    assert fr.fmt_p(0.034, style="eq") == "=\u00a00,034"
    assert fr.fmt_p(float("nan")) == "n.d."


def test_intervals_do_not_break():
    s = fr.fmt_ci(8.14, 17.3)
    assert s == "[8,1\u202f;\u00a017,3]"
    assert " " not in s  # no breakable space anywhere


def test_years_and_lists():
    assert fr.fmt_years([2014, 2012, 2013]) == "2012–2014"
    assert fr.fmt_years([2012, 2014, 2016]) == "2012, 2014 et 2016"
    assert fr.fmt_years([2012, 2013], ranges=False) == "2012 et 2013"
    assert fr.fmt_years([]) == "—"
    assert fr.fmt_span([2009, 2016]) == "2009–2016"


def test_plural_and_rounding():
    assert fr.plural(1, "médecin") == "médecin" and fr.plural(2, "médecin") == "médecins"
    assert fr.round_sig(4876, 2) == 4900.0
    assert fr.fmt_pp(1.5) == "1,5 point" and fr.fmt_pp(2.0) == "2,0 points"
