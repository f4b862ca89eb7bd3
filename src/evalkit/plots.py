"""House style for figures and tables (docs/architecture.md, « Figures and tables »).

Every figure has a title that states the finding, axis labels with units, the two lines French statistical
publications carry (« Champ : », « Source : »), alt text, a colour-blind-safe palette (Okabe–Ito) and French number
formats. :func:`figure` returns a display object that renders as an accessible HTML ``<figure>`` (image with alt text,
caption, download link), so chapters stay thin: build the matplotlib axes, then ``return plots.figure(...)``.

Legible at 1280 px and on a 390 px phone: :func:`figure` raises any text below a floor (so that the smallest text is
at least 9 px high once the PNG is shrunk to the content column), records the smallest text on the figure
(``Figure.meta``, ``data-font-px`` on the image, checked in the browser by ``tests/test_browser.py``) and, for a figure
wider than a phone, draws a phone variant (panels stacked, labels wrapped) that a ``<picture>`` serves to narrow
windows. PNGs are byte-identical from one build to the next.
"""

from __future__ import annotations

import base64
import datetime
import functools
import hashlib
import html
import re
import io
import struct
import sys
import textwrap
import warnings
from dataclasses import dataclass, field

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker as mticker  # noqa: E402
import matplotlib.transforms as mtransforms  # noqa: E402
from matplotlib.container import BarContainer, ErrorbarContainer  # noqa: E402
from matplotlib.gridspec import GridSpec  # noqa: E402
from matplotlib.legend import Legend  # noqa: E402
from matplotlib.text import Text  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from . import donnees, paths  # noqa: E402
from . import lecture as _lecture  # noqa: E402
from .fr import NBSP, fmt_ci, fmt_num  # noqa: E402

# Okabe & Ito (2008) colour-blind-safe palette.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
TREATED, CONTROL, NEUTRAL, TRUTH = PALETTE[0], PALETTE[1], "#6b6b6b", PALETTE[3]
SYNTHETIC_SOURCE = "données synthétiques générées par evalkit, calibrées sur {anchor}"

# Legibility (issue 15.4). PNGs are drawn at DPI pixels per inch; no text of a figure is smaller than MIN_FONT_PT
# points (raised when the PNG is drawn), so that, shown in the book's content column at 1280 px, the smallest text is at
# least 9 px high (checked in the browser by tests/test_browser.py from the data-font-px attribute of the image).
# Figures wider than MOBILE_WIDTH_IN inches also get a phone variant: redrawn MOBILE_WIDTH_IN wide (side-by-side
# panels stacked, long labels wrapped, fewer numeric ticks, text at least MOBILE_MIN_FONT_PT), served by a
# <picture> source to viewports matching MOBILE_MEDIA, so that at 390 px the smallest text stays at least 9 px high.
DPI = 110
MIN_FONT_PT = 8.0
MOBILE_WIDTH_IN = 4.4
MOBILE_MIN_FONT_PT = 8.5
MOBILE_MEDIA = "(max-width: 640px)"
MOBILE_WRAP = {"tick": 24, "legend": 34, "label": 42}
MIN_TEXT_PX = 9.0  # smallest text as displayed, in CSS px
# Width in CSS px available to a figure at a 1280 px window and at a 390 px phone window, a PNG wider than that being
# shrunk to it: the content column of pydata-sphinx-theme (676 and 343 px measured in headless Chromium with
# tools/screenshots.py, 390 px minus a scroll bar) less the padding of a box (admonition) a figure may sit in.
COLUMN_PX = {1280: 620, 390: 300}


def producer(depth: int = 1) -> str:
    """The evalkit function that asked for the exhibit being built: the first public function of an evalkit module
    other than this one on the call stack (e.g. ``evalkit.studies.msp.display.figure_trends``), else the outermost
    public function of this module that was called (e.g. ``evalkit.plots.table`` from a notebook). Recorded on the
    exhibit (``data-evalkit``) for the replication package's list of exhibits (:mod:`evalkit.replication`)."""
    f = sys._getframe(depth)
    here = ""
    while f is not None:
        mod = f.f_globals.get("__name__", "")
        name = getattr(f.f_code, "co_qualname", f.f_code.co_name)
        if not mod.startswith("evalkit."):
            break
        if not f.f_code.co_name.startswith(("_", "<")):
            if mod != __name__:
                return f"{mod}.{name}"
            here = f"{mod}.{name}"
        f = f.f_back
    return here


def _attrs(name: str, function: str) -> str:
    e = html.escape
    return (f" data-name='{e(name)}'" if name else "") + (f" data-evalkit='{e(function)}'" if function else "")


_MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
              "novembre", "décembre")
_SHA_CACHE: dict[tuple, str] = {}


def _file_sha(path) -> str:
    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key not in _SHA_CACHE:
        from .io import sha256

        _SHA_CACHE[key] = sha256(path)
    return _SHA_CACHE[key]


def data_fingerprint_short(study: str | None = None) -> str:
    """The first 12 hex digits of the SHA-256 of ``study``'s data file (of all the studies' files, in the registry's
    order, when ``study`` is None); empty when no file is found. Identifies the data without naming their folder."""
    from . import registry
    from .io import find_file

    shas = []
    for s in ([study] if study else registry.names()):
        try:
            f = find_file(s, paths.data_dir())
        except Exception:  # noqa: BLE001 - a page must render even on a folder evalkit cannot read
            f = None
        if f is not None:
            shas.append(_file_sha(f))
    if not shas:
        return ""
    if len(shas) == 1:
        return shas[0][:12]
    return hashlib.sha256("".join(shas).encode()).hexdigest()[:12]


