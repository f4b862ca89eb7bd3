"""Helpers for chapter notebooks: glue computed text into the prose, show the data banner.

Numbers in the prose are never typed: a notebook computes them, formats them in French (:mod:`evalkit.fr`)
and glues them; the Markdown cells paste them with the inline role ``{glue:md}`name` ``.
"""

from __future__ import annotations

import html
from typing import Mapping

from . import paths


def glue(name: str, text: str) -> str:
    """Glue ``text`` (already formatted, Markdown allowed) under ``name``; paste with ``{glue:md}`name```."""
    from IPython.display import Markdown

    glue_figure(name, Markdown(str(text)))
    return text


def glue_figure(name: str, obj: object) -> object:
    """Glue a figure or table (any object with a rich display, e.g. :class:`evalkit.plots.Figure`) under ``name``,
    to paste inside Markdown with the directive ``{glue} name`` (e.g. within an admonition)."""
    from myst_nb import glue as _glue

    _glue(name, obj, display=False)
    return obj


def glue_all(values: Mapping[str, str]) -> None:
    """Glue several formatted texts at once."""
    for k, v in values.items():
        glue(k, v)


class Banner:
    """The notice at the top of a page that says where its data come from (one look for every page).

    Build it with :func:`banner` (study data: synthetic, calibrated on an anchor, or the evaluator's data) or
    :func:`reference_banner` (the methods page: a simulation and public reference data).
    """

    def __init__(self, html_text: str, plain: str, level: str = "note"):
        self.html_text, self.plain, self.level = html_text, plain, level

    def _repr_html_(self) -> str:
        return f"<div class='admonition {self.level} ek-banner'><p>{self.html_text}</p></div>"

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self._repr_html_(), "text/plain": self.plain}


def banner(anchor: str, study: str | None = None) -> Banner:
    """Where the page's data come from: synthetic data calibrated on ``anchor``, or the evaluator's own data
    (identified by the fingerprint of ``study``'s file, as the page's « Source » lines, or of all the files).

    On the evaluator's data the banner names no folder (pages may be shared; the run manifest records the path): it
    identifies the data by their SHA-256 fingerprint and the date of the calculations.
    """
    if paths.data_kind() == "user":
        from .plots import user_data_label

        label = user_data_label(study)
        return Banner(f"Les résultats de cette page sont calculés sur les {html.escape(label)}.", f"[{label}]")
    return Banner("<strong>Données synthétiques.</strong> Les données de cette page sont générées par evalkit et "
                  f"calibrées sur {html.escape(anchor)} : elles reproduisent des ordres de grandeur publiés, pas des "
                  "observations réelles. Les résultats publiés sont cités avec leur source.",
                  "[données : synthetic]", level="warning")


def reference_banner() -> Banner:
    """The methods page: a simulation with known truth and the public reference data set mpdta (any data mode)."""
    return Banner("<strong>Simulation et données de référence.</strong> Cette page n'utilise pas les données des "
                  "études : elle montre les méthodes sur une <em>simulation</em> générée par evalkit, dont l'effet "
                  "réel de chaque unité est connu, et sur <em>mpdta</em>, un jeu de données public distribué avec le "
                  "package R did, qui sert à vérifier les calculs d'evalkit.",
                  "[simulation evalkit (vérité connue) et mpdta]")


def footer_html(study: str | None = None) -> str:
    """The footer of a page: what the study chapters' data are (the bundled synthetic data, or the evaluator's,
    identified by their SHA-256 fingerprint, never a path), the evalkit version; set at build time by the Sphinx
    extension ``_ext/evalkit_footer.py`` from the build's environment (``evalkit run`` sets it). On a study's page
    the fingerprint is that of the study's file (as its banner and « Source » lines), elsewhere that of all files."""
    from . import __version__
    from .plots import data_fingerprint_short, user_data_label

    lead = "Ce chapitre" if study else "Chapitres d'évaluation"
    if paths.data_kind() == "user":
        data = f"{lead} : {user_data_label(study)}"
    else:
        fp = data_fingerprint_short(study)
        data = (f"{lead} : données synthétiques calibrées sur des résultats publiés (démonstration "
                f"de méthode{', empreinte SHA-256 ' + fp if fp else ''})")
    return (f"{html.escape(data)}. Contexte : données ouvertes. Chaque figure indique sa source. "
            f"Calculs evalkit {html.escape(__version__)}.")
