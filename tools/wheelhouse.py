"""Check a wheelhouse against the lock and write its INSTALL-OFFLINE.md (called by ``make wheelhouse``).

Usage: python tools/wheelhouse.py DIR   — DIR holds the wheels of requirements.txt plus evalkit's own wheel.
Fails (exit 1) if a pinned requirement has no wheel in DIR or a wheel is not for Linux x86-64 / CPython 3.11 (or
pure Python). Writes DIR/INSTALL-OFFLINE.md (English, with the measured size) and DIR/SHA256SUMS.
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def main(folder: str) -> int:
    import platform

    from packaging.tags import sys_tags
    from packaging.utils import parse_wheel_filename

    if (platform.system(), platform.machine(), sys.version_info[:2]) != ("Linux", "x86_64", (3, 11)):
        print("make wheelhouse must run on Linux x86-64 with CPython 3.11 (the target of the offline install)",
              file=sys.stderr)
        return 1
    supported = set(sys_tags())
    d = Path(folder)
    wheels = sorted(d.glob("*.whl"))
    have = {}
    for w in wheels:
        name, version = w.name.split("-")[:2]
        have[_norm(name)] = (version, w)
    problems = []
    pins = []
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        name, version = line.split("==")
        pins.append((name, version))
        got = have.get(_norm(name))
        if got is None:
            problems.append(f"no wheel for {name}=={version}")
        elif got[0] != version:
            problems.append(f"{name}: wheel {got[0]} but the lock pins {version}")
    if _norm("evalkit") not in have:
        problems.append("no wheel for evalkit itself")
    for w in wheels:
        if not set(parse_wheel_filename(w.name)[3]) & supported:
            problems.append(f"{w.name}: not for Linux x86-64 / CPython 3.11")
    if problems:
        print("wheelhouse incomplete:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    sums = []
    for w in wheels:
        h = hashlib.sha256(w.read_bytes()).hexdigest()
        sums.append(f"{h}  {w.name}")
    (d / "SHA256SUMS").write_text("\n".join(sums) + "\n")
    size = sum(w.stat().st_size for w in wheels)
    big = sorted(wheels, key=lambda w: w.stat().st_size, reverse=True)[:3]
    text = f"""# Installing evalkit without network access

This folder is a *wheelhouse*: every package the book and `evalkit` need, pinned as in `requirements.txt`, for
**Linux x86-64, CPython 3.11**, plus evalkit's own wheel — {len(wheels)} wheels, {size / 1e6:,.0f} MB in all
(largest: {", ".join(f"{w.name.split('-')[0]} {w.stat().st_size / 1e6:,.0f} MB" for w in big)}). `SHA256SUMS` lists
their checksums (`sha256sum -c SHA256SUMS` checks them after the copy).

Copy this folder and a checkout of the book's repository into the secure environment (CASD bubble, Health Data Hub,
Cnam portal), then, with Python 3.11:

```bash
make book WHEELHOUSE=/path/to/wheelhouse    # or: make test WHEELHOUSE=/path/to/wheelhouse
```

which creates `.venv` with `pip install --no-index --find-links /path/to/wheelhouse` (pip never contacts an index).
Without `make`:

```bash
python3.11 -m venv .venv
.venv/bin/pip install --no-index --find-links /path/to/wheelhouse -r requirements.txt
.venv/bin/pip install --no-index --no-deps --no-build-isolation -e .
.venv/bin/evalkit run --data MY_DATA --out MY_OUTPUT
```

To use evalkit without the book's repository (validation, claims, power): `pip install --no-index --find-links
/path/to/wheelhouse evalkit` installs the library and its command line from the wheel.

What the wheelhouse does not contain: Python itself, Java 17 (only for `evalkit claims --engine spark`) and Chromium
(only for the browser test of `make test`; without it, set `EVALKIT_SKIP_BROWSER=1`).
"""
    (d / "INSTALL-OFFLINE.md").write_text(text)
    print(f"wheelhouse OK: {len(wheels)} wheels, {size / 1e6:,.0f} MB, {len(pins)} pinned requirements + evalkit")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