def date_fr(d=None) -> str:
    """« 6 décembre 2026 » (today by default)."""
    d = d or datetime.date.today()
    return f"{'1er' if d.day == 1 else d.day} {_MONTHS_FR[d.month - 1]} {d.year}"


def user_data_label(study: str | None = None) -> str:
    """« données fournies par l'utilisateur (empreinte SHA-256 3f2a9c1b07de, calculs du 6 décembre 2026) »: the
    evaluator's data, identified by their fingerprint and the date of the calculations, never by a path."""
    fp = data_fingerprint_short(study)
    fp = f"empreinte SHA-256 {fp}, " if fp else ""
    return f"données fournies par l'utilisateur ({fp}calculs du {date_fr()})"


def data_source(anchor: str, study: str | None = None, kind: str | None = None) -> str:
    """The whole « Source » line of a study's figures and tables: the bundled synthetic data and what they are
    calibrated on, or the evaluator's data (:func:`user_data_label`); then « calculs evalkit », once."""
    return f"{synthetic_source(anchor, study, kind)} ; calculs evalkit"


def synthetic_source(anchor: str, study: str | None = None, kind: str | None = None) -> str:
    """The data part of a « Source » line: the bundled synthetic data, or the evaluator's data
    (:func:`user_data_label`); the caller adds what else it cites (:func:`data_source` adds « calculs evalkit »)."""
    return user_data_label(study) if (kind or paths.data_kind()) == "user" else SYNTHETIC_SOURCE.format(anchor=anchor)


def apply_style() -> None:
    """Seaborn/matplotlib defaults of the book."""
    import seaborn as sns

    sns.set_theme(style="whitegrid", palette=PALETTE, font_scale=0.95)
    plt.rcParams.update({
        "figure.dpi": 100,
        "savefig.dpi": DPI,
        "axes.titlesize": 11,
        "axes.titleweight": "bold",
        "axes.titlelocation": "left",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.formatter.use_mathtext": False,
        "font.family": "DejaVu Sans",
        "axes.unicode_minus": True,
    })


def french_axis(ax, axis: str = "both", decimals: int | None = None, suffix: str = "") -> None:
    """French tick labels (« 1 234,5 ») on ``ax``."""

    def _fmt(x, _pos):
        d = decimals if decimals is not None else (0 if float(x).is_integer() else 1)
        return fmt_num(x, d) + suffix

    for name, which in (("x", ax.xaxis), ("y", ax.yaxis)):
        if axis in (name, "both"):
            which.set_major_formatter(mticker.FuncFormatter(_fmt))


def new(nrows: int = 1, ncols: int = 1, width: float = 7.5, height: float = 4.2, **kw):
    """A figure and axes in the house style."""
    apply_style()
    return plt.subplots(nrows, ncols, figsize=(width, height), **kw)


class _Exhibit:
    """What a :class:`Figure` and a :class:`Table` share: the evalkit function that built it, and its reading."""

    def __post_init__(self):
        if not self.function:
            self.function = producer(2)

    def reading(self) -> str:
        """The « Lecture » sentence: the builder's, else one computed from the values shown (:mod:`lecture`)."""
        return self.lecture or _lecture.default(self)

    def _repr_mimebundle_(self, include=None, exclude=None):
        """Shown on a page: noted for the chapter's « Données associées » (:func:`evalkit.donnees.shown`)."""
        donnees.shown(self)
        plain = f"[Figure] {self.title}" if isinstance(self, Figure) else f"[Table] {self.title}\n{self.df.to_string()}"
        return {"text/html": self._repr_html_(), "text/plain": plain}


@dataclass
class Figure(_Exhibit):
    """An accessible figure: PNG bytes plus the texts a reader (or a screen reader) needs."""

    png: bytes
    title: str
    alt: str
    champ: str
    source: str
    name: str
    xlabel: str = ""
    ylabel: str = ""
    note: str = ""
    data: pd.DataFrame | None = None  # the plotted values, with French headers and units (:mod:`evalkit.donnees`)
    meta: dict = field(default_factory=dict)
    function: str = ""  # the evalkit function that built it (:func:`producer`)
    lecture: str = ""  # « Lecture : » line, how to read the figure (shown before the note)
    png_mobile: bytes | None = None  # the phone variant (:data:`MOBILE_WIDTH_IN` wide), if any

    def _img_html(self, b64: str) -> str:
        """The image: an ``<img>`` carrying the natural height in pixels of its smallest text (``data-font-px``,
        and ``data-font-px-mobile`` for the phone variant), inside a ``<picture>`` whose ``<source>`` serves the phone
        variant to narrow viewports."""
        e = html.escape
        fonts = "".join(f" data-{k.replace('_', '-')}='{self.meta[k]:.2f}'"
                        for k in ("font_px", "font_px_mobile") if k in self.meta)
        img = (f"<img src='data:image/png;base64,{b64}' alt=\"{e(self.alt)}\"{fonts} "
               f"style='max-width:100%;height:auto'>")
        if not self.png_mobile:
            return img
        mb64 = base64.b64encode(self.png_mobile).decode("ascii")
        return (f"<picture class='ek-picture'><source media='{MOBILE_MEDIA}' srcset='data:image/png;base64,{mb64}'>"
                f"{img}</picture>")

    def _repr_html_(self) -> str:
        b64 = base64.b64encode(self.png).decode("ascii")
        e = html.escape
        note = f"<br><span class='ek-note'>Note : {e(self.note)}</span>" if self.note else ""
        lec = self.reading()
        lec = f"<span class='ek-lecture'>Lecture : {e(lec)}</span><br>" if lec else ""
        return (
            f"<figure class='ek-figure' id='fig-{e(self.name)}'{_attrs(self.name, self.function)}>"
            f"<p class='ek-figtitle'><strong>{e(self.title)}</strong></p>"
            f"{self._img_html(b64)}"
            f"<figcaption class='ek-caption'>{lec}Champ : {e(self.champ)}<br>Source : {e(self.source)}{note}"
            f"<br><a download='{e(self.name)}.png' href='data:image/png;base64,{b64}'>"
            f"Télécharger la figure (PNG)</a>{_data_link(self)}</figcaption></figure>"
        )


