"""Helpers for the browser test of the built book (``tests/test_browser.py``).

Two kinds of checks, both returning lists of human-readable problems (empty = the page is fine):

- **static checks** on the HTML file, no browser needed (:func:`static_problems`): ``<html lang="fr">``, every
  ``<img>`` has a real alt text, every relative ``href``/``src`` resolves to a file of the built book and every
  ``#anchor`` exists in its target page;
- **browser checks** (:func:`probe` runs :data:`PROBE_JS` in headless Chromium, :func:`judge` reads the facts): the page
  rendered (``document.readyState``, a main content element with a title and text), no error, warning or traceback
  text in an output cell and no stderr/traceback output block (cells tagged ``raises-exception`` are exempt, as in
  nbval), no docutils error node, no image that failed to load, no table or figure wider than the content column
  unless it sits in a horizontally scrollable wrapper that fits, no horizontal scroll of the whole page, no JavaScript
  error; and legibility at any window width (:func:`set_width`; the test uses :data:`WIDTHS`): no image wider than
  the window, every table column reachable (not hidden, not clipped by an ``overflow: hidden`` ancestor), the
  smallest text of each figure at least :data:`MIN_TEXT_PX` high as displayed (from the ``data-font-px`` attribute
  :mod:`evalkit.plots` writes on the image, scaled by its displayed width), no ordinary space inside a number and no
  number laid out on two lines.

Chromium is driven through selenium with Debian's chromedriver (never selenium-manager: no download, no network);
external requests (http/https) are blocked so that a page is checked as it renders offline.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
import shutil
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]

SKIP_ENV = "EVALKIT_SKIP_BROWSER"  # "1": skip the browser checks (static checks still run)
HTML_ENV = "EVALKIT_BOOK_HTML"  # a built book's html directory to check instead of building one
SCREENSHOTS = ROOT / "_build" / "screenshots"

APT_INSTALL = "apt-get update && apt-get install -y chromium chromium-driver"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium")
CHROMEDRIVER = "/usr/bin/chromedriver"
WINDOW = (1280, 900)
WIDTHS = (1280, 390)  # every page is checked (and photographed) at a desktop width and at a phone width
PHONE_HEIGHT = 844
MIN_TEXT_PX = 9.0  # smallest text of a figure, as displayed
MAX_SCREENSHOT_HEIGHT = 60000  # px; longer pages are cut (the PNG is for humans to look at)

# Pages of the built site that are not book pages (Sphinx's generated index and search pages, assets).
NOT_PAGES = {"genindex.html", "search.html", "py-modindex.html"}
ASSET_DIRS = {"_static", "_sources", "_images", "_downloads", "_panels_static"}

# Text that must not appear in a notebook output cell.
ERROR_PATTERNS = (
    re.compile(r"Traceback"),
    re.compile(r"\w*(?:Error|Exception)\s?:"),
    re.compile(r"\w+Warning\s?:"),
    re.compile(r"\bErreur\s?:"),
)

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_FILENAME_ALT = re.compile(r"^\S*\.(?:png|jpe?g|gif|svg|webp|bmp)$", re.IGNORECASE)
_BOOK_EXT = re.compile(r"\.(?:md|ipynb|rst|myst)$")


# --- which pages -------------------------------------------------------------------------------------------------

def toc_pages(root: Path = ROOT, toc_text: str | None = None) -> list[str]:
    """HTML pages (relative posix paths, e.g. ``chapters/msp.html``) of every entry of the book's ``_toc.yml``
    (or of ``toc_text``, a snapshot of it)."""
    import yaml

    if toc_text is None:
        toc_text = (root / "_toc.yml").read_text(encoding="utf-8")
    toc = yaml.safe_load(toc_text) or {}
    files: list[str] = [str(toc["root"])]

    def walk(node) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            if "file" in node:
                files.append(str(node["file"]))
            if "glob" in node:
                for hit in sorted(root.glob(str(node["glob"]))):
                    if _BOOK_EXT.search(hit.name):
                        files.append(hit.relative_to(root).as_posix())
            for key in ("parts", "chapters", "sections", "subtrees", "entries"):
                if key in node:
                    walk(node[key])

    walk({k: v for k, v in toc.items() if k != "root"})
    pages = [_BOOK_EXT.sub("", f).strip("/") + ".html" for f in files]
    return list(dict.fromkeys(pages))


def is_book_page(rel: str) -> bool:
    parts = rel.split("/")
    return rel.endswith(".html") and parts[-1] not in NOT_PAGES and not (ASSET_DIRS & set(parts[:-1]))


def reachable_pages(html_root: Path) -> list[str]:
    """Every book page reachable by following links from ``index.html`` (sorted relative posix paths)."""
    html_root = html_root.resolve()
    start = html_root / "index.html"
    if not start.exists():
        return []
    seen = {"index.html"}
    queue = [start]
    while queue:
        page = queue.pop()
        for link in parse_page(page).links:
            if link.attr != "href" or link.tag not in ("a", "area"):
                continue
            target, _frag, err = _resolve(page, html_root, link.value)
            if err or target is None or not target.exists():
                continue
            rel = target.relative_to(html_root).as_posix()
            if is_book_page(rel) and rel not in seen:
                seen.add(rel)
                queue.append(target)
    return sorted(seen)


def page_id(rel: str, width: int | None = None) -> str:
    """Name of a page's screenshot, relative to :data:`SCREENSHOTS` (``chapters/msp.html`` → ``chapters/msp.png``;
    with ``width`` 390 → ``390/chapters/msp.png``)."""
    name = re.sub(r"\.html$", "", rel) + ".png"
    return f"{width}/{name}" if width else name


def set_width(driver, width: int) -> int:
    """Resize the browser window to ``width`` CSS pixels of viewport (height 900, or a phone's at phone widths) and
    return the viewport width the page sees."""
    height = WINDOW[1] if width >= 800 else PHONE_HEIGHT
    driver.set_window_size(width, height)
    inner = driver.execute_script("return window.innerWidth")
    if inner != width:  # window decorations (non-headless): correct by the difference once
        driver.set_window_size(2 * width - inner, height)
        inner = driver.execute_script("return window.innerWidth")
    return inner


# --- static parsing ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Link:
    tag: str
    attr: str
    value: str
    line: int


@dataclass(frozen=True)
class Image:
    src: str
    alt: str | None
    line: int


@dataclass
class ParsedPage:
    lang: str | None = None
    ids: set[str] = field(default_factory=set)
    links: list[Link] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)


_LINK_ATTRS = {
    "a": ("href",), "area": ("href",), "link": ("href",), "img": ("src",), "script": ("src",), "iframe": ("src",),
    "source": ("src",), "video": ("src", "poster"), "audio": ("src",), "embed": ("src",), "track": ("src",),
    "object": ("data",), "form": ("action",), "use": ("href", "xlink:href"), "image": ("href", "xlink:href"),
}


class _Parser(HTMLParser):
    def __init__(self, page: ParsedPage):
        super().__init__(convert_charrefs=True)
        self.page = page

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        line = self.getpos()[0]
        if tag == "html" and self.page.lang is None:
            self.page.lang = a.get("lang")
        if a.get("id"):
            self.page.ids.add(a["id"])
        if tag == "a" and a.get("name"):
            self.page.ids.add(a["name"])
        for attr in _LINK_ATTRS.get(tag, ()):
            if a.get(attr) is not None:
                self.page.links.append(Link(tag, attr, a[attr], line))
        if tag == "img":
            self.page.images.append(Image(a.get("src") or "", a.get("alt"), line))

    handle_startendtag = handle_starttag


@functools.lru_cache(maxsize=512)
def _parse_cached(path: str, _mtime_ns: int, _size: int) -> ParsedPage:
    page = ParsedPage()
    parser = _Parser(page)
    parser.feed(Path(path).read_text(encoding="utf-8", errors="replace"))
    parser.close()
    return page


def parse_page(path: Path) -> ParsedPage:
    st = path.stat()
    return _parse_cached(str(path.resolve()), st.st_mtime_ns, st.st_size)


# --- static checks -----------------------------------------------------------------------------------------------

def _resolve(page: Path, html_root: Path, value: str) -> tuple[Path | None, str, str | None]:
    """(target file or None for external/same page, fragment, problem or None) for one href/src value."""
    value = value.strip()
    if not value or value.startswith("//") or _SCHEME.match(value):
        return None, "", None  # external (http:, mailto:, data:, javascript:, …) or empty
    parts = urlsplit(value)
    path, frag = unquote(parts.path), unquote(parts.fragment)
    if not path:
        return page.resolve(), frag, None
    if path.startswith("/"):
        return None, frag, "root-absolute path (breaks when the book is not served at a domain's root)"
    target = Path(os.path.normpath(page.resolve().parent / path))
    if not target.is_relative_to(html_root.resolve()):
        return target, frag, "points outside the built book"
    if target.is_dir():
        target = target / "index.html"
    return target, frag, None


def link_problems(page: Path, html_root: Path) -> list[str]:
    """Relative links and sources of ``page`` that do not resolve to a file of ``html_root`` or to an anchor."""
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for link in parse_page(page).links:
        if (link.attr, link.value) in seen:
            continue
        seen.add((link.attr, link.value))
        where = f"<{link.tag} {link.attr}={link.value!r}> (line {link.line})"
        target, frag, err = _resolve(page, html_root, link.value)
        if err:
            problems.append(f"broken link {where}: {err}")
            continue
        if target is None:
            continue
        if not target.exists():
            problems.append(f"broken link {where}: no file {target.relative_to(html_root.resolve()).as_posix()}")
            continue
        if frag and frag.lower() != "top" and target.suffix == ".html" and frag not in parse_page(target).ids:
            rel = target.relative_to(html_root.resolve()).as_posix()
            problems.append(f"broken link {where}: no element with id {frag!r} in {rel}")
    return problems


def image_problems(parsed: ParsedPage) -> list[str]:
    problems = []
    for img in parsed.images:
        src = img.src if len(img.src) <= 60 else img.src[:57] + "..."
        alt = (img.alt or "").strip()
        if img.alt is None:
            problems.append(f"<img src={src!r}> (line {img.line}) has no alt attribute")
        elif not alt:
            problems.append(f"<img src={src!r}> (line {img.line}) has an empty alt text")
        elif _FILENAME_ALT.match(alt) or alt == img.src or alt == img.src.rsplit("/", 1)[-1]:
            problems.append(f"<img src={src!r}> (line {img.line}) has a file name as alt text ({alt!r})")
    return problems


def lang_problems(parsed: ParsedPage) -> list[str]:
    if parsed.lang != "fr":
        return [f'<html lang={parsed.lang!r}>, expected <html lang="fr"> (set sphinx: config: language: fr)']
    return []


def static_problems(page: Path, html_root: Path) -> list[str]:
    parsed = parse_page(page)
    return lang_problems(parsed) + image_problems(parsed) + link_problems(page, html_root)


# --- browser -----------------------------------------------------------------------------------------------------

class BrowserUnavailable(RuntimeError):
    """Chromium, its driver or selenium is missing or does not start."""


def skip_requested() -> bool:
    return os.environ.get(SKIP_ENV, "").strip() == "1"


def _hint(what: str) -> str:
    return (f"{what}. The browser test of the book needs Chromium and its driver (Debian packages): install them "
            f"with `{APT_INSTALL}` (as root), or set {SKIP_ENV}=1 to skip the browser checks.")


def find_chromium() -> tuple[str, str]:
    """(chromium binary, chromedriver) or :class:`BrowserUnavailable` saying how to install them."""
    chromium = next((c for c in CHROMIUM_CANDIDATES if os.access(c, os.X_OK)), None) or shutil.which("chromium")
    driver = CHROMEDRIVER if os.access(CHROMEDRIVER, os.X_OK) else shutil.which("chromedriver")
    missing = [name for name, path in (("chromium", chromium), ("chromedriver", driver)) if not path]
    if missing:
        raise BrowserUnavailable(_hint(f"{' and '.join(missing)} not found"))
    return chromium, driver


def start_driver(profile_dir: Path, window: tuple[int, int] = WINDOW):
    """A headless Chromium (selenium + Debian's chromedriver), with every http(s) request blocked."""
    chromium, chromedriver = find_chromium()
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as exc:  # pragma: no cover - depends on the venv
        raise BrowserUnavailable("selenium is not installed in the venv: run `.venv/bin/pip install -r "
                                 f"requirements.txt` (or `make venv`) ({exc})") from exc
    os.environ.setdefault("SE_OFFLINE", "true")  # belt and braces: selenium-manager must never download anything
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--disable-extensions", "--mute-audio", "--force-device-scale-factor=1",
                "--lang=fr-FR", f"--window-size={window[0]},{window[1]}", f"--user-data-dir={profile_dir}"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(chromedriver), options=opts)
    except Exception as exc:
        raise BrowserUnavailable(_hint(f"Chromium did not start through {chromedriver} "
                                       f"({type(exc).__name__}: {str(exc).strip()[:500]})")) from exc
    driver.set_page_load_timeout(120)
    driver.set_script_timeout(30)
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["http://*", "https://*", "ws://*", "wss://*"]})
    return driver


