"""Where things are: project root, data directory, results directory.

Chapters never hold file paths: they ask evalkit. The data location comes from the environment variable
``EVALKIT_DATA`` (set by ``evalkit run``), else ``<project>/data/synthetic``.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_DATA = "EVALKIT_DATA"
ENV_RESULTS = "EVALKIT_RESULTS_DIR"
ENV_DATA_KIND = "EVALKIT_DATA_KIND"
ENV_SEED = "EVALKIT_SEED"
DEFAULT_SEED = 20240501
ENV_ROOT = "EVALKIT_PROJECT_ROOT"  #: set by ``evalkit run`` for notebooks executed from a copy (:mod:`evalkit.execute`)


def project_root() -> Path:
    """The book's root folder (the one holding ``_config.yml``).

    ``EVALKIT_PROJECT_ROOT`` if set (``evalkit run`` executes copies of the notebooks); else searched upward from
    the working directory (notebooks run in ``chapters/``), then from this package's location (editable install in
    ``src/evalkit``).
    """
    env = os.environ.get(ENV_ROOT)
    if env and (Path(env) / "_config.yml").is_file():
        return Path(env).resolve()
    for start in (Path.cwd(), Path(__file__).resolve().parent):
        for d in (start, *start.parents):
            if (d / "_config.yml").is_file() and (d / "_toc.yml").is_file():
                return d
    raise FileNotFoundError("evalkit: cannot find the book's root (a folder with _config.yml and _toc.yml)")


def data_dir() -> Path:
    """Folder holding the study files (``msp.csv``, ``asalee.csv``, ``assistants.csv``)."""
    return _env_dir(ENV_DATA, "data", "synthetic")


def data_kind() -> str:
    """``synthetic`` for the bundled generated data, ``user`` for an evaluator's own data."""
    kind = os.environ.get(ENV_DATA_KIND)
    if kind in ("synthetic", "user"):
        return kind
    env = os.environ.get(ENV_DATA)
    return "user" if env and not (Path(env) / "SYNTHETIC").exists() else "synthetic"


def results_dir() -> Path:
    """Folder where chapters record their result rows (one CSV per chapter)."""
    return _env_dir(ENV_RESULTS, "_build", "results")


def _env_dir(var: str, *default: str) -> Path:
    """The folder named by environment variable ``var`` (resolved), else ``default`` under the project root."""
    env = os.environ.get(var)
    return Path(env).expanduser().resolve() if env else project_root().joinpath(*default)


def seed() -> int:
    """Seed for the analyses' random steps (bootstrap, matching ties): ``EVALKIT_SEED`` or the book's default."""
    env = os.environ.get(ENV_SEED)
    return int(env) if env else DEFAULT_SEED