def _categorical(axis) -> bool:
    """True when an axis shows category names (e.g. a forest plot's rows): it needs no unit label."""
    labels = [t.get_text() for t in axis.get_ticklabels() if t.get_text()]
    return bool(labels) and not all(re.fullmatch(r"[−\-+]?[\d\s\u202f,.]+%?", x) for x in labels)


def figure(fig, *, title: str, alt: str, champ: str, source: str, name: str, note: str = "",
           lecture: str = "") -> Figure:
    """Close ``fig`` and wrap it as an accessible :class:`Figure`.

    Axis labels must carry units: every visible axis needs a label (checked here). ``lecture``: how to read the
    figure, shown as a « Lecture : » line of the caption.
    """
    for ax in fig.axes:
        if not ax.get_visible() or not ax.has_data():
            continue
        if not ax.get_xlabel() and ax.xaxis.get_visible() and ax.get_xticks().size and not _categorical(ax.xaxis):
            raise ValueError(f"figure {name!r}: an x axis has no label (with its unit)")
        if not ax.get_ylabel() and ax.yaxis.get_visible() and ax.get_yticks().size and not _categorical(ax.yaxis):
            raise ValueError(f"figure {name!r}: a y axis has no label (with its unit)")
    if not alt.strip():
        raise ValueError(f"figure {name!r}: alt text is empty")
    xl, yl = (fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()) if fig.axes else ("", "")
    png, meta = _draw_legible(fig, COLUMN_PX[1280], MIN_FONT_PT)
    mobile = None
    if fig.get_size_inches()[0] > MOBILE_WIDTH_IN + 0.3:
        with warnings.catch_warnings():  # a cramped phone layout is fitted by _fit_width and checked by the tests
            warnings.filterwarnings("ignore", "Tight layout not applied", UserWarning)
            _to_mobile(fig)
            mobile, m = _draw_legible(fig, COLUMN_PX[390], MOBILE_MIN_FONT_PT, _fit_width)
        meta |= {f"{k}_mobile": v for k, v in m.items()}
    plt.close(fig)
    f = Figure(png, title, alt, champ, source, name, xl, yl, note, lecture=lecture, png_mobile=mobile)
    f.meta.update(meta)
    return f


def _draw_legible(fig, column_px: int, floor_pt: float, fit=None) -> tuple[bytes, dict]:
    """The PNG of ``fig`` and its :func:`_font_meta`, with no text smaller than ``floor_pt`` nor than what, once the
    PNG is shrunk to a ``column_px`` wide column, is :data:`MIN_TEXT_PX` high (raised and redrawn if needed)."""
    floor_pt = max(floor_pt, MIN_TEXT_PX * 72 / DPI * fig.get_size_inches()[0] * DPI / column_px)
    for _ in range(3):
        _raise_fonts(fig, floor_pt)
        fig.tight_layout()
        if fit:
            fit(fig)
        png = _png(fig)
        meta = _font_meta(fig, png)
        shown = meta["font_px"] * min(1.0, column_px / meta["width_px"])
        if shown >= MIN_TEXT_PX:
            break
        floor_pt = meta["font_pt"] * MIN_TEXT_PX / shown * 1.01
    return png, meta


def _texts(fig) -> list:
    """The visible, non-empty texts of ``fig`` (titles, labels, tick labels, legends, annotations)."""
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def _raise_fonts(fig, min_pt: float) -> None:
    """No text of ``fig`` smaller than ``min_pt`` points (tick labels drawn later included)."""
    for t in _texts(fig):
        if t.get_fontsize() < min_pt:
            t.set_fontsize(min_pt)
    for ax in fig.axes:
        for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            labels = axis.get_ticklabels()
            if labels and min(lb.get_fontsize() for lb in labels) < min_pt:
                ax.tick_params(axis=name, labelsize=min_pt)


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    return buf.getvalue()


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) in pixels of a PNG, from its header."""
    return struct.unpack(">II", png[16:24])


def _font_meta(fig, png: bytes) -> dict:
    """The smallest text of ``fig`` in points and in pixels of the PNG, and the PNG's width in pixels."""
    pt = min((t.get_fontsize() for t in _texts(fig)), default=MIN_FONT_PT)
    return {"font_pt": float(pt), "font_px": float(pt) * DPI / 72, "width_px": png_size(png)[0]}


def _wrap(text: str, width: int) -> str:
    if len(text) <= width or "\n" in text or "$" in text:
        return text
    return "\n".join(textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False))