# Facts about the loaded page, judged in Python by :func:`judge`.
PROBE_JS = r"""
const done = arguments[arguments.length - 1];
const facts = {readyState: document.readyState, url: location.href,
               lang: document.documentElement.getAttribute('lang')};
const main = document.querySelector('main#main-content article.bd-article')
          || document.querySelector('article[role="main"]') || document.querySelector('main, [role="main"]');
facts.main = !!main;
facts.mainText = main ? main.innerText.trim().length : 0;
const h1 = main && main.querySelector('h1');
facts.h1 = h1 ? h1.innerText.replace(/[#¶]\s*$/, '').trim() : null;
const exempt = el => !!el.closest('.tag_raises-exception');
const short = (s, n) => { s = (s || '').replace(/\s+/g, ' ').trim(); return s.length > n ? s.slice(0, n) + '…' : s; };
facts.outputs = [...document.querySelectorAll('.cell_output')].filter(e => !exempt(e)).map(e => e.innerText);
facts.stderr = [...document.querySelectorAll('.output.stderr, .output.traceback, .output.error')]
  .filter(e => !exempt(e)).map(e => short(e.innerText, 300));
facts.systemMessages = [...document.querySelectorAll('.system-message, .problematic')].map(e => short(e.innerText, 200));
facts.brokenImages = [...document.querySelectorAll('img')]
  .filter(i => i.complete && i.naturalWidth === 0 && i.getAttribute('loading') !== 'lazy')
  .map(i => short(i.getAttribute('src'), 80));
facts.wide = [];
if (main) {
  const cs = getComputedStyle(main), cr = main.getBoundingClientRect();
  const left = cr.left + parseFloat(cs.paddingLeft), right = cr.right - parseFloat(cs.paddingRight);
  facts.column = Math.round(right - left);
  const fits = r => r.left >= left - 1 && r.right <= right + 1;
  for (const el of main.querySelectorAll('table, img, svg, iframe, video')) {
    if (el.tagName.toLowerCase() === 'svg' && el.parentElement.closest('svg')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || fits(r)) continue;
    let scroller = null;
    for (let a = el.parentElement; a && a !== main; a = a.parentElement) {
      const ox = getComputedStyle(a).overflowX;
      if ((ox === 'auto' || ox === 'scroll') && fits(a.getBoundingClientRect())) { scroller = a; break; }
    }
    if (scroller) continue;
    const cap = el.closest('.ek-tablewrap, figure, .cell_output, .cell');
    const title = cap && cap.querySelector('.ek-figtitle, figcaption, caption');
    facts.wide.push({tag: el.tagName.toLowerCase(), width: Math.round(r.width),
                     title: short(title ? title.innerText : (el.getAttribute('alt') || el.innerText), 80)});
  }
}
facts.pageOverflow = document.documentElement.scrollWidth - document.documentElement.clientWidth;
facts.viewport = window.innerWidth;
// Images wider than the viewport (whatever their wrapper).
facts.overViewport = [...document.querySelectorAll('img')].map(i => [i, i.getBoundingClientRect()])
  .filter(([i, r]) => r.width > 0 && r.width > window.innerWidth + 1)
  .map(([i, r]) => ({width: Math.round(r.width), alt: short(i.getAttribute('alt'), 80)}));
// Smallest text of each figure, as displayed: the natural height in pixels of its smallest text (data-font-px, or
// data-font-px-mobile when the <picture> serves the phone variant) × displayed width / natural width.
facts.figureFonts = [];
facts.figuresWithoutFont = [];
for (const img of (main ? main.querySelectorAll('figure.ek-figure img') : [])) {
  const fig = img.closest('figure');
  const t = fig.querySelector('.ek-figtitle');
  const title = short(t ? t.innerText : img.getAttribute('alt'), 80);
  const mobile = img.currentSrc && img.currentSrc !== img.src;
  const attr = mobile ? img.getAttribute('data-font-px-mobile') : img.getAttribute('data-font-px');
  const r = img.getBoundingClientRect();
  if (!attr) { facts.figuresWithoutFont.push(title); continue; }
  if (!img.naturalWidth || !r.width) continue;
  facts.figureFonts.push({title, variant: mobile ? 'mobile' : 'desktop', natural: img.naturalWidth,
                          shown: Math.round(r.width), px: parseFloat(attr) * r.width / img.naturalWidth});
}
// Table cells a reader cannot reach: hidden, or cut by an ancestor that clips without scrolling (overflow hidden or
// clip), or beyond the window when no ancestor scrolls. A scrolling ancestor makes its content reachable if it is
// itself reachable.
facts.cutCells = [];
for (const table of (main ? main.querySelectorAll('table') : [])) {
  const cap = table.closest('.ek-tablewrap, figure, .cell_output, .cell');
  const tt = cap && cap.querySelector('.ek-figtitle, figcaption, caption');
  const title = short(tt ? tt.innerText : table.innerText, 60);
  const row = table.querySelector('tr');
  if (!row) continue;
  for (const cell of row.children) {
    const cs = getComputedStyle(cell);
    const name = short(cell.innerText, 40) || '(vide)';
    if (cs.display === 'none' || cs.visibility === 'hidden') {
      facts.cutCells.push({table: title, cell: name, why: 'hidden'}); continue;
    }
    let r = cell.getBoundingClientRect(), why = null;
    for (let a = cell.parentElement; a && a !== document.documentElement && !why; a = a.parentElement) {
      const ox = getComputedStyle(a).overflowX, ar = a.getBoundingClientRect();
      if (ox === 'auto' || ox === 'scroll') r = ar;
      else if ((ox === 'hidden' || ox === 'clip') && (r.right > ar.right + 1 || r.left < ar.left - 1))
        why = 'cut by an ancestor with overflow-x: ' + ox;
    }
    if (!why && (r.right > window.innerWidth + 1 || r.left < -1)) why = 'outside the window';
    if (why) facts.cutCells.push({table: title, cell: name, why});
  }
}
// Numbers that can break across lines: a breakable space inside a number in text (« 6 000 » with an ordinary
// space), or a number of a table cell laid out on more than one line.
facts.breakableNumbers = [];
if (main) {
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  const re = /(?<![\w\u202f\u00a0,.])\d{1,3}(?:[ \t\n]\d{3})+(?!\w)/g;
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.parentElement.closest('pre, code, script, style, .highlight, .MathJax, mjx-container')) continue;
    for (const m of n.textContent.matchAll(re)) facts.breakableNumbers.push(m[0].replace(/\s/g, '␣'));
    for (const m of n.textContent.matchAll(/\d[ \t\n][%€](?!\w)/g)) facts.breakableNumbers.push(m[0].replace(/\s/g, '␣'));
  }
}
// A number laid out on two lines (a no-break space is not enough if the theme lets words break anywhere): every
// number of the text (sign, digits with their separators, decimals, unit sign) must sit on one line.
facts.wrappedNumbers = [];
if (main) {
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  // a number stands alone: not glued to a word, a path or a range (« 2015-2019 » may break at its hyphen)
  const num = /(?<![\w\/.:\-\u2212+\u202f\u00a0,])[+\u2212\-]?\d+(?:[\u202f\u00a0]\d{3})*(?:,\d+)?(?:[\u202f\u00a0]?[%€])?(?![\w\-\/])/g;
  const range = document.createRange();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.parentElement.closest('pre, code, script, style, .highlight, .MathJax, mjx-container')) continue;
    for (const m of n.textContent.matchAll(num)) {
      if (m[0].length < 3) continue;
      range.setStart(n, m.index);
      range.setEnd(n, m.index + m[0].length);
      const tops = new Set([...range.getClientRects()].filter(q => q.width > 0).map(q => Math.round(q.top)));
      if (tops.size > 1) facts.wrappedNumbers.push(m[0]);
    }
  }
}
// What makes the page scroll sideways: the innermost elements that stick out of the window, not in a scroller.
facts.overflowing = [];
if (document.documentElement.scrollWidth > document.documentElement.clientWidth + 1) {
  const inScroller = el => { for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
    const ox = getComputedStyle(a).overflowX; if (ox === 'auto' || ox === 'scroll' || ox === 'hidden') return true; }
    return false; };
  const cw = document.documentElement.clientWidth;
  const out = [...document.body.querySelectorAll('*')].filter(el => {
    const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
    // a box that sticks out, or text that overflows its box (a long word in a title)
    const right = Math.max(r.right, cs.overflowX === 'visible' ? r.left + el.scrollWidth : 0);
    return r.width > 0 && right > cw + 1 && cs.visibility !== 'hidden' && cs.position !== 'fixed'
      && !inScroller(el); });
  for (const el of out) {
    if (out.some(o => o !== el && el.contains(o))) continue;  // the innermost: what sticks out, not its wrappers
    const r = el.getBoundingClientRect();
    facts.overflowing.push(`<${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ?
      ' class="' + el.className + '"' : ''}> right edge ${Math.round(Math.max(r.right, r.left + el.scrollWidth))} px: `
      + short(el.innerText, 60));
    if (facts.overflowing.length >= 5) break;
  }
}
const fonts = document.fonts ? document.fonts.ready : Promise.resolve();
Promise.race([fonts, new Promise(r => setTimeout(r, 5000))]).then(() => done(facts));
"""

