"""Calibrated, seeded generators of the study tables.

Each registered study (:mod:`evalkit.registry`) names its generator module, which exposes ``simulate(seed=…,
scale=1.0, **overrides) -> pandas.DataFrame`` (a table that passes its contract), documents every parameter with its
source and may expose ``truth`` (the effect it plants).
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

from .. import registry
from ..paths import DEFAULT_SEED  # one seed for data and analyses

MARKER = "SYNTHETIC"


def available() -> list[str]:
    """Registered studies whose generator is installed, in the book's order."""
    out = []
    for spec in registry.STUDIES:
        try:
            spec.generator_module()
        except ModuleNotFoundError as e:
            if e.name != spec.generator:
                raise
            continue
        out.append(spec.name)
    return out


def simulate(study: str, seed: int = DEFAULT_SEED, scale: float = 1.0, **overrides):
    """Generate one study's synthetic table."""
    return registry.get(study).generator_module().simulate(seed=seed, scale=scale, **overrides)


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
    try:
        previous = json.loads((out_dir / MARKER).read_text()).get("files", {})
    except (FileNotFoundError, ValueError, AttributeError):
        previous = {}
    files = {**previous, **{p.stem: {"seed": seed, "scale": scale} for p in written}}
    meta = {"generator": "evalkit.simulate", "seed": seed, "scale": scale, "studies": sorted(files), "files": files}
    write_bytes_atomic(json.dumps(meta, indent=2).encode(), out_dir / MARKER)
    return written


def planted_truth(study: str, df, data_dir: Path | str | None = None) -> dict | None:
    """The effect planted by the generator in ``df``, or None when ``df`` is not the bundled synthetic table.

    For the caller (a chapter) to pass to the study's analysis, which never regenerates data itself. The truth is
    returned only if the folder is marked synthetic and regenerating the study's table from the seed and scale the
    marker records reproduces ``df`` exactly (keys and outcomes): an evaluator's data never get a « truth ».
    Studies whose generator has no ``truth(df)`` function return None.
    """
    from .. import paths

    if "truth" in getattr(df, "attrs", {}):
        return df.attrs["truth"]
    folder = Path(data_dir) if data_dir is not None else paths.data_dir()
    if data_dir is None and paths.data_kind() != "synthetic":
        return None
    try:
        meta = json.loads((folder / MARKER).read_text())
        rec = meta.get("files", {}).get(study, meta)
        seed, scale = int(rec["seed"]), float(rec.get("scale", 1.0))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    mod = registry.get(study).generator_module()
    truth_fn = getattr(mod, "truth", None)
    if truth_fn is None:
        return None
    try:
        sim_df = mod.simulate(seed=seed, scale=scale)
    except Exception:  # noqa: BLE001 — any failure means: no truth to show
        return None
    if len(sim_df) != len(df):
        return None
    st = registry.get(study).contract
    keys = [st.unit, st.time]
    cols = [c for c in sim_df.columns if c in df.columns]
    a = sim_df[cols].astype(str).sort_values(keys).reset_index(drop=True)
    b = df[cols].astype(str).sort_values(keys).reset_index(drop=True)
    if not a.equals(b):
        return None
    if "df" in inspect.signature(truth_fn).parameters:
        return truth_fn(sim_df)
    return truth_fn(seed=seed, scale=scale)