def _to_mobile(fig) -> None:
    """Redraw ``fig`` for a phone: :data:`MOBILE_WIDTH_IN` wide, side-by-side panels (one row of a grid) stacked,
    maps (equal-aspect axes) scaled, long labels wrapped, at most five numeric ticks per axis, no text smaller than
    :data:`MOBILE_MIN_FONT_PT`."""
    w, h = fig.get_size_inches()
    axes = [ax for ax in fig.axes if ax.get_visible()]
    specs = [ax.get_subplotspec() for ax in axes]
    rows = 1
    if len(axes) > 1 and all(specs):
        gs = specs[0].get_gridspec()
        nr, nc = gs.get_geometry()
        if nr == 1 and all(s.get_gridspec() is gs and s.colspan.stop - s.colspan.start == 1 for s in specs):
            stacked = GridSpec(nc, 1, figure=fig)
            for ax, s in zip(axes, specs):
                ax.set_subplotspec(stacked[s.colspan.start, 0])
            rows = nc
    maps = any(ax.get_aspect() != "auto" for ax in axes)  # scaled as a whole; stacked panels at most 3.6 in high
    fig.set_size_inches(MOBILE_WIDTH_IN, h * MOBILE_WIDTH_IN / w if maps else rows * min(h, 3.6) + 0.8 if rows > 1
                        else h)
    for ax in axes:
        for axis in (ax.xaxis, ax.yaxis):
            loc = axis.get_major_locator()
            if isinstance(loc, mticker.MaxNLocator):
                loc.set_params(nbins=4)
            if isinstance(axis.get_major_formatter(), mticker.FixedFormatter) or _categorical(axis):
                labels = [t.get_text() for t in axis.get_ticklabels()]
                if any(len(x) > MOBILE_WRAP["tick"] for x in labels):
                    axis.set_ticks(axis.get_ticklocs(), [_wrap(x, MOBILE_WRAP["tick"]) for x in labels])
    ticks = {id(t) for ax in axes for axis in (ax.xaxis, ax.yaxis) for t in axis.get_ticklabels()}
    legend = {id(t) for leg in fig.findobj(Legend) for t in leg.get_texts()}
    for t in _texts(fig):  # titles, axis labels, legends, annotations
        if id(t) not in ticks:
            t.set_text(_wrap(t.get_text(), MOBILE_WRAP["legend" if id(t) in legend else "label"]))


def _fit_width(fig, rounds: int = 4) -> None:
    """Keep what is drawn within the figure's width: a legend in several columns or wider than the figure is redrawn
    in one column (anchored where its top was, centred), then text sticking out on the right (e.g. interval labels
    of a forest plot) is brought in by narrowing the axes."""
    renderer = fig.canvas.get_renderer()
    W, H = fig.bbox.width, fig.bbox.height
    relayout = False
    for leg in [*fig.legends, *(ax.get_legend() for ax in fig.axes)]:
        if leg is None:
            continue
        ext = leg.get_window_extent(renderer)
        # (matplotlib has no public getter of a legend's column count; the extent alone misses wrapped labels)
        if ext.x0 >= 0 and ext.x1 <= W and getattr(leg, "_ncols", 1) <= 1:
            continue
        texts = leg.get_texts()
        kw = dict(loc="upper center", ncols=1, fontsize=texts[0].get_fontsize() if texts else None,
                  frameon=leg.get_frame_on())
        handles, labels = leg.legend_handles, [t.get_text() for t in texts]
        ax = leg.axes
        leg.remove()
        if ax is not None:  # anchored to its axes, so that the layout below makes room for it and moves it along
            ax.legend(handles, labels, bbox_to_anchor=(0.5, (ext.y1 - ax.bbox.y0) / ax.bbox.height),
                      bbox_transform=ax.transAxes, **kw)
            relayout = True
        else:
            fig.legend(handles, labels, bbox_to_anchor=(0.5, ext.y1 / H), bbox_transform=fig.transFigure, **kw)
    if relayout:
        fig.tight_layout()
    grid = [ax for ax in fig.axes if ax.get_subplotspec() is not None]
    for _ in range(rounds):
        over = fig.get_tightbbox(renderer).x1 * fig.dpi - W
        if over <= 1 or not grid:
            break
        fig.subplots_adjust(right=fig.subplotpars.right - over / W - 0.01)


def table(df: pd.DataFrame, *, title: str, champ: str, source: str, decimals: dict | int = 1,
          note: str = "", index: bool = False, name: str = "", lecture: str = "") -> "Table":
    """A table in the house style: French number format, title, Champ/Source lines, CSV download; ``lecture``: the
    « Lecture : » line (default: computed from the first row, :func:`evalkit.lecture.frame`)."""
    return Table(df, title, champ, source, decimals, note, index, name, lecture=lecture)