# Console messages of the toolchain itself, not of the book (harmless; kept out of the failures):
# - jupyter-book 1.x writes its thebe configuration <script> twice in every page: the second ``const`` throws;
# - pydata-sphinx-theme logs this on a fresh browser profile (no stored light/dark choice) and falls back to auto.
KNOWN_TOOLCHAIN_MESSAGES = (
    "Identifier 'THEBE_JS_URL' has already been declared",
    "Got invalid theme mode: . Resetting to auto.",
)

def _external_requests(perf_log: list[dict]) -> list[str]:
    """http(s)/ws(s) URLs the page tried to load (from the DevTools "performance" log; all blocked here)."""
    urls = set()
    for entry in perf_log:
        try:
            msg = json.loads(entry["message"])["message"]
        except (KeyError, ValueError):
            continue
        if msg.get("method") == "Network.requestWillBeSent":
            url = msg.get("params", {}).get("request", {}).get("url", "")
            if re.match(r"(?:https?|wss?)://", url):
                urls.add(url)
    return sorted(urls)


def probe(driver, page: Path) -> dict:
    """Load ``page`` (file URL) and return the facts of :data:`PROBE_JS`, console errors and external requests."""
    driver.get_log("browser")  # drop what the previous page left
    driver.get_log("performance")
    driver.get(page.resolve().as_uri())
    facts = driver.execute_async_script(PROBE_JS)
    facts["consoleErrors"] = [e["message"][:300] for e in driver.get_log("browser")
                              if e.get("level") == "SEVERE"
                              and not any(k in e["message"] for k in KNOWN_TOOLCHAIN_MESSAGES)]
    facts["externalBlocked"] = _external_requests(driver.get_log("performance"))
    return facts


