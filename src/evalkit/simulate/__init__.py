"""Calibrated, seeded generators of the three contract tables.

Each study module (``msp``, ``asalee``, ``assistants``) exposes ``simulate(seed=0, scale=1.0, **overrides) ->
pandas.DataFrame`` (a table that passes its contract) and documents every parameter with its source.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

GENERATORS = {"msp": "evalkit.simulate.msp", "asalee": "evalkit.simulate.asalee",
              "assistants": "evalkit.simulate.assistants"}
from ..paths import DEFAULT_SEED  # noqa: E402  (one seed for data and analyses)
MARKER = "SYNTHETIC"


def available() -> list[str]:
    """Studies whose generator is installed."""
    out = []
    for study, mod in GENERATORS.items():
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as e:
            if e.name != mod:
                raise
            continue
        out.append(study)
    return out


def simulate(study: str, seed: int = DEFAULT_SEED, scale: float = 1.0, **overrides):
    """Generate one study's synthetic table."""
    return importlib.import_module(GENERATORS[study]).simulate(seed=seed, scale=scale, **overrides)


def write_all(out_dir: Path | str, seed: int = DEFAULT_SEED, scale: float = 1.0,
              studies: list[str] | None = None, progress=None) -> list[Path]:
    """Generate every available study into ``out_dir`` (atomically per file) and mark the folder as synthetic."""
    from ..contracts import validate
    from ..io import write_bytes_atomic, write_csv_atomic

    out_dir = Path(out_dir)
    written = []
    for study in studies or available():
        if progress:
            progress(f"simulate {study} (seed {seed}, scale {scale})")
        df = simulate(study, seed=seed, scale=scale)
        validate(df, study, file=f"{study}.csv (generated)")
        written.append(write_csv_atomic(df, out_dir / f"{study}.csv"))
    marker = out_dir / MARKER
    previous = {}
    if marker.exists():
        try:
            previous = json.loads(marker.read_text()).get("files", {})
        except (ValueError, AttributeError):
            previous = {}
    files = {**previous, **{p.stem: {"seed": seed, "scale": scale} for p in written}}
    meta = {"generator": "evalkit.simulate", "seed": seed, "scale": scale, "studies": sorted(files), "files": files}
    write_bytes_atomic(json.dumps(meta, indent=2).encode(), out_dir / MARKER)
    return written