@dataclass
class Table(_Exhibit):
    df: pd.DataFrame
    title: str
    champ: str
    source: str
    decimals: dict | int = 1
    note: str = ""
    index: bool = False
    name: str = ""
    function: str = ""  # the evalkit function that built it (:func:`producer`)
    lecture: str = ""  # « Lecture : » line (default: computed from the table, :meth:`reading`)

    def message_only(self) -> bool:
        """A table that only carries a message (« estimation impossible sur ces données »): not numbered."""
        return list(self.df.columns) == ["Message"]

    def formatted(self) -> pd.DataFrame:
        out = self.df.copy()
        for c in out.columns:
            d = self.decimals.get(c, 1) if isinstance(self.decimals, dict) else self.decimals
            if pd.api.types.is_bool_dtype(out[c]):
                out[c] = out[c].map({True: "oui", False: "non"})
            elif pd.api.types.is_integer_dtype(out[c]):
                out[c] = out[c].map(lambda v: "" if pd.isna(v) else fmt_num(v, 0))
            elif pd.api.types.is_float_dtype(out[c]):
                out[c] = out[c].map(lambda v, d=d: "" if pd.isna(v) else fmt_num(v, d))
            else:
                out[c] = out[c].map(lambda v, d=d: fmt_num(v, d) if isinstance(v, (float, np.floating))
                                    and np.isfinite(v) else ("" if v is None or (isinstance(v, float) and
                                                                                 np.isnan(v)) else v))
        return out

    def _numeric_columns(self) -> list[int]:
        """1-based positions (in the HTML table) of the columns holding numbers, to align them right."""
        def numeric(col: pd.Series) -> bool:  # numbers but not flags, or texts that are numbers (« [84 ; 95] »)
            if pd.api.types.is_numeric_dtype(col):
                return not pd.api.types.is_bool_dtype(col)
            vals = col.dropna().astype(str)
            return len(vals) > 0 and vals.str.fullmatch(r"[\s\u202f\u00a0+−\-\d,.%€\[\];<>]*(points?)?\s*").all()

        offset = 1 + (self.df.index.nlevels if self.index else 0)
        return [i + offset for i, c in enumerate(self.df.columns) if numeric(self.df[c])]

    def _repr_html_(self) -> str:
        e = html.escape
        body = self.formatted().to_html(index=self.index, escape=True, border=0, classes="ek-table",
                                        na_rep="")
        tid = "ek-t" + hashlib.sha1((self.title + self.name).encode()).hexdigest()[:10]
        body = body.replace('<table border="0" class="dataframe ek-table"',
                            f'<table border="0" class="dataframe ek-table" id="{tid}"', 1)
        rules = "".join(f"#{tid} td:nth-child({k}),#{tid} th:nth-child({k}){{text-align:right;"
                        f"white-space:nowrap}}" for k in self._numeric_columns())
        if rules:
            body = f"<style>{rules}</style>" + body
        csv = donnees.csv_bytes(self)  # numbers as numbers: « ; » and decimal comma, ASCII minus
        b64 = base64.b64encode(csv).decode("ascii")
        note = f"<br>Note : {e(self.note)}" if self.note else ""
        lec = self.reading()
        lec = f"<span class='ek-lecture'>Lecture : {e(lec)}</span><br>" if lec else ""
        dl = (f"<br><a download='{e(self.name)}.csv' href='data:text/csv;base64,{b64}'>"
              f"Télécharger le tableau (CSV)</a>") if self.name else ""
        attrs = _attrs(self.name, self.function) + (" data-message='1'" if self.message_only() else "")
        return (f"<div class='ek-tablewrap'{attrs}><p class='ek-figtitle'>"
                f"<strong>{e(self.title)}</strong></p>"
                f"<div class='ek-scroll'>{body}</div><p class='ek-caption'>{lec}Champ : {e(self.champ)}<br>"
                f"Source : {e(self.source)}{note}{dl}</p></div>")


# --- common figure types ----------------------------------------------------------------------------------------

def ci_label(est: float, lo: float, hi: float, decimals: int = 1) -> str:
    return f"{fmt_num(est, decimals)} {fmt_ci(lo, hi, decimals)}"


def band_reading(tab: pd.DataFrame, crit: float, *, draws: int | None = None, unit: str = "",
                 decimals: int = 1) -> str:
    """The « Lecture : » text of an event study drawn with :func:`event_study` from a table with a simultaneous band
    (:meth:`evalkit.estimators.CSResult.event_study`): the universal base year, what the pointwise CIs and the
    band each cover, and, computed, whether the band contains zero in every year before entry."""
    t = tab[~tab["reference"].astype(bool)] if "reference" in tab else tab
    k = len(t)
    pre = t[t["event_time"] < 0]
    boot = f", {fmt_num(draws, 0)} tirages" if draws else ""
    text = ("chaque point est l'écart d'évolution entre entrants et témoins depuis l'année qui précède l'entrée "
            "(année de référence, à 0), avant comme après l'entrée : les points d'avant l'entrée et ceux d'après se "
            "lisent de la même façon. Les traits fins sont des intervalles de confiance à 95 % année par année : "
            f"chacun couvre l'effet de son année avec une probabilité de 95 %, mais les {fmt_num(k, 0)} ensemble "
            "le font moins souvent. Les barres larges forment une bande de confiance simultanée à 95 % (sup-t, "
            f"bootstrap multiplicateur{boot} ; valeur critique {fmt_num(crit, 2)} au lieu de 1,96) : elle couvre "
            "toutes les années à la fois avec une probabilité de 95 % ; c'est elle qui permet de juger le profil "
            "entier.")
    if len(pre):
        out = int(((pre["band_low"] > 0) | (pre["band_high"] < 0)).sum())
        text += (" Avant l'entrée, la bande contient zéro chaque année." if out == 0 else
                 f" Avant l'entrée, la bande exclut zéro pour {fmt_num(out, 0)} année{'s' if out > 1 else ''} : "
                 "les évolutions différaient déjà avant l'entrée.")
    return text


