"""Screenshots of every page of a built book at a desktop and at a phone width, for humans to look at.

Usage: python tools/screenshots.py [HTML_DIR] [--out DIR] [--widths 1280,390] [--pages chapters/msp.html,...]

HTML_DIR defaults to ``_build/html`` (built by ``make book`` or ``make strict-build``); the PNGs go to
``_build/screenshots/<width>/<page>.png`` (git-ignored), as the browser test writes them. Every page reachable from
``index.html`` is loaded in headless Chromium (tests/browser.py: Debian's chromedriver, external requests blocked),
once per width, and photographed full-page; the legibility problems the browser test would report are printed
(exit status 1 if there are any), so that a look at the pictures and the list go together.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import browser as B  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("html", nargs="?", default=str(ROOT / "_build" / "html"), help="built book (default _build/html)")
    ap.add_argument("--out", default=str(B.SCREENSHOTS), help="folder of the PNGs (default _build/screenshots)")
    ap.add_argument("--widths", default=",".join(map(str, B.WIDTHS)), help="window widths in px (default 1280,390)")
    ap.add_argument("--pages", default="", help="comma-separated pages (default: every page reachable from index)")
    args = ap.parse_args(argv)
    html = Path(args.html).resolve()
    if not (html / "index.html").exists():
        print(f"{html}: no index.html (build the book first: make strict-build)", file=sys.stderr)
        return 2
    pages = [p for p in args.pages.split(",") if p] or B.reachable_pages(html)
    widths = [int(w) for w in args.widths.split(",") if w]
    out = Path(args.out)
    bad = 0
    with tempfile.TemporaryDirectory() as profile:
        driver = B.start_driver(Path(profile))
        try:
            for width in widths:
                if B.set_width(driver, width) != width:
                    print(f"the window could not be set to {width} px", file=sys.stderr)
                    return 2
                for page in pages:
                    facts = B.probe(driver, html / page)
                    shot = B.screenshot(driver, out / B.page_id(page, width))
                    problems = B.judge(facts)
                    bad += len(problems)
                    fonts = [f["px"] for f in facts.get("figureFonts", [])]
                    smallest = f", smallest figure text {min(fonts):.1f} px" if fonts else ""
                    print(f"{width:>5} px  {page}: {shot.relative_to(out)}{smallest}"
                          + ("" if not problems else "\n         - " + "\n         - ".join(problems)))
        finally:
            driver.quit()
    print(f"{len(pages)} page(s) × {len(widths)} width(s) in {out}; {bad} problem(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