def error_lines(text: str) -> list[str]:
    """Lines of an output cell's text that look like an error, a warning or a traceback."""
    return [line.strip()[:200] for line in text.splitlines() if any(p.search(line) for p in ERROR_PATTERNS)]


def judge(facts: dict) -> list[str]:
    """Problems a reader would meet, from the facts of :func:`probe`."""
    problems: list[str] = []
    if facts.get("readyState") != "complete":
        problems.append(f"page did not finish loading (document.readyState = {facts.get('readyState')!r})")
    if not facts.get("main"):
        problems.append("no main content element (main#main-content article.bd-article)")
    elif facts.get("mainText", 0) == 0:
        problems.append("the main content element has no text")
    if facts.get("main") and not facts.get("h1"):
        problems.append("no <h1> title with text in the main content")
    if facts.get("lang") != "fr":
        problems.append(f"document language is {facts.get('lang')!r}, expected 'fr'")
    for i, text in enumerate(facts.get("outputs", []), 1):
        bad = error_lines(text)
        if bad:
            problems.append(f"output cell #{i} shows error/warning text: {' | '.join(bad[:3])}")
    for text in facts.get("stderr", []):
        problems.append(f"stderr/traceback output block: {text}")
    for text in facts.get("systemMessages", []):
        problems.append(f"docutils error in the page: {text}")
    for src in facts.get("brokenImages", []):
        problems.append(f"image failed to load: {src}")
    for w in facts.get("wide", []):
        problems.append(f"<{w['tag']}> {w['width']} px wide in a {facts.get('column')} px content column, not in a "
                        f"horizontally scrollable wrapper: {w['title']!r}")
    for w in facts.get("overViewport", []):
        problems.append(f"image {w['width']} px wide in a {facts.get('viewport')} px window: {w['alt']!r}")
    for t in facts.get("figuresWithoutFont", []):
        problems.append(f"figure without data-font-px (its smallest text cannot be checked): {t!r}")
    for f in facts.get("figureFonts", []):
        if f["px"] < MIN_TEXT_PX - 0.05:
            problems.append(f"figure text {f['px']:.1f} px high at {facts.get('viewport')} px ({f['variant']} PNG "
                            f"{f['natural']} px wide shown at {f['shown']} px), below {MIN_TEXT_PX} px: "
                            f"{f['title']!r}")
    for c in facts.get("cutCells", []):
        problems.append(f"table column {c['cell']!r} not reachable ({c['why']}): {c['table']!r}")
    for n in dict.fromkeys(facts.get("breakableNumbers", [])):
        problems.append(f"number with a breakable space (use a narrow no-break space, evalkit.fr): {n!r}")
    for n in dict.fromkeys(facts.get("wrappedNumbers", [])):
        problems.append(f"number broken across lines: {n!r}")
    if facts.get("pageOverflow", 0) > 1:
        culprits = "; ".join(facts.get("overflowing", []))
        problems.append(f"the page scrolls horizontally ({facts['pageOverflow']} px wider than the window)"
                        + (f": {culprits}" if culprits else ""))
    for msg in facts.get("consoleErrors", []):
        problems.append(f"browser console error: {msg}")
    return problems