def event_study(tab: pd.DataFrame, *, ylabel: str, title: str, champ: str, source: str, name: str,
                truth: pd.Series | None = None, x: str = "event_time", alt_unit: str = "",
                decimals: int = 1, lecture: str = "", note: str = "", study: str | None = None) -> Figure:
    """Event-study plot: estimates and 95 % CIs by event time, pre-periods shaded, reference line at zero.

    With ``band_low``/``band_high`` columns (:meth:`evalkit.estimators.CSResult.event_study`) the simultaneous band
    is drawn as wide bars behind the pointwise CIs, and a ``reference`` row (the base year, 0 by construction) as an
    open marker. ``lecture``: how to read the figure (see :func:`band_reading`), after the reading of its last year
    (:func:`evalkit.lecture.event_study`). ``study``: names the start of exposure on the time axis (« Années depuis
    l'entrée en MSP (0 = année d'entrée) », :func:`evalkit.lecture.event_axis`).
    """
    fig, ax = new()
    t = tab.sort_values(x)
    ref = t["reference"].astype(bool) if "reference" in t else pd.Series(False, index=t.index)
    band = "band_low" in t and t.loc[~ref, "band_low"].notna().any()
    pre = (t[x] < 0) & ~ref
    post = ~pre & ~ref
    ax.axhline(0, color=NEUTRAL, lw=1)
    ax.axvline(-0.5, color=NEUTRAL, lw=1, ls=":")
    if band:
        for sel, c in ((pre, CONTROL), (post, TREATED)):
            ax.vlines(t.loc[sel, x], t.loc[sel, "band_low"], t.loc[sel, "band_high"], color=c, lw=9, alpha=0.22)
        ax.vlines([], [], [], color=NEUTRAL, lw=9, alpha=0.3, label="bande de confiance simultanée à 95 %")
    for sel, c, lab in ((pre, CONTROL, "avant l'entrée (test de tendances parallèles)"),
                        (post, TREATED, "après l'entrée (effet)")):
        e = t.loc[sel]
        ax.errorbar(e[x], e["estimate"], yerr=[e["estimate"] - e["ci_low"], e["ci_high"] - e["estimate"]], fmt="o",
                    color=c, capsize=3, label=lab)
    if ref.any():
        ax.plot(t.loc[ref, x], t.loc[ref, "estimate"], "o", mfc="white", color=CONTROL,
                label="année de référence (0 par construction)")
    if truth is not None:
        ax.plot(truth.index, truth.values, "x", color=TRUTH, ms=8, label="effet simulé (vérité connue)")
    ax.set_xlabel(_lecture.event_axis(study))
    ax.set_ylabel(ylabel)
    ax.set_xticks(sorted(t[x].unique()))
    french_axis(ax, "y")
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    p, q = t[pre], t[post]
    alt = (f"Graphique en points avec intervalles de confiance à 95 % : effet estimé par année depuis l'entrée, "
           f"de {int(t[x].min())} à {int(t[x].max())}. Avant l'entrée, les estimations vont "
           f"de {fmt_num(p['estimate'].min(), decimals)} à {fmt_num(p['estimate'].max(), decimals)}"
           f"{alt_unit} ; après, elles vont de {fmt_num(q['estimate'].min(), decimals)} à "
           f"{fmt_num(q['estimate'].max(), decimals)}{alt_unit}.") if len(p) and len(q) else title
    if band and len(p) and len(q):
        alt += " Des barres plus larges montrent la bande de confiance simultanée à 95 % de toutes les années."
    first = _lecture.event_study(_event_study_data(tab, ylabel=ylabel, x=x, decimals=decimals, study=study), study,
                                 decimals)
    lecture = " ".join(s for s in (first, lecture[:1].upper() + lecture[1:]) if s)
    return figure(fig, title=title, alt=alt, champ=champ, source=source, name=name, lecture=lecture, note=note)


def forest(tab: pd.DataFrame, *, label: str = "label", xlabel: str, title: str, champ: str, source: str, name: str,
           reference: float | None = 0.0, decimals: int = 1, alt_unit: str = "", color_by: str | None = None,
           colors: list[str] | None = None, ylabel: str = "", truth: float | None = None,
           truth_label: str = "effet simulé (vérité connue)", note: str = "", alt: str | None = None,
           lecture: str = "", claim: float | None = None, claim_label: str = "") -> Figure:
    """Forest plot: one line per row of ``tab`` (columns ``label``, estimate, ci_low, ci_high), CI labels in French.

    ``colors`` (one per row) or ``color_by`` (a column: one palette colour per value; default one colour per row);
    ``reference``: vertical line (0 by default, None for none); ``truth``: dashed line at a known (simulated) value,
    labelled ``truth_label``; ``claim``: dash-dotted line at a figure in circulation the estimates are compared with
    (the axis reaches it), labelled ``claim_label`` (« annoncé : 600 »); ``note``/``alt``: passed to :func:`figure`
    (``alt`` defaults to every row's estimate and CI in words).
    """
    t = tab.reset_index(drop=True)
    fig, ax = new(height=0.45 * len(t) + 1.4)
    y = np.arange(len(t))[::-1]
    if colors is None:
        colors = [PALETTE[i % len(PALETTE)] for i in range(len(t))] if color_by is None else \
            [PALETTE[sorted(t[color_by].unique()).index(v) % len(PALETTE)] for v in t[color_by]]
    for yi, (_, r), c in zip(y, t.iterrows(), colors):
        ax.errorbar(r["estimate"], yi, xerr=[[r["estimate"] - r["ci_low"]], [r["ci_high"] - r["estimate"]]],
                    fmt="o", color=c, capsize=3)
        ax.annotate(ci_label(r["estimate"], r["ci_low"], r["ci_high"], decimals), (r["ci_high"], yi),
                    xytext=(6, 0), textcoords="offset points", va="center", fontsize=8)
    if reference is not None:
        ax.axvline(reference, color=NEUTRAL, lw=1)
    for v, c, ls, text, ha in ((truth, TRUTH, "--", truth_label, "center"),
                               (claim, NEUTRAL, "-.", " " + claim_label, "left")):
        if v is not None:  # a dashed line at the known truth, a dash-dotted one at the claim in circulation
            ax.axvline(v, color=c, ls=ls, lw=1.2)
            ax.text(v, 1.01, text, color=c, fontsize=8, ha=ha, va="bottom",
                    transform=mtransforms.blended_transform_factory(ax.transData, ax.transAxes))
    ax.set_yticks(y)
    ax.set_yticklabels(t[label])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    french_axis(ax, "x")
    lo, hi = t["ci_low"].min(), t["ci_high"].max()
    marks = [v for v in (reference, truth, claim) if v is not None]
    lo, hi = min([lo, *marks]), max([hi, *marks])
    span = hi - lo if hi > lo else 1
    ax.set_xlim(lo - 0.05 * span, hi + 0.45 * span)
    if alt is None:
        alt = "Graphique en forêt : " + " ; ".join(
            f"{r[label]} : {ci_label(r['estimate'], r['ci_low'], r['ci_high'], decimals)}{alt_unit}"
            for _, r in t.iterrows())
    if not lecture:
        lecture = _lecture.forest(_forest_data(tab, label=label, xlabel=xlabel, ylabel=ylabel, decimals=decimals),
                                  decimals)
    return figure(fig, title=title, alt=alt, champ=champ, source=source, name=name, note=note, lecture=lecture)


