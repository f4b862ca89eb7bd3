"""Execute the book's notebooks in parallel for ``evalkit run``, then let jupyter-book render them as they are.

jupyter-book 1 executes notebooks one after the other, inside Sphinx's read phase; on a national extract the study
chapters take minutes each and the machine's other cores stay idle. ``evalkit run`` therefore copies the book's
sources into its temporary folder, executes every notebook page there with nbclient — several at a time
(``jobs``, default: the number of cores, at most 2 kernels per 2 cores), the study chapters first and the summary
pages (:data:`evalkit.registry.SUMMARY_PAGES`, which read what the chapters recorded) after them — and builds the
book from the executed copies with execution turned off. A failing cell stops the run with the same log lines as
jupyter-book's own execution (:func:`evalkit.cli.failure_cause` reads them).

The kernels find the real project root through ``EVALKIT_PROJECT_ROOT`` (:func:`evalkit.paths.project_root`): the
open data of the context chapter and the reference data of the methods chapter are read from it, not copied.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Callable, Iterable

from . import paths, registry

ENV_JOBS = "EVALKIT_JOBS"  #: number of notebooks executed at once (default: :func:`default_jobs`)


class NotebookFailed(RuntimeError):
    """A notebook page failed; ``log`` holds its executor's output (the cell and its traceback)."""

    def __init__(self, page: str, log: str):
        super().__init__(f"{page} failed")
        self.page, self.log = page, log


