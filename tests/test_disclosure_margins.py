"""Complementary suppression: no count hidden as « < 11 » comes back by adding or subtracting what is shown."""

import itertools

import numpy as np
import pandas as pd
import pytest

from evalkit.disclosure import MARK, SMALL_FR, complementary_mask, count_fr, recoverable, suppress_margins


def attack(table: pd.DataFrame, shown: pd.DataFrame, count_columns, total_label=None, total_column=None):
    """Every ±1 combination of the table's row/column sums: the hidden cells it isolates (independent of the code)."""
    eqs = []  # each equation: dict cell -> coefficient, sum = 0
    labels = list(table.index)
    if total_label is not None:
        for c in count_columns:
            e = {(r, c): 1 for r in labels if r != total_label}
            e[(total_label, c)] = -1
            eqs.append(e)
    if total_column is not None:
        for r in labels:
            e = {(r, c): 1 for c in count_columns if c != total_column}
            e[(r, total_column)] = -1
            eqs.append(e)
    hidden = {(r, c) for r in labels for c in count_columns if shown.at[r, c] == MARK}
    found = {}
    for coefs in itertools.product((-1, 0, 1), repeat=len(eqs)):
        comb: dict = {}
        for k, e in zip(coefs, eqs):
            for cell, v in e.items():
                comb[cell] = comb.get(cell, 0) + k * v
        unknown = [c for c, v in comb.items() if v != 0 and c in hidden]
        if len(unknown) == 1:
            cell = unknown[0]
            rest = sum(v * table.at[c[0], c[1]] for c, v in comb.items() if v != 0 and c not in hidden)
            found[cell] = -rest / comb[cell]
    return found


def test_one_way_table_with_total_hides_the_next_smallest():
    """Assistants on unmodified data: Ensemble 47 = 15 + 24 + 8; « Temps plein » alone is not enough."""
    t = pd.DataFrame({"Option": ["tiers temps", "mi-temps", "temps plein", "Ensemble"],
                      "Médecins": [15, 24, 8, 47], "Patients MT en moyenne": [1200.0, 1300.0, 1400.0, 1280.0]})
    s = suppress_margins(t, ["Médecins"], total={"Option": "Ensemble"}, dependent_columns=["Patients MT en moyenne"])
    assert list(s["Médecins"]) == [MARK, 24, MARK, 47]
    assert list(s["Patients MT en moyenne"]) == [MARK, 1300.0, MARK, 1280.0]
    assert s.attrs["primary_cells"] == 1 and s.attrs["complementary_cells"] == 1 and s.attrs["suppressed_cells"] == 2
    assert attack(t, s, ["Médecins"], total_label=3) == {}
    # and the naive suppression would have been broken: 47 − 15 − 24 = 8
    naive = t.astype({"Médecins": object}).copy()
    naive.loc[2, "Médecins"] = MARK
    assert attack(t, naive, ["Médecins"], total_label=3) == {(2, "Médecins"): 8}


def test_asalee_like_cohort_table_two_count_columns():
    t = pd.DataFrame({"Groupe": ["2012", "2013", "2014", "Total"], "Médecins": [30, 6, 25, 61],
                      "Patients": [400, 90, 300, 790]}).set_index("Groupe")
    s = suppress_margins(t, ["Médecins", "Patients"], total="Total")
    assert s.at["2013", "Médecins"] == MARK and s.at["2014", "Médecins"] == MARK
    assert s.at["2013", "Patients"] == 90  # 90 ≥ 11: a patient count is not hidden for itself …
    assert attack(t, s, ["Médecins", "Patients"], total_label="Total") == {}


def test_total_itself_small_is_protected():
    t = pd.DataFrame({"n": [4, 3, 7]}, index=["a", "b", "tot"])
    s = suppress_margins(t, ["n"], total="tot")
    assert (s["n"] == MARK).all()
    t = pd.DataFrame({"n": [40, 30, 8]}, index=["a", "b", "x"])  # no total: nothing to protect beyond the cell
    s = suppress_margins(t, ["n"])
    assert list(s["n"]) == [40, 30, MARK] and s.attrs["complementary_cells"] == 0


def test_two_way_table_with_both_margins():
    # rows: options + total row; columns: urban/rural + total column
    t = pd.DataFrame({"urbain": [20, 5, 30, 55], "rural": [14, 22, 12, 48]},
                     index=["tiers", "mi", "plein", "tot"])
    t["total"] = t["urbain"] + t["rural"]
    cols = ["urbain", "rural", "total"]
    s = suppress_margins(t, cols, total="tot", total_column="total")
    assert s.at["mi", "urbain"] == MARK
    assert attack(t, s, cols, total_label="tot", total_column="total") == {}
    assert s.attrs["complementary_cells"] >= 3  # a 2×2 rectangle at least


@pytest.mark.parametrize("seed", range(40))
def test_random_tables_survive_every_subtraction(seed):
    rng = np.random.default_rng(seed)
    nr, nc = rng.integers(2, 5), rng.integers(1, 4)
    body = rng.choice([0, 1, 3, 6, 9, 10, 11, 12, 15, 25, 60], size=(nr, nc))
    t = pd.DataFrame(body, columns=[f"c{j}" for j in range(nc)], index=[f"r{i}" for i in range(nr)])
    two_way = nc > 1 and rng.random() < 0.6
    if two_way:
        t["tot"] = t.sum(axis=1)
    t.loc["T"] = t.sum(axis=0)
    cols = list(t.columns)
    s = suppress_margins(t, cols, total="T", total_column="tot" if two_way else None)
    shown = [(r, c) for r in t.index for c in cols if s.at[r, c] != MARK]
    assert all(t.at[r, c] >= 11 for r, c in shown)  # nothing small is shown
    assert attack(t, s, cols, total_label="T", total_column="tot" if two_way else None) == {}