def trends(df: pd.DataFrame, *, x: str, y: str, hue: str, xlabel: str, ylabel: str, title: str, champ: str,
           source: str, name: str, hue_labels: dict | None = None, decimals: int = 1, alt_unit: str = "",
           vline: float | None = None, vline_label: str = "", lecture: str = "") -> Figure:
    """Mean outcome over time by group (e.g. treated vs comparison), in the style of Irdes figures."""
    fig, ax = new()
    parts = []
    for i, g in enumerate(dict.fromkeys(df[hue])):
        d = df[df[hue] == g].sort_values(x)
        lab = (hue_labels or {}).get(g, str(g))
        ax.plot(d[x], d[y], marker="o", color=PALETTE[i % len(PALETTE)], label=lab)
        parts.append(f"{lab} : de {fmt_num(d[y].iloc[0], decimals)}{alt_unit} en {d[x].iloc[0]} à "
                     f"{fmt_num(d[y].iloc[-1], decimals)}{alt_unit} en {d[x].iloc[-1]}")
    if vline is not None:
        ax.axvline(vline, color=NEUTRAL, ls=":", lw=1)
        if vline_label:
            ax.annotate(vline_label, (vline, ax.get_ylim()[1]), xytext=(4, -12), textcoords="offset points",
                        fontsize=8, color=NEUTRAL)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.xaxis.set_major_locator(mticker.MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _p: fmt_num(v, 0).replace(NBSP, "")))
    french_axis(ax, "y")
    ax.legend(frameon=False, fontsize=8)
    alt = "Courbes d'évolution. " + " ; ".join(parts) + "."
    if not lecture:
        lecture = _lecture.trends(_trends_data(df, x=x, y=y, hue=hue, xlabel=xlabel, ylabel=ylabel,
                                               hue_labels=hue_labels, decimals=decimals), decimals)
    return figure(fig, title=title, alt=alt, champ=champ, source=source, name=name, lecture=lecture)


# --- the data behind each figure (« Données associées », :mod:`evalkit.donnees`) ------------------------------------

def _data_link(f: Figure) -> str:
    if f.data is None or not f.name:
        return ""
    b64 = base64.b64encode(donnees.csv_bytes(f)).decode("ascii")
    return (f"<br><a download='{html.escape(f.name)}.csv' href='data:text/csv;base64,{b64}'>"
            "Télécharger les données du graphique (CSV)</a>")


def _round_to(df: pd.DataFrame, decimals: int) -> pd.DataFrame:
    return df.apply(lambda c: c.round(decimals) if pd.api.types.is_float_dtype(c) else c)


def _event_study_data(tab: pd.DataFrame, *, ylabel: str, x: str = "event_time", truth=None, decimals: int = 1,
                      study: str | None = None, **_kw) -> pd.DataFrame:
    t = tab.sort_values(x)
    ref = t["reference"].astype(bool) if "reference" in t else pd.Series(False, index=t.index)
    out = pd.DataFrame({
        _lecture.event_axis(study): t[x].astype(int).to_numpy(),
        "Période": np.where(ref, "année de référence", np.where(t[x] < 0, "avant l'entrée", "après l'entrée")),
        ylabel: t["estimate"].to_numpy(dtype=float),
        "Borne basse de l'IC à 95 %": t["ci_low"].to_numpy(dtype=float),
        "Borne haute de l'IC à 95 %": t["ci_high"].to_numpy(dtype=float)})
    if "band_low" in t and t["band_low"].notna().any():
        out["Borne basse de la bande simultanée à 95 %"] = t["band_low"].to_numpy(dtype=float)
        out["Borne haute de la bande simultanée à 95 %"] = t["band_high"].to_numpy(dtype=float)
    if truth is not None:
        out["Effet simulé (vérité connue)"] = pd.Series(truth, dtype=float).reindex(t[x].to_numpy()).to_numpy()
    return _round_to(out, decimals)


def _forest_data(tab: pd.DataFrame, *, label: str = "label", xlabel: str, ylabel: str = "", decimals: int = 1,
                 truth: float | None = None, truth_label: str = "effet simulé (vérité connue)",
                 claim: float | None = None, claim_label: str = "", **_kw) -> pd.DataFrame:
    t = tab.reset_index(drop=True)
    value = re.sub(r",? *(intervalle de confiance|IC) à 95 %", "", xlabel).strip() or xlabel
    out = pd.DataFrame({ylabel or "Ligne": t[label].astype(str), value: t["estimate"].astype(float),
                        "Borne basse de l'IC à 95 %": t["ci_low"].astype(float),
                        "Borne haute de l'IC à 95 %": t["ci_high"].astype(float)})
    for v, lab in ((truth, truth_label), (claim, claim_label or "annoncé")):
        if v is not None:
            out = pd.concat([out, pd.DataFrame({ylabel or "Ligne": [lab[:1].upper() + lab[1:]], value: [float(v)]})],
                            ignore_index=True)
    return _round_to(out, decimals)


