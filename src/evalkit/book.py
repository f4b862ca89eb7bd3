"""Helpers for chapter notebooks: glue computed text into the prose, show the data banner.

Numbers in the prose are never typed: a notebook computes them, formats them in French (:mod:`evalkit.results`)
and glues them; the Markdown cells paste them with the inline role ``{glue:md}`name` ``.
"""

from __future__ import annotations

import html
from typing import Mapping

from . import paths


def glue(name: str, text: str) -> str:
    """Glue ``text`` (already formatted, Markdown allowed) under ``name``; paste with ``{glue:md}`name```."""
    from IPython.display import Markdown
    from myst_nb import glue as _glue

    _glue(name, Markdown(str(text)), display=False)
    return text


def glue_all(values: Mapping[str, str]) -> None:
    """Glue several formatted texts at once."""
    for k, v in values.items():
        glue(k, v)


class Banner:
    """The data-origin banner shown at the top of each chapter that displays study data."""

    def __init__(self, anchor: str):
        self.anchor = anchor
        self.kind = paths.data_kind()

    def _repr_html_(self) -> str:
        if self.kind == "user":
            text = ("Les résultats de cette page sont calculés sur les données fournies par l'utilisateur "
                    f"(dossier <code>{html.escape(str(paths.data_dir()))}</code>).")
            cls = "note"
        else:
            text = ("<strong>Données synthétiques.</strong> Les données de cette page sont générées par evalkit et "
                    f"calibrées sur {html.escape(self.anchor)} : elles reproduisent des ordres de grandeur publiés, "
                    "pas des observations réelles. Les résultats publiés sont cités avec leur source.")
            cls = "warning"
        return f"<div class='admonition {cls} ek-banner'><p>{text}</p></div>"

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self._repr_html_(), "text/plain": f"[données : {self.kind}]"}


def banner(anchor: str) -> Banner:
    """Display object stating where the page's data come from (synthetic, calibrated on ``anchor``; or user data)."""
    return Banner(anchor)