def screenshot(driver, out: Path, max_height: int = MAX_SCREENSHOT_HEIGHT, tile: int = 4000) -> Path:
    """Save a full-page PNG of the loaded page to ``out`` (cut at ``max_height`` px).

    The viewport is stretched to the page's height (so that sticky sidebars and lazy content render as a reader
    scrolling down would see them), captured in tiles and stitched; then the window size is restored.
    """
    import base64
    import io

    from PIL import Image

    def content_height() -> int:
        size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
        return math.ceil((size.get("cssContentSize") or size["contentSize"])["height"])

    width = driver.execute_script("return window.innerWidth") or WINDOW[0]
    height = min(content_height(), max_height)
    try:
        for _ in range(2):  # stretching the viewport can change the layout's height once (vh units)
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                   {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
            new = min(content_height(), max_height)
            if new == height:
                break
            height = new
        canvas = Image.new("RGB", (width, height), "white")
        for y in range(0, height, tile):
            h = min(tile, height - y)
            shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
                "format": "png", "clip": {"x": 0, "y": y, "width": width, "height": h, "scale": 1}})
            canvas.paste(Image.open(io.BytesIO(base64.b64decode(shot["data"]))).convert("RGB"), (0, y))
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    canvas.save(tmp, format="PNG", compress_level=1)
    tmp.replace(out)
    return out