def _trends_data(df: pd.DataFrame, *, x: str, y: str, hue: str, xlabel: str, ylabel: str,
                 hue_labels: dict | None = None, decimals: int = 1, **_kw) -> pd.DataFrame:
    groups = list(dict.fromkeys(df[hue]))
    d = pd.concat([df[df[hue] == g].sort_values(x) for g in groups])
    out = pd.DataFrame({"Groupe": d[hue].map(lambda g: (hue_labels or {}).get(g, str(g))).to_numpy(),
                        xlabel: d[x].to_numpy(), ylabel: d[y].to_numpy(dtype=float)})
    return _round_to(out, decimals)


def plotted_data(fig) -> pd.DataFrame | None:
    """The values a matplotlib figure plots (lines, points, error bars, bars; not areas): one row per point, with the
    series' legend label, the axes' labels as headers (a categorical axis gives its tick labels) and, for error bars,
    the bounds. The fallback of :func:`figure` when the caller passes no ``data``."""
    rows = []
    # axes without a visible axis (maps, insets) have no values a table could give back
    axes = [ax for ax in fig.axes if ax.get_visible() and ax.has_data()
            and (ax.xaxis.get_visible() or ax.yaxis.get_visible())]
    for ax in axes:
        xl, yl = ax.get_xlabel() or "Abscisse", ax.get_ylabel() or "Valeur"
        cat = {key: {round(float(v), 6): t.get_text() for v, t in zip(axis.get_ticklocs(), axis.get_ticklabels())}
               for axis, key in ((ax.yaxis, "y"), (ax.xaxis, "x")) if _categorical(axis)}
        panel = ax.get_title() if len(axes) > 1 else ""
        ticks = np.asarray(ax.get_xticks(), dtype=float)
        # points dodged around integer ticks one unit apart (e.g. options side by side) are read at their tick
        dodged = "x" not in cat and len(ticks) > 1 and np.allclose(np.diff(ticks), 1) and np.allclose(ticks,
                                                                                                        ticks.round())

        def put(series, xs, ys, lo=None, hi=None):
            for i, (xv, yv) in enumerate(zip(xs, ys)):
                r = {"Panneau": panel, "Série": "" if str(series).startswith("_") else series}
                xv, yv = float(xv), float(yv)
                if dodged and abs(xv - round(xv)) <= 0.2:
                    xv = float(round(xv))
                r[xl] = cat["x"].get(round(xv, 6), xv) if "x" in cat else xv
                r[yl] = cat["y"].get(round(yv, 6), yv) if "y" in cat else yv
                if lo is not None:
                    r["Borne basse de l'IC à 95 %"], r["Borne haute de l'IC à 95 %"] = lo[i], hi[i]
                rows.append(r)

        done = set()
        for c in ax.containers:
            if isinstance(c, ErrorbarContainer):
                line, _caps, cols = c.lines
                if line is None:
                    continue
                done.add(id(line))
                xs, ys = line.get_xdata(), line.get_ydata()
                seg = cols[0].get_segments() if cols else []
                k = 0 if c.has_xerr and not c.has_yerr else 1  # horizontal error bars: their bounds are on x
                lo = hi = None
                if cols and len(seg) == len(xs):
                    lo, hi = ([f(s[0][k], s[1][k]) for s in seg] for f in (min, max))
                put(c.get_label(), xs, ys, lo, hi)
            elif isinstance(c, BarContainer):
                done.update(id(p) for p in c.patches)
                vert = c.orientation == "vertical"
                xs = [p.get_x() + p.get_width() / 2 if vert else p.get_width() for p in c.patches]
                ys = [p.get_height() if vert else p.get_y() + p.get_height() / 2 for p in c.patches]
                put(c.get_label(), xs, ys)
        lines = [ln for ln in ax.get_lines() if id(ln) not in done and ln.get_transform() is ax.transData
                 and len(ln.get_xdata())]
        unnamed = [ln for ln in lines if ln.get_label().startswith("_")]
        for line in lines:  # several unnamed lines are told apart by their rank
            name = f"courbe {unnamed.index(line) + 1}" if len(unnamed) > 1 and line in unnamed else line.get_label()
            put(name, line.get_xdata(), line.get_ydata())
        for coll in ax.collections:
            if type(coll).__name__ == "PathCollection" and len(coll.get_offsets()):
                off = np.asarray(coll.get_offsets())
                put(coll.get_label(), off[:, 0], off[:, 1])
    if not rows or len(rows) > 5000:  # nothing, or shapes rather than values
        return None
    out = pd.DataFrame(rows)
    return out.drop(columns=[c for c in ("Panneau", "Série") if (out[c] == "").all()])


def _with_data(builder, data_of=None):
    """``builder`` (a function returning a :class:`Figure`) whose figure carries its data: ``data=`` if the caller
    passes it, else ``data_of(*args, **kw)`` (the frame the builder plots), else what the figure plots."""
    @functools.wraps(builder)
    def _build(*args, data: pd.DataFrame | None = None, **kw):
        if data is None and data_of is None and args:
            try:
                data = plotted_data(args[0])
            except Exception:  # noqa: BLE001 - a figure is shown even if its values cannot be read back
                data = None
        f = builder(*args, **kw)
        if data is None and data_of is not None:
            data = data_of(*args, **kw)
        if data is not None:
            f.data = data
        return f

    return _build


figure = _with_data(figure)
event_study = _with_data(event_study, _event_study_data)
forest = _with_data(forest, _forest_data)
trends = _with_data(trends, _trends_data)


__all__ = ["PALETTE", "Figure", "Table", "apply_style", "band_reading", "event_study", "figure", "forest", "french_axis",
           "new", "synthetic_source", "data_source", "user_data_label", "data_fingerprint_short", "date_fr", "table",
           "trends", "NBSP"]
