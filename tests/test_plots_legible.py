"""Figures legible at 1280 px and on a phone (issue 15.4): smallest text, phone variant, deterministic PNGs.

The browser test (tests/test_browser.py) checks the built pages; these tests check the figures themselves, fast, on
the three figure types of :mod:`evalkit.plots` and a side-by-side panel figure like the Asalée trends.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from evalkit import plots

COLUMN = plots.COLUMN_PX  # the content column at a 1280 px and at a 390 px window (checked by the browser test)


def _event_study() -> plots.Figure:
    t = pd.DataFrame({"event_time": range(-5, 6)})
    t["estimate"] = np.where(t["event_time"] < 0, [1.0, -2.0, 0.5, 3.0, 0.0, 0, 0, 0, 0, 0, 0][: len(t)],
                             20.0 * t["event_time"] + 30)
    t["ci_low"], t["ci_high"] = t["estimate"] - 15, t["estimate"] + 15
    t["reference"] = t["event_time"] == -1
    return plots.event_study(t, ylabel="Patientèle médecin traitant (patients)", title="Effet par année",
                             champ="c", source="s", name="es")


def _forest() -> plots.Figure:
    t = pd.DataFrame({"label": ["Consultations de médecin généraliste par patient et par an",
                                "Part des patients ayant déclaré un médecin traitant", "Tiers temps"],
                      "estimate": [1.0, 2.0, 3.0], "ci_low": [0.0, 1.0, 2.0], "ci_high": [2.0, 3.0, 4.0]})
    return plots.forest(t, xlabel="Effet estimé (points de pourcentage), IC à 95 %", title="Effets", champ="c",
                        source="s", name="fo", truth=2.5)


def _trends() -> plots.Figure:
    d = pd.DataFrame({"annee": list(range(2012, 2020)) * 2, "groupe": ["t"] * 8 + ["c"] * 8,
                      "y": list(np.linspace(900, 1150, 8)) + list(np.linspace(880, 1000, 8))})
    return plots.trends(d, x="annee", y="y", hue="groupe", xlabel="Année", ylabel="Patientèle (patients)",
                        title="Tendances", champ="c", source="s", name="tr",
                        hue_labels={"t": "médecins entrés en maison de santé pluriprofessionnelle", "c": "témoins"})


def _panels() -> plots.Figure:
    fig, axes = plots.new(1, 3, width=10, height=4.2)
    for ax in axes:
        ax.plot([2015, 2016, 2017, 2018], [10, 20, 30, 35], label="patients suivis par une infirmière (protocole)")
        ax.plot([2015, 2016, 2017, 2018], [12, 18, 25, 30], label="témoins")
        ax.set_title("Hémoglobine glyquée", fontsize=12)
        ax.set_xlabel("Année")
        ax.set_ylabel("Patients concernés (%)")
        ax.annotate("entrée", (2016, 20), fontsize=6)  # too small: raised to the floor
    h, lab = axes[0].get_legend_handles_labels()
    fig.legend(h, lab, loc="lower center", ncol=2, frameon=False, fontsize=11, bbox_to_anchor=(0.5, -0.06))
    return plots.figure(fig, title="Panneaux", alt="Trois panneaux", champ="c", source="s", name="pa")


BUILDERS = {"event_study": _event_study, "forest": _forest, "trends": _trends, "panels": _panels}


@pytest.fixture(scope="module")
def figures() -> dict[str, plots.Figure]:
    return {k: build() for k, build in BUILDERS.items()}


@pytest.mark.parametrize("kind", BUILDERS)
def test_smallest_text_is_recorded_and_legible_at_both_widths(figures, kind):
    f = figures[kind]
    m = f.meta
    assert m["font_pt"] >= plots.MIN_FONT_PT and m["font_pt_mobile"] >= plots.MIN_FONT_PT
    assert m["font_px"] == pytest.approx(m["font_pt"] * plots.DPI / 72)
    assert (m["width_px"], m["width_px_mobile"]) == (plots.png_size(f.png)[0], plots.png_size(f.png_mobile)[0])
    # as displayed: the PNG is shrunk to the column when it is wider (max-width: 100 %)
    desktop = m["font_px"] * min(1.0, COLUMN[1280] / m["width_px"])
    phone = m["font_px_mobile"] * min(1.0, COLUMN[390] / m["width_px_mobile"])
    assert desktop >= 9.0, (kind, desktop, m)
    assert phone >= 9.0, (kind, phone, m)
    # without the phone variant the same figure would be illegible on a phone: the variant is what makes it legible
    assert m["font_px"] * COLUMN[390] / m["width_px"] < 9.0


def test_no_text_below_the_floor_even_when_asked(figures):
    """The annotation asked for 6 pt: raised to the floor, which grows with the figure's width (a 10 in figure is
    shrunk more in the column than a 7.5 in one)."""
    floor = max(plots.MIN_FONT_PT, plots.MIN_TEXT_PX * 72 * 10 / plots.COLUMN_PX[1280])
    assert floor > plots.MIN_FONT_PT
    m = figures["panels"].meta
    assert m["font_pt"] == pytest.approx(floor) and m["font_pt_mobile"] >= plots.MOBILE_MIN_FONT_PT
    assert figures["event_study"].meta["font_pt"] == plots.MIN_FONT_PT


@pytest.mark.parametrize("kind", BUILDERS)
def test_phone_variant_fits_its_width(figures, kind):
    """Long labels are wrapped, so no text sticks out of the phone figure and widens (hence shrinks) it."""
    m = figures[kind].meta
    assert m["width_px_mobile"] <= plots.MOBILE_WIDTH_IN * plots.DPI * 1.03, m


def test_side_by_side_panels_are_stacked_on_a_phone(figures):
    w, h = plots.png_size(figures["panels"].png)
    mw, mh = plots.png_size(figures["panels"].png_mobile)
    assert w > 2 * h  # three panels side by side
    assert mh > 2.5 * mw  # three panels one above the other


def test_html_serves_the_phone_variant_to_narrow_windows(figures):
    f = figures["event_study"]
    page = f._repr_html_()
    m = re.search(r"<picture class='ek-picture'><source media='([^']+)' srcset='data:image/png;base64,([^']+)'>"
                  r"<img src='data:image/png;base64,([^']+)' alt=\"[^\"]+\" data-font-px='([\d.]+)' "
                  r"data-font-px-mobile='([\d.]+)'", page)
    assert m, page[:600]
    import base64

    assert m.group(1) == plots.MOBILE_MEDIA
    assert base64.b64decode(m.group(2)) == f.png_mobile and base64.b64decode(m.group(3)) == f.png
    assert float(m.group(4)) == pytest.approx(f.meta["font_px"], abs=0.01)
    assert float(m.group(5)) == pytest.approx(f.meta["font_px_mobile"], abs=0.01)


def test_narrow_figure_has_no_phone_variant():
    fig, ax = plots.new(width=4.2, height=3)
    ax.plot([1, 2], [1, 2])
    ax.set_xlabel("Année")
    ax.set_ylabel("Valeur (patients)")
    f = plots.figure(fig, title="t", alt="a", champ="c", source="s", name="n")
    assert f.png_mobile is None and "font_px_mobile" not in f.meta
    html = f._repr_html_()
    assert "<picture" not in html and f"data-font-px='{f.meta['font_px']:.2f}'" in html


@pytest.mark.parametrize("kind", ["event_study", "panels"])
def test_pngs_are_byte_identical_on_rerun(figures, kind):
    again = BUILDERS[kind]()
    assert again.png == figures[kind].png and again.png_mobile == figures[kind].png_mobile


def test_a_legend_below_a_panel_does_not_cover_the_next_panel_on_a_phone():
    """Two panels one above the other, the first with a two-column legend below it (like the Goodman-Bacon figure):
    on the phone the legend is redrawn in one column, taller, and the layout makes room for it."""
    fig, (ax, ax2) = plots.new(2, 1, width=7.5, height=10.5)
    for i in range(4):
        ax.scatter([i], [i], label=f"comparaison numéro {i} entre vagues d'entrée successives")
    ax.set_xlabel("Poids (%)")
    ax.set_ylabel("Estimation (unités)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    ax2.plot([0, 1, 2], [3, 1, 2], label="vague 2012")
    ax2.set_title("Poids de chaque effet")
    ax2.set_xlabel("Années depuis l'entrée")
    ax2.set_ylabel("Poids (%)")
    f = plots.figure(fig, title="t", alt="a", champ="c", source="s", name="bacon")
    assert f.png_mobile is not None
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    r = FigureCanvasAgg(fig).get_renderer()  # (closed by plots.figure: a canvas to measure it again)
    legend = ax.get_legend().get_window_extent(r)
    below = ax2.get_tightbbox(r)  # the second panel with its title
    assert legend.y0 > below.y1, (legend, below)
    assert legend.x0 >= 0 and legend.x1 <= fig.bbox.width