def default_jobs() -> int:
    """``EVALKIT_JOBS`` if set, else the number of usable cores, at most 4 (each kernel holds a study's data)."""
    env = os.environ.get(ENV_JOBS, "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, min(_cores(), 4))


def _cores() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


#: Thread pools of the numerical libraries the kernels use (OpenBLAS, OpenMP, MKL, diff-diff's Rust backend).
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS")


def thread_limits(env: dict, jobs: int) -> dict:
    """``env`` with each kernel's thread pools sized to its share of the cores (cores // jobs, at least 1), unless
    the caller set them: kernels running side by side must not each spin a thread per core."""
    share = str(max(1, _cores() // max(1, jobs)))
    return {**{k: share for k in THREAD_VARS if k not in env}, **env}


def copy_sources(root: Path, dest: Path, pages: Iterable[str]) -> Path:
    """Copy what jupyter-book needs to build ``pages`` from ``root`` into ``dest``: the top-level configuration and
    bibliography files, ``_ext`` and ``_static``, and the folders of the pages (never data or outputs)."""
    dest.mkdir(parents=True, exist_ok=True)
    for f in root.iterdir():
        if f.is_file() and f.suffix in (".yml", ".yaml", ".bib", ".ipynb", ".md") and f.name != "README.md":
            shutil.copy2(f, dest / f.name)
    folders = {"_ext", "_static"} | {Path(p).parts[0] for p in pages if len(Path(p).parts) > 1}
    for name in sorted(folders):
        if (root / name).is_dir():
            shutil.copytree(root / name, dest / name, ignore=shutil.ignore_patterns(
                ".ipynb_checkpoints", "__pycache__", ".pytest_cache", "_build"))
    return dest


def turn_off_execution(config: Path) -> int:
    """Set ``execute.execute_notebooks: "off"`` in a copied ``_config.yml`` (outputs come from :func:`execute`);
    returns the book's cell timeout in seconds (``execute.timeout``, default 900), which :func:`execute` keeps."""
    import yaml

    cfg = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    timeout = int((cfg.get("execute") or {}).get("timeout") or 900)
    cfg.setdefault("execute", {})["execute_notebooks"] = "off"
    config.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return timeout


def execute(src: Path, pages: list[str], env: dict, progress: Callable[[str], None], log,
            jobs: int | None = None, timeout: int = 900) -> dict[str, float]:
    """Execute the notebook pages of ``pages`` in ``src`` in place; returns {page stem: seconds}.

    Study chapters and the other pages first, ``jobs`` at a time, longest first (the study chapters); then the
    summary pages, which read what the chapters recorded. Each notebook runs in its own process (its kernel gets
    ``env``, its working directory is the notebook's folder, as with jupyter-book). ``log``: an open text file that
    receives each notebook's output. Raises :class:`NotebookFailed` at the first failure, after stopping the
    others.
    """
    jobs = jobs or default_jobs()
    env = thread_limits(env, jobs)
    nbs = [p for p in pages if (src / f"{p}.ipynb").is_file()]
    summaries = [p for p in nbs if p in registry.SUMMARY_PAGES]
    studies = set(registry.chapters().values())
    first = sorted((p for p in nbs if p not in summaries), key=lambda p: (p not in studies, nbs.index(p)))
    timings: dict[str, float] = {}
    for batch in (first, summaries):
        if batch:
            timings.update(_run_batch(src, batch, env, progress, log, jobs, timeout))
    return timings


def _run_batch(src, batch, env, progress, log, jobs, timeout) -> dict[str, float]:
    import threading

    procs: dict[str, subprocess.Popen] = {}
    stopping = False
    lock = threading.Lock()  # one page's lines at a time in the log

    def one(page: str) -> tuple[str, float]:
        nb = src / f"{page}.ipynb"
        if stopping:
            raise NotebookFailed(page, "not run: another page failed")
        progress(f"chapitre {Path(page).name} : exécution")
        start = time.monotonic()
        cmd = [sys.executable, "-m", "evalkit.execute", str(nb), str(timeout)]
        p = subprocess.Popen(cmd, cwd=nb.parent, env={**env, "EVALKIT_PAGE": Path(page).name},
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, errors="replace", start_new_session=True)
        procs[page] = p
        out, _ = p.communicate()
        secs = time.monotonic() - start
        with lock:
            if p.returncode != 0 and stopping:  # stopped because another page failed: not a failure of its own
                log.write(f"{page}.ipynb: stopped, another page failed\n")
                log.flush()
                raise NotebookFailed(page, "stopped: another page failed")
            log.write(f"{page}.ipynb: Executing notebook\n{out}")
            if p.returncode != 0:
                log.write(f"Executing notebook failed: {page}.ipynb\n")
                log.flush()
                raise NotebookFailed(page, out)
            log.write(f"Executed notebook in {secs:.2f} seconds\n")
            log.flush()
        progress(f"chapitre {Path(page).name} : terminé en {secs:.1f} s".replace(".", ","))
        return Path(page).name, round(secs, 2)

    with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(batch)))) as pool:
        futures = [pool.submit(one, p) for p in batch]
        try:
            wait(futures, return_when=FIRST_EXCEPTION)
            for f in futures:
                if f.done() and f.exception() is not None:
                    raise f.exception()
            return dict(f.result() for f in futures)
        except BaseException:
            stopping = True
            for f in futures:
                f.cancel()
            for p in procs.values():
                if p.poll() is None:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(p.pid, signal.SIGTERM)
            raise


def _main(argv: list[str]) -> int:
    """``python -m evalkit.execute NOTEBOOK [TIMEOUT]``: execute a notebook in place (its folder as working
    directory); on a failing cell print the error as jupyter-book's log does and exit 1."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    path = Path(argv[0])
    timeout = int(argv[1]) if len(argv) > 1 else 900
    nb = nbformat.read(path, as_version=4)
    kernel = (nb.metadata.get("kernelspec") or {}).get("name") or "python3"
    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel, allow_errors=False,
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except CellExecutionError as e:
        print(f"CellExecutionError: {e}", flush=True)
        return 1
    except Exception as e:  # noqa: BLE001 — a dead kernel, a timeout: said in the log, the run stops
        print(f"{type(e).__module__}.{type(e).__name__}: {e}", flush=True)
        return 1
    nbformat.write(nb, path)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