def test_nested_groups():
    t = pd.DataFrame({"n": [30, 8, 38, 20, 25, 45, 83]},
                     index=["a1", "a2", "A", "b1", "b2", "B", "Tot"])
    s = suppress_margins(t, ["n"], groups=[("A", ["a1", "a2"]), ("B", ["b1", "b2"]), ("Tot", ["A", "B"])])
    assert s.at["a2", "n"] == MARK and s.at["a1", "n"] == MARK
    hidden = [(r, "n") for r in t.index if s.at[r, "n"] == MARK]
    eqs = [(("A", "n"), [("a1", "n"), ("a2", "n")]), (("B", "n"), [("b1", "n"), ("b2", "n")]),
           (("Tot", "n"), [("A", "n"), ("B", "n")])]
    assert recoverable(hidden, eqs) == []


def test_recoverable_sees_combined_subtractions():
    # a = 5 hidden, b hidden, but b appears alone with c in another sum: (b + c = 30, c shown) → b, then a.
    eqs = [(("t1", 0), [("a", 0), ("b", 0)]), (("t2", 0), [("b", 0), ("c", 0)])]
    assert set(recoverable([("a", 0), ("b", 0)], eqs)) == {("a", 0), ("b", 0)}
    values = {("a", 0): 5, ("b", 0): 20, ("c", 0): 10, ("t1", 0): 25, ("t2", 0): 30}
    hidden = complementary_mask(values, [("a", 0)], eqs)
    assert recoverable(sorted(hidden), eqs) == [] and len(hidden) >= 3


def test_count_fr():
    assert count_fr(5) == SMALL_FR == "moins de 11"
    assert count_fr(1) == "moins de 11" and count_fr(10) == "moins de 11"
    assert count_fr(11) == "11" and count_fr(0) == "0"
    assert count_fr(12345) == "12\u202f345"
    assert count_fr(np.int64(47)) == "47" and count_fr(None) == "n.d." and count_fr(float("nan")) == "n.d."
    with pytest.raises(ValueError):
        count_fr(3.5)


# --- estimates.csv: rows that add up ----------------------------------------------------------------------------------

def _rows(spec):
    from evalkit.results import make_row

    return [make_row(study=st, outcome=o, estimator="cs_simple", estimate=1.0, std_error=0.1, unit="patients",
                     n_units=n, n_obs=6 * n, subgroup=sg, headline=sg == "all" and o == "patients_mt", data="user")
            for st, o, sg, n in spec]


def test_estimates_option_rows_cannot_be_subtracted(tmp_path):
    """all 47 = third 15 + half 24 + full 8: suppressing full alone leaves 47 − 15 − 24 = 8 in estimates.csv."""
    import warnings

    from evalkit import results

    spec = []
    for o in ("patients_mt", "file_active"):
        spec += [("assistants", o, "all", 47), ("assistants", o, "option=third", 15),
                 ("assistants", o, "option=half", 24), ("assistants", o, "option=full", 8)]
    spec += [("assistants", "patients_mt", "event_time=3", 9), ("assistants", "patients_mt", "event_time=2", 30)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        results.record(_rows(spec), "assistants", out_dir=tmp_path)
    df = results.collect(tmp_path)
    assert len(df) == len(spec)  # kept, emptied and tagged — never dropped
    tag = df.set_index(["outcome", "subgroup"])["estimator"]
    for o in ("patients_mt", "file_active"):
        assert tag[(o, "option=full")].endswith(results.SUPPRESSED_TAG)
        assert tag[(o, "option=third")].endswith(results.COMPLEMENT_TAG)  # 15 < 24: the next smallest
        assert tag[(o, "option=half")] == "cs_simple" and tag[(o, "all")] == "cs_simple"
    assert tag[("patients_mt", "event_time=3")].endswith(results.SUPPRESSED_TAG)
    assert tag[("patients_mt", "event_time=2")] == "cs_simple"  # event times do not add up to anything
    # every subtraction of shown n_units (and n_obs) within an outcome: no suppressed value comes back
    for o in ("patients_mt", "file_active"):
        sub = df[(df.outcome == o) & df.subgroup.str.startswith(("all", "option"))]
        shown = sub.dropna(subset=["n_units"])
        total = shown[shown.subgroup == "all"].n_units.iloc[0]
        rest = total - shown[shown.subgroup != "all"].n_units.sum()
        assert rest not in (8, 15)  # what a reader gets is the sum of the two suppressed cells, 23
        assert rest == 23


def test_estimates_suppressed_value_propagates_across_outcomes(tmp_path):
    import warnings

    from evalkit import results

    spec = [("msp", "patients_mt", "all", 60), ("msp", "patients_mt", "cohort=2012", 9),
            ("msp", "patients_mt", "cohort=2013", 20), ("msp", "patients_mt", "cohort=2014", 31),
            # the same cohort on another outcome, where fewer GPs were used and cohort=2013 has 12
            ("msp", "fees", "all", 50), ("msp", "fees", "cohort=2012", 9), ("msp", "fees", "cohort=2013", 12),
            ("msp", "fees", "cohort=2014", 29)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        results.record(_rows(spec), "msp", out_dir=tmp_path)
    df = results.collect(tmp_path)
    hid = df[df.n_units.isna()][["outcome", "subgroup"]].apply(tuple, axis=1).tolist()
    # the complement is the same subgroup for both outcomes (else 60 − 9? − 31 and 50 − 9? − 12 mix and match)
    assert set(hid) == {("patients_mt", "cohort=2012"), ("patients_mt", "cohort=2013"),
                        ("fees", "cohort=2012"), ("fees", "cohort=2013")}
