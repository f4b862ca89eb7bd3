"""The ``evalkit`` command: simulate, validate, run, build, claims, power.

Errors a user can fix (bad data, bad paths) print one clear message on stderr and exit with code 2, never a
traceback (``--debug`` shows it). Outputs are built in a temporary folder and moved into place only on success.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from importlib import metadata
from pathlib import Path

from . import __version__, paths, registry
from .contracts import STUDIES, DataError, DataWarning
from .fr import fmt_int

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class UserError(Exception):
    """A problem the user can fix (paths, options): message only, exit code 2."""


class Progress:
    """Progress lines on stderr with elapsed time (quiet when not on a terminal unless verbose)."""

    def __init__(self, quiet: bool = False):
        self.t0 = time.monotonic()
        self.quiet = quiet

    def __call__(self, msg: str) -> None:
        if not self.quiet:
            print(f"[{time.monotonic() - self.t0:6.1f} s] {msg}", file=sys.stderr, flush=True)


# --- commands ----------------------------------------------------------------------------------------------------

def cmd_simulate(args) -> int:
    from .simulate import available, write_all

    studies = _studies(args.studies, available())
    seed = paths.DEFAULT_SEED if args.seed is None else args.seed
    written = write_all(Path(args.out), seed=seed, scale=args.scale, studies=studies, progress=Progress(args.quiet))
    for p in written:
        print(p)
    return EXIT_OK


def validate_dir(data_dir: Path, studies: list[str] | None, progress=None, balance: str = "warn",
                 stats: dict | None = None) -> dict:
    """Validate every present study file in ``data_dir``; returns {study: (path, n_rows, warnings)}.

    ``stats``, if given, receives {study: distinct units and first/last year} (:func:`evalkit.replication.input_stats`)
    of each valid file, for the replication README.

    Raises DataError listing the problems of every file (all files are checked before failing). Large files are
    validated side by side, one process per file (:func:`_validation_jobs`).
    """
    from .io import find_file

    if not data_dir.is_dir():
        if data_dir.exists():
            raise UserError(f"{data_dir} : n'est pas un dossier. Pour corriger : donner à --data le dossier qui "
                            f"contient les fichiers (ici : --data {data_dir.parent})")
        raise UserError(f"{data_dir} : dossier introuvable. Pour corriger : donner à --data le dossier qui contient "
                        "msp.csv, asalee.csv, assistants.csv")
    progress = progress or (lambda msg: None)
    wanted = studies or list(STUDIES)
    found, errors, todo = {}, [], []
    for study in wanted:
        try:
            path = find_file(study, data_dir)
        except DataError as e:
            errors.append(str(e))
            continue
        if path is None:
            progress(f"{study} : aucun fichier dans {data_dir} — chapitre omis")
            continue
        todo.append((study, path))
    jobs = _validation_jobs([p for _, p in todo])
    if jobs > 1:  # large files: one process per file, as many at a time as cores (results in the studies' order)
        import concurrent.futures as cf
        import multiprocessing

        progress(f"validation de {', '.join(p.name for _, p in todo)} ({jobs} à la fois)")
        with cf.ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = [pool.submit(_validate_one, study, data_dir, balance, stats is not None) for study, _ in todo]
            checked = [f.result() for f in futures]
    else:
        checked = []
        for study, path in todo:
            progress(f"validation de {path.name}")
            checked.append(_validate_one(study, data_dir, balance, stats is not None))
    for (study, path), (n, msgs, error, st) in zip(todo, checked):
        if error is not None:
            errors.append(error)
            continue
        for m in msgs:
            print(f"avertissement : {m}", file=sys.stderr)
        found[study] = (path, n, msgs)
        if stats is not None:
            stats[study] = st
    if errors:
        raise DataError("\n".join(errors))
    if not found:
        raise UserError(f"{data_dir} : aucun fichier d'étude (msp.csv, asalee.csv ou assistants.csv, ou .parquet, "
                        f"attendus){_hint_files(data_dir, wanted)}. Pour corriger : donner à --data le dossier qui "
                        "les contient, sous ces noms")
    return found


#: Files larger than this in all are validated in parallel processes (below, starting them costs more than it saves).
PARALLEL_VALIDATION_BYTES = 32 * 2**20


def _validation_jobs(files: list[Path]) -> int:
    """How many files to validate at a time: 1 for small data, else one per core (at most one per file)."""
    from .execute import _cores

    try:
        size = sum(p.stat().st_size for p in files)
    except OSError:
        return 1
    return 1 if len(files) < 2 or size < PARALLEL_VALIDATION_BYTES else max(1, min(len(files), _cores()))


def _validate_one(study: str, data_dir: Path, balance: str, want_stats: bool):
    """Validate one study's file: (rows, warnings, error message or None, stats or None). Runs in the caller's process
    or in a worker (everything it returns pickles; the validated table reaches the chapters through the run's
    cache, ``EVALKIT_VALIDATED_CACHE``)."""
    from .io import find_file, load

    path = find_file(study, data_dir)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        try:
            df = load(study, data_dir, balance=balance)
        except DataError as e:
            return 0, [], str(e), None
        except (MemoryError, KeyboardInterrupt):
            raise
        except Exception as e:  # noqa: BLE001 - a file evalkit cannot digest is reported, never a traceback
            return 0, [], (f"{path.name} : lecture impossible ({type(e).__name__} : {str(e)[:200]}). "
                            "Pour corriger : réexporter le fichier en CSV (séparateur , ou ;) avec une ligne "
                            "d'en-tête ; si le problème persiste, le signaler avec evalkit --debug validate"), None
    msgs = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    st = None
    if want_stats:
        from .replication import input_stats

        spec = STUDIES[study]
        st = input_stats(df, spec.unit, spec.time)
    return len(df), msgs, None, st


def _hint_files(data_dir: Path, wanted: list[str]) -> str:
    """What the folder holds instead: table files under other names, study files one folder down."""
    from .io import EXTENSIONS, find_file

    try:
        entries = sorted(data_dir.iterdir())
    except OSError:
        return ""
    tables = [p.name for p in entries if p.is_file() and p.name.lower().endswith((*EXTENSIONS, ".xlsx", ".xls",
                                                                                  ".txt", ".tsv"))]
    below = []
    for sub in (p for p in entries if p.is_dir()):
        try:
            if any(find_file(s, sub) for s in wanted):
                below.append(sub.name)
        except DataError:
            below.append(sub.name)
    hint = ""
    if tables:
        hint += f" ; le dossier contient {', '.join(tables[:5])}{'…' if len(tables) > 5 else ''} : les renommer " \
                "(msp.csv, asalee.csv, assistants.csv) s'ils contiennent ces données"
    if below:
        hint += f" ; des fichiers d'étude sont dans le sous-dossier {', '.join(below[:3])} (--data " \
                f"{data_dir / below[0]})"
    return hint


def cmd_validate(args) -> int:
    found = validate_dir(Path(args.data).resolve(), _studies(args.studies, list(STUDIES)), Progress(args.quiet))
    for study, (path, n, msgs) in found.items():
        w = f" ; {len(msgs)} avertissement{'s' if len(msgs) > 1 else ''}" if msgs else ""
        print(f"{path.name} : OK ({fmt_int(n)} ligne{'s' if n > 1 else ''}{w})")
    return EXIT_OK


# --- the output folder: never delete what evalkit did not write ------------------------------------------------

MANIFEST = ".evalkit-manifest"
#: What an evalkit output without manifest (written by evalkit ≤ 0.x) holds: these paths, and everything under html/.
_LEGACY_FILES = ("results/estimates.csv", "results/run.json", "results/build.log")


def _inside(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


def _input_files(data_dir: Path) -> list[Path]:
    """The study files of ``data_dir`` as their real paths (symbolic links resolved)."""
    from .io import find_file

    out = []
    for study in STUDIES:
        try:
            p = find_file(study, data_dir)
        except DataError:
            continue
        if p is not None:
            out.append(p.resolve())
    if (data_dir / "SYNTHETIC").exists():
        out.append((data_dir / "SYNTHETIC").resolve())
    return out


def _check_out(data_dir: Path, out: Path) -> None:
    """Refuse any overlap between the data and the output folder, after resolving symbolic links."""
    data_dir, out = data_dir.resolve(), out.resolve()
    fix = ("Pour corriger : choisir un dossier de sortie distinct, ni dans le dossier de données ni au-dessus de lui "
           "(les données ne sont jamais modifiées)")
    if out == data_dir:
        raise UserError(f"--out {out} est le dossier de données lui-même. {fix}")
    if _inside(out, data_dir):
        raise UserError(f"--out {out} est à l'intérieur du dossier de données {data_dir}. {fix}")
    if _inside(data_dir, out):
        raise UserError(f"le dossier de données {data_dir} est à l'intérieur du dossier de sortie {out} : remplacer "
                        f"la sortie effacerait les données. Pour corriger : déplacer les données hors de {out}, ou "
                        "choisir un autre dossier de sortie")
    for f in _input_files(data_dir):
        if _inside(f, out):
            raise UserError(f"le fichier de données {f.name} (lien vers {f}) est dans le dossier de sortie {out} : "
                            "remplacer la sortie l'effacerait. Pour corriger : copier le fichier hors de la sortie, "
                            "ou choisir un autre dossier de sortie")
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} existe et n'est pas un dossier. Pour corriger : choisir un autre chemin")
    if out.is_dir():
        try:
            entries = sorted(p.name for p in out.iterdir())
        except PermissionError:
            raise UserError(f"--out {out} : dossier illisible. Pour corriger : choisir un dossier où vous pouvez "
                            "écrire") from None
        if entries and not is_evalkit_output(out):
            shown = ", ".join(entries[:5]) + ("…" if len(entries) > 5 else "")
            raise UserError(f"--out {out} n'est pas vide et n'est pas une sortie d'evalkit (contient {shown}). "
                            "Pour corriger : choisir un dossier vide ou nouveau (une sortie précédente d'evalkit est "
                            "remplacée, en gardant les fichiers qu'evalkit n'a pas écrits)")


def is_evalkit_output(folder: Path) -> bool:
    """True for a folder an earlier ``evalkit run`` wrote (its manifest, or results/run.json for older versions)."""
    return (folder / MANIFEST).is_file() or (folder / "results" / "run.json").is_file()


def output_inventory(folder: Path) -> tuple[set[str], list[str]]:
    """(files evalkit wrote, other entries) of an earlier output, as paths relative to ``folder``.

    Files evalkit wrote are those its manifest lists (for an output without manifest: results/estimates.csv,
    results/run.json and everything under html/). Other entries are every file, symbolic link or empty folder that
    is not among them: they are kept when the output is replaced. Symbolic links are never followed.
    """
    from .io import safe_rel, walk_entries

    written: set[str] = set()
    man = folder / MANIFEST
    legacy = not man.is_file()
    if not legacy:
        try:
            data = json.loads(man.read_text(encoding="utf-8"))
            written = {r for r in data.get("files", []) if isinstance(r, str) and safe_rel(r)}
        except (OSError, ValueError, AttributeError):
            legacy = True
        written.add(MANIFEST)
    others: list[str] = []
    for rp, dirs, files in walk_entries(folder):
        for f in files:
            rel = (rp / f).relative_to(folder).as_posix()
            if legacy and (rel in _LEGACY_FILES or rel.startswith("html/")):
                written.add(rel)
            elif rel not in written:
                others.append(rel)
        if rp != folder and not dirs and not files:
            others.append(rp.relative_to(folder).as_posix() + "/")
    return {w for w in written if (folder / w).is_file() or (folder / w).is_symlink()}, sorted(others)


def _describe_replacement(out: Path, written: set[str], others: list[str]) -> str:
    n_html = sum(1 for w in written if w.startswith("html/"))
    listed = sorted(w for w in written if not w.startswith("html/") and w != MANIFEST)
    msg = (f"{out} : sortie précédente d'evalkit, remplacée si le calcul aboutit "
           f"({', '.join(listed) or 'aucun résultat'}{f', html/ : {fmt_int(n_html)} fichiers' if n_html else ''})")
    if others:
        shown = ", ".join(others[:8]) + ("…" if len(others) > 8 else "")
        msg += (f" ; {len(others)} fichier{'s' if len(others) > 1 else ''} qu'evalkit n'a pas "
                f"écrit{'s' if len(others) > 1 else ''} {'seront conservés' if len(others) > 1 else 'sera conservé'} "
                f"à leur place : {shown}")
    return msg


def cmd_run(args) -> int:
    data_dir = Path(args.data).resolve()
    out = Path(args.out).resolve()
    if not data_dir.is_dir():
        validate_dir(data_dir, None)  # the usual message for a missing folder
    _check_out(data_dir, out)
    progress = Progress(args.quiet)
    studies = _studies(args.studies, list(STUDIES))
    stats: dict = {}
    from .estimators.agreement import ENV_FULL
    from .io import ENV_BALANCE, ENV_CACHE

    # Each file is validated once per run: the chapters' evalkit.io.load reads the tables validated here; the
    # chapters apply the same --balance rule, and --full-panel fits every estimator of the agreement panel.
    with tempfile.TemporaryDirectory(prefix="evalkit-validated-") as cache, \
            _environ({ENV_CACHE: cache, ENV_BALANCE: args.balance,
                      ENV_FULL: "1" if getattr(args, "full_panel", False) else os.environ.get(ENV_FULL)}):
        found = validate_dir(data_dir, studies, progress, balance=args.balance, stats=stats)
        _check_out(data_dir, out)  # again: the files validated are those that must survive
        seed = args.seed if args.seed is not None else paths.DEFAULT_SEED
        return run_book(data_dir, out, list(found), found, progress, seed=seed, strict=args.strict,
                        options=run_options(args, seed), stats=stats)


@contextlib.contextmanager
def _environ(values: dict):
    """Set (or, for None, unset) environment variables for the duration of a block; restore them after."""
    def apply(env: dict) -> None:
        for k, v in env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

    saved = {k: os.environ.get(k) for k in values}
    try:
        apply(values)
        yield
    finally:
        apply(saved)


def run_options(args, seed) -> list[str]:
    """The options of ``evalkit run`` after --data/--out that reproduce this run (the seed always written)."""
    opts = []
    if args.studies:
        opts += ["--studies", ",".join(_studies(args.studies, list(STUDIES)))]
    if seed is not None:
        opts += ["--seed", str(seed)]
    if getattr(args, "balance", "warn") != "warn":
        opts += ["--balance", args.balance]
    return opts + [f"--{flag.replace('_', '-')}" for flag in ("strict", "full_panel") if getattr(args, flag, False)]


def run_book(data_dir: Path, out: Path, studies: list[str], found: dict, progress: Progress,
             seed: int | None = None, strict: bool = False, options: list[str] | None = None,
             stats: dict | None = None) -> int:
    """Execute the chapters on ``data_dir`` and build the book; write OUT/results and OUT/html atomically.

    OUT is built in a temporary sibling folder and swapped in only on success. When OUT holds an earlier output, the
    files evalkit wrote there (listed in ``OUT/.evalkit-manifest``) are replaced and every other file is kept in
    place (:func:`evalkit.io.replace_dir`); what is replaced and what is kept is said on stderr. The build log is
    written to ``OUT/results/build.log`` (on failure: ``OUT/build-failed.log``), never left in a temporary folder.
    ``OUT/README.md`` is the run's replication package (:mod:`evalkit.replication`): ``options`` are the command-line
    options that reproduce the run, ``stats`` the inputs' units and periods (:func:`validate_dir`).
    """
    from . import replication
    from .io import _UMASK, replace_dir, write_bytes_atomic, write_csv_atomic
    from .results import collect

    root = paths.project_root()
    kind = "synthetic" if (data_dir / "SYNTHETIC").exists() else "user"
    timings: dict[str, float] = {}
    t_start = time.monotonic()
    written, others = output_inventory(out) if out.is_dir() else (set(), [])
    if written or others:
        print(f"evalkit : {_describe_replacement(out, written, others)}", file=sys.stderr, flush=True)
    protect = _input_files(data_dir)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    except OSError as e:
        raise UserError(f"--out {out} : impossible d'y écrire ({e.strerror or type(e).__name__}). Pour corriger : "
                        "choisir un dossier où vous pouvez écrire") from None
    os.chmod(tmp, 0o777 & ~_UMASK)
    try:
        parts, scratch = tmp / "_parts", tmp / "_tmp"
        parts.mkdir()
        scratch.mkdir()
        toc = _filtered_toc(root, studies, tmp)
        pages = replication.toc_pages(toc)
        env = dict(os.environ, EVALKIT_DATA=str(data_dir), EVALKIT_RESULTS_DIR=str(parts), EVALKIT_DATA_KIND=kind,
                   EVALKIT_STUDIES=",".join(studies), PYTHONWARNINGS="ignore::DeprecationWarning",
                   TMPDIR=str(scratch), TEMP=str(scratch), TMP=str(scratch))
        if seed is not None:
            env["EVALKIT_SEED"] = str(seed)
        build_dir = tmp / "_book"
        log = tmp / "build.log"
        try:
            timings.update(_execute_and_build(root, tmp / "_src", build_dir, toc, pages, env, progress,
                                              strict=strict, log=log))
        except BuildError as e:
            e.log_path = _keep_failed_log(log, out, written)
            raise
        results = collect(parts)
        write_csv_atomic(results, tmp / "results" / "estimates.csv")
        _write_french_downloads(results, parts, tmp / "results")
        _write_synthese(build_dir / "_build" / "html", env, progress)
        shutil.move(str(build_dir / "_build" / "html"), str(tmp / "html"))
        os.replace(log, tmp / "results" / "build.log")
        for p in (build_dir, parts, scratch, tmp / "_src"):
            shutil.rmtree(p, ignore_errors=True)
        toc.unlink(missing_ok=True)
        timings["total"] = round(time.monotonic() - t_start, 1)
        run = run_manifest(data_dir, found, kind, seed, timings, n_rows=len(results))
        write_bytes_atomic(json.dumps(run, indent=2, ensure_ascii=False).encode("utf-8"), tmp / "results" / "run.json")
        write_bytes_atomic(replication_readme(run, found, stats or {}, tmp / "html", pages, options, seed, strict,
                                              root).encode("utf-8"), tmp / "README.md")
        mine = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file() or p.is_symlink())
        _write_manifest(tmp, mine)
        clash = [o for o in others if (tmp / o.rstrip("/")).exists()]
        if clash:
            raise UserError(f"{out} : {len(clash)} fichier(s) qu'evalkit n'a pas écrits portent le nom d'un fichier "
                            f"de la nouvelle sortie ({', '.join(clash[:5])}) ; rien n'a été remplacé. Pour corriger : "
                            "les déplacer ou les renommer, ou choisir un autre dossier de sortie")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    left = replace_dir(tmp, out, written, protect=protect)
    if left is not None:
        print(f"evalkit : avertissement : l'ancienne sortie contenait des fichiers inattendus ; elle est conservée "
              f"dans {left}", file=sys.stderr)
    progress(f"terminé : {out / 'results' / 'estimates.csv'} ({fmt_int(len(results))} lignes), "
             f"{out / 'html' / 'index.html'}")
    return EXIT_OK


def _write_french_downloads(results, parts: Path, out: Path) -> None:
    """Beside ``estimates.csv``: its French companion (:data:`evalkit.donnees.FRENCH_RESULTS`) and the chapters'
    workbooks of « données associées » (``donnees/<chapter>.xlsx``)."""
    from . import donnees
    from .io import write_bytes_atomic

    write_bytes_atomic(donnees.french_results_csv(results), out / donnees.FRENCH_RESULTS)
    books = sorted(parts.glob("*.xlsx"))
    if books:
        (out / "donnees").mkdir(exist_ok=True)
        for f in books:
            shutil.copyfile(f, out / "donnees" / f.name)


def _write_synthese(html_dir: Path, env: dict, progress) -> None:
    """The « note de synthèse » (:mod:`evalkit.synthese`) into the built book, from the rows the chapters recorded
    (read with the run's environment: its results folder and data kind); a failure is reported, not fatal."""
    from . import synthese

    if not html_dir.is_dir():
        return
    keys = ("EVALKIT_DATA", "EVALKIT_RESULTS_DIR", "EVALKIT_DATA_KIND", "EVALKIT_STUDIES", "EVALKIT_SEED")
    try:
        with _environ({k: env[k] for k in keys if k in env}):
            synthese.write(html_dir)
    except Exception as e:  # noqa: BLE001 - the book and the results are complete without the note
        progress(f"note de synthèse non produite : {e}")


def cmd_synthese(args) -> int:
    """Write the « note de synthèse » (HTML and PDF) into a built book, from the recorded results."""
    from . import synthese

    out = synthese.write(Path(args.html))
    if not args.quiet:
        print(f"evalkit : note de synthèse : {out}")
    return EXIT_OK


def replication_readme(run: dict, found: dict, stats: dict, html: Path, pages: list[str], options: list[str] | None,
                       seed, strict: bool, root: Path) -> str:
    """OUT/README.md of a run (:func:`evalkit.replication.readme`), from its run.json, its inputs and its book."""
    from . import replication

    usage = replication.resources()
    inputs = [replication.InputFile(study, f["file"], f["sha256"], f["rows"], **stats.get(
        study, {"units": None, "unit": STUDIES[study].unit, "first_year": None, "last_year": None}))
        for study, f in run["files"].items()]
    if options is None:
        options = (["--seed", str(seed)] if seed is not None else []) + (["--strict"] if strict else [])
    lock = root / "requirements.txt"
    return replication.readme(
        run, inputs, replication.with_data(replication.exhibits(html, pages), inputs, seed), usage=usage,
        commands=replication.command(options, run["data"], run.get("simulation")),
        installed=replication.packages(), pins=replication.pinned(lock) if lock.is_file() else None,
        machine_info=replication.machine())


def _keep_failed_log(log: Path, out: Path, written: set[str]) -> Path | None:
    """Move a failed build's log to OUT/build-failed.log (recorded in OUT's manifest, replaced by the next run)."""
    if not log.exists():
        return None
    try:  # OUT was checked: new, empty or an earlier evalkit output — the manifest keeps it recognisable
        out.mkdir(parents=True, exist_ok=True)
        target = out / "build-failed.log"
        shutil.move(str(log), str(target))
        _write_manifest(out, sorted((written | {"build-failed.log"}) - {MANIFEST}))
        return target
    except OSError:
        return None


def _write_manifest(folder: Path, files: list[str]) -> None:
    from .io import write_bytes_atomic

    write_bytes_atomic(json.dumps({"evalkit_version": __version__, "files": files}, indent=1,
                                  ensure_ascii=False).encode("utf-8"), folder / MANIFEST)


def _filtered_toc(root: Path, studies: list[str], tmp: Path) -> Path:
    """The book's _toc.yml without the chapters of studies whose data are absent."""
    absent = {ch for st, ch in registry.chapters().items() if st not in studies}
    lines = [line for line in (root / "_toc.yml").read_text(encoding="utf-8").splitlines()
             if not ((m := re.match(r"\s*-\s*file:\s*(\S+)", line)) and m.group(1) in absent)]
    toc = tmp / "_toc.yml"
    toc.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return toc


def _execute_and_build(root: Path, src: Path, build_dir: Path, toc: Path, pages: list[str], env: dict,
                       progress: Progress, strict: bool = False, log: Path | None = None) -> dict:
    """Execute the notebook pages in parallel on a copy of the book's sources (:mod:`evalkit.execute`), then build
    the book from the executed copies; returns {chapter: seconds}. A failing cell raises :class:`BuildError`."""
    from . import execute

    log = log or build_dir.parent / "build.log"
    execute.copy_sources(root, src, pages)
    timeout = execute.turn_off_execution(src / "_config.yml")
    env = dict(env, **{paths.ENV_ROOT: str(root)})
    progress("exécution des chapitres")
    with open(log, "w", encoding="utf-8") as fh:
        try:
            timings = execute.execute(src, pages, env, progress, fh, timeout=timeout)
        except execute.NotebookFailed:
            fh.flush()
            raise BuildError(failure_cause(log.read_text(encoding="utf-8", errors="replace")), 1) from None
    progress("construction du livre")
    _jupyter_book(src, build_dir, toc, env, progress, strict=strict, log=log, append=True)
    return timings


def _jupyter_book_cmd(root: Path, strict: bool, *options: str) -> list[str]:
    """``jupyter-book build ROOT [options] --keep-going`` (the executable beside Python's, else on the PATH)."""
    exe = Path(sys.executable).with_name("jupyter-book")
    return [str(exe) if exe.exists() else "jupyter-book", "build", str(root), *options, "--keep-going",
            *(["-W", "-n"] if strict else [])]


def _jupyter_book(root: Path, build_dir: Path, toc: Path, env: dict, progress: Progress,
                  strict: bool = False, log: Path | None = None, append: bool = False) -> None:
    """Run jupyter-book (:func:`_jupyter_book_cmd`) with its output into ``log``; a failure raises BuildError."""
    cmd = _jupyter_book_cmd(root, strict, "--path-output", str(build_dir), "--toc", str(toc))
    log = log or build_dir.parent / "build.log"
    if not append:
        progress("exécution des chapitres et construction du livre")
    with open(log, "a" if append else "w", encoding="utf-8") as fh:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True, errors="replace")
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                fh.write(line)
            rc = proc.wait()
        finally:
            if proc.poll() is None:  # interrupted: stop the build (and its kernels) before the temp dir goes
                import signal

                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(timeout=30)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
    if rc != 0:
        raise BuildError(failure_cause(log.read_text(encoding="utf-8", errors="replace")), rc)


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_EXC_LINE = re.compile(r"^((?:[A-Za-z_][\w]*\.)*[A-Za-z_]\w*(?:Error|Exception|Interrupt|Exit|Warning))(?::\s*(.*))?$")
_WRAPPERS = {"ExecutionError", "CellExecutionError", "RuntimeError", "SphinxError", "ExtensionError"}


def failure_cause(log_text: str) -> dict:
    """What made a book build fail, read off its log: ``chapter``, ``exception`` (type), ``message``, ``cell``
    (first lines of the failing cell's code), ``data_error`` (True when the cell raised evalkit's DataError).

    The cause is the exception raised inside the failing cell (nbclient's CellExecutionError block), not the first
    « Error » of the log nor the wrappers (ExecutionError, RuntimeError) that Sphinx and Jupyter Book add around it.
    """
    text = _ANSI.sub("", log_text)
    out = {"chapter": None, "exception": None, "message": None, "cell": None, "data_error": False}
    m = re.search(r"ExecutionError: (\S+\.ipynb)", text) or re.search(r"(\S+\.ipynb)[^\n]*Execution Failed", text) \
        or re.search(r"Executing notebook failed[^\n]*?(\S+\.ipynb)", text)
    if m:
        out["chapter"] = Path(m.group(1)).stem
    cell = re.search(r"CellExecutionError: An error occurred while executing the following cell:\n-+\n(.*?)\n-+\n(.*?)"
                     r"(?:\nTraceback \(most recent call last\)|\nThe above exception|\Z)", text, re.S)
    if cell:
        src = [ln for ln in cell.group(1).splitlines() if ln.strip()]
        out["cell"] = "\n".join(src[:3]) + ("\n…" if len(src) > 3 else "")
        lines = [ln.strip() for ln in cell.group(2).splitlines()]
        exc = [(mm.group(1), mm.group(2) or "") for ln in lines if (mm := _EXC_LINE.match(ln))]
        if exc:
            name, msg = exc[-1]
            # a DataError's message spans lines: take the rest of the block after its first line
            i = max(k for k, ln in enumerate(lines) if _EXC_LINE.match(ln))
            more = [ln for ln in lines[i + 1:] if ln]
            out["exception"], out["message"] = name.rsplit(".", 1)[-1], "\n".join([msg, *more]).strip()
    if out["exception"] is None:
        for ln in text.splitlines():
            mm = _EXC_LINE.match(ln.strip())
            if mm and mm.group(1).rsplit(".", 1)[-1] not in _WRAPPERS:
                out["exception"], out["message"] = mm.group(1).rsplit(".", 1)[-1], (mm.group(2) or "").strip()
                break
    if out["exception"] is None:
        w = re.search(r"^.*(?:WARNING|ERROR|CRITICAL).*$", text, re.M)
        if w:
            out["message"] = w.group(0).strip()[:400]
    out["data_error"] = out["exception"] == "DataError"
    return out


def _build_error_message(cause: dict, rc: int, log_path: Path | None) -> str:
    msg = f"le chapitre {cause['chapter']} a échoué" if cause.get("chapter") else \
        f"la construction du livre a échoué (code {rc})"
    if cause.get("exception"):
        msg += f" : {cause['exception']} : {(cause.get('message') or '')[:800]}"
    elif cause.get("message"):
        msg += f" : {cause['message']}"
    if cause.get("cell"):
        cell = cause["cell"].replace("\n", "\n    ")
        msg += f"\n  dans la cellule :\n    {cell}"
    if cause.get("data_error"):
        msg += "\nPour corriger : voir le message ci-dessus (les données ne permettent pas ce calcul)"
    else:
        msg += ("\nPour corriger : si la cause tient aux données, les corriger et relancer ; sinon signaler le "
                "problème avec ce message et le journal")
    msg += (f"\nJournal complet : {log_path}" if log_path else "") + \
        "\nLa sortie précédente (s'il y en a une) n'a pas été modifiée."
    return msg


class BuildError(Exception):
    """The book build failed; ``cause`` is :func:`failure_cause`'s reading of the log."""

    def __init__(self, cause: dict, rc: int = 1):
        super().__init__(cause.get("message") or "build failed")
        self.cause, self.rc, self.log_path = cause, rc, None

    def __str__(self) -> str:
        return _build_error_message(self.cause, self.rc, self.log_path)


def run_manifest(data_dir: Path, found: dict, kind: str, seed, timings: dict, n_rows: int) -> dict:
    """What a run used: versions, data fingerprints, seeds, timings."""
    deps = {}
    for pkg in ("pandas", "numpy", "diff-diff", "linearmodels", "pandera", "scikit-learn", "jupyter-book",
                "myst-nb", "matplotlib", "seaborn"):
        try:
            deps[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            deps[pkg] = None
    from .io import sha256

    files = {study: {"file": p.name, "rows": n, "sha256": sha256(p), "warnings": w}
             for study, (p, n, w) in found.items()}
    marker = data_dir / "SYNTHETIC"
    sim = json.loads(marker.read_text()) if marker.exists() else None
    return {
        "evalkit_version": __version__,
        "python": platform.python_version(),
        "dependencies": deps,
        "data_dir": str(data_dir),
        "data": kind,
        "files": files,
        "seed": seed,
        "simulation": sim,
        "timings_seconds": timings,
        "estimates_rows": n_rows,
        "finished_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def cmd_build(args) -> int:
    """Build the book on the default data (data/synthetic) into _build/html (what `make book` does)."""
    root = paths.project_root()
    code = subprocess.call(_jupyter_book_cmd(root, args.strict), cwd=root)
    if (root / "_build" / "html" / "index.html").exists():
        from . import synthese

        synthese.write(root / "_build" / "html")
    return code


def cmd_power(args) -> int:
    """Power of the headline estimator: simulated on a data folder's own design (--data), or analytic for a planned
    design (--units/--effect, --periods, --treated-share, --sigma [--rho])."""
    import math

    from .estimators.power import METHOD_LABELS, power_design, power_mde, power_n
    from .fr import fmt_num, fmt_pct

    def num(x: float) -> str:  # three significant digits, French
        if x is None or not math.isfinite(x):
            return "n.d."
        d = max(0, 2 - int(math.floor(math.log10(abs(x))))) if x else 0
        return fmt_num(x, min(d, 6))

    if args.data:
        from .io import load

        if args.sims < 20:
            raise UserError(f"--sims {args.sims} : trop peu de tirages pour lire une puissance. Pour corriger : "
                            "donner au moins 20 (200 par défaut)")
        st = STUDIES[args.study]
        df = load(args.study, Path(args.data))
        outcomes = [c for c in st.columns if c not in (st.unit, st.time, st.cohort)
                    and c in df and (df[c].dtype.kind in "iuf" or str(df[c].dtype) in ("Int64", "Float64"))]
        if args.outcome not in df.columns:
            raise UserError(f"--outcome {args.outcome} n'est pas une colonne de l'étude {args.study}. Pour corriger : "
                            f"choisir parmi {', '.join(outcomes)}")
        quiet, tty = args.quiet, sys.stderr.isatty()
        t0, last = time.monotonic(), [-1]

        def bar(done: int, total: int) -> None:
            if quiet:
                return
            step = int(20 * done / total)
            if not tty and step == last[0] and done < total:
                return
            last[0] = step
            el = time.monotonic() - t0
            rest = el / done * (total - done)
            line = (f"Simulations : [{'#' * step}{'.' * (20 - step)}] {done}/{total} · {el:.0f} s écoulées"
                    + (f" · reste ≈ {rest:.0f} s" if done < total else ""))
            print(("\r" if tty else "") + line, end="\n" if (done == total or not tty) else "", file=sys.stderr,
                  flush=True)

        try:
            res = power_design(df, outcome=args.outcome, unit=st.unit, time=st.time, cohort=st.cohort,
                               n_sims=args.sims, alpha=args.alpha, power=args.power,
                               seed=0 if args.seed is None else args.seed, progress=bar)
        except ValueError as e:
            raise UserError(f"{e}. Pour corriger : vérifier l'année d'entrée ({st.cohort}) et la présence d'unités "
                            "jamais traitées dans le fichier") from None
        years = sorted(df[st.time].dropna().astype(int).unique())
        print(f"Puissance de l'estimateur principal (Callaway et Sant'Anna, effet moyen simple, témoins jamais "
              f"traités) sur le plan d'étude de « {st.title} », indicateur {args.outcome} :")
        print(f"  {fmt_int(res.n_units)} unités ({fmt_int(res.n_treated)} traitées en {len(res.cohorts)} cohortes "
              f"d'entrée, {fmt_int(res.n_control)} jamais traitées), {res.n_periods} années ({years[0]}–{years[-1]}).")
        print(f"  Méthode : {res.method_label} ({fmt_int(res.n_sims)} tirages, graine {res.seed}, effet constant "
              f"ajouté après la date fictive).")
        print(f"  Effet minimal détectable (puissance {fmt_pct(100 * res.power, 0)}, seuil "
              f"{fmt_pct(100 * res.alpha, 0)}) : {num(res.mde)} (erreur Monte-Carlo {num(res.mde_mc_se)}).")
        print(f"  Taux de rejet sans effet : {fmt_pct(100 * res.size, 1)} (attendu : {fmt_pct(100 * res.alpha, 0)}).")
        if args.effect is not None:
            print(f"  Puissance pour un effet de {num(args.effect)} : {fmt_pct(100 * res.power_at(args.effect), 0)}.")
        print(f"  Contrôles : {METHOD_LABELS[res.analytic.method]} : {num(res.analytic.mde)} ; 2,8 × l'erreur type "
              f"publiée par l'estimateur sur ces données ({num(res.reference_se)}) : {num(res.mde_from_se)}.")
        ratio = res.mde / res.mde_from_se if res.mde_from_se > 0 else float("nan")
        if math.isfinite(ratio) and not 0.85 <= ratio <= 1.15:
            print(f"  Attention : l'effet minimal simulé vaut {fmt_num(ratio, 2)} fois celui qu'implique l'erreur type "
                  "publiée. La simulation suppose un effet identique pour toutes les unités traitées et des unités "
                  "traitées aussi variables que les témoins ; un écart signale des effets hétérogènes ou des unités "
                  "traitées plus (ou moins) variables.")
        print("  Taux de rejet selon l'effet :")
        print(f"    {'effet':>10}   {'puissance':>9}")
        for r in res.curve.itertuples(index=False):
            print(f"    {num(r.effect):>10}   {fmt_pct(100 * r.power, 0):>9}")
        return EXIT_OK

    if args.sigma is None:
        raise UserError("écart type manquant. Pour corriger : donner --sigma (écart type d'une unité-année autour de "
                        "son niveau moyen et de la moyenne de l'année) ou --data DOSSIER --study S --outcome Y pour "
                        "calculer la puissance sur des données existantes")
    if args.periods is None:
        raise UserError("nombre de périodes manquant. Pour corriger : donner --periods (années observées)")
    rho = 0.0 if args.rho is None else args.rho
    try:
        if args.effect is not None:
            res = power_n(args.effect, args.periods, args.treated_share, args.sigma, rho, args.alpha, args.power,
                          args.pre, model=args.model)
            print(f"Unités nécessaires pour détecter un effet de {num(args.effect)} avec une puissance de "
                  f"{fmt_pct(100 * res.power, 0)} (seuil {fmt_pct(100 * res.alpha, 0)}) : {res.n_units} "
                  f"({res.n_treated} traitées, {res.n_control} témoins)")
        else:
            if args.units is None:
                raise UserError("taille d'étude manquante. Pour corriger : donner --units (unités prévues) ou "
                                "--effect (pour obtenir les unités nécessaires)")
            res = power_mde(args.units, args.periods, args.treated_share, args.sigma, rho, args.alpha, args.power,
                            args.pre, model=args.model)
            print(f"Effet minimal détectable : {num(res.mde)} (erreur type {num(res.std_error)}) avec {res.n_units} "
                  f"unités ({res.n_treated} traitées), {res.n_pre} périodes avant et {res.n_post} après l'entrée, "
                  f"puissance {fmt_pct(100 * res.power, 0)}, seuil {fmt_pct(100 * res.alpha, 0)}")
    except ValueError as e:
        raise UserError(f"{e}. Pour corriger : vérifier --units, --periods, --pre, --treated-share et --rho") from None
    print(f"Méthode : {res.method_label}.")
    return EXIT_OK


def cmd_claims(args) -> int:
    """SNDS-shaped claims (+ referential lists) → asalee.csv, gp_panel.csv, msp.csv, assistants.csv, on DuckDB
    (default) or Spark."""
    from .claims import cli_claims

    claims_dir, out = Path(args.claims).resolve(), Path(args.out).resolve()
    if not claims_dir.is_dir():
        raise UserError(f"{claims_dir} : dossier introuvable. Pour corriger : donner à --claims le dossier qui "
                        "contient ER_PRS_F, ER_BIO_F, ER_CAM_F, ER_PHA_F, IR_PHA_R, IR_MTT_R, IR_BEN_R (Parquet)")
    if _inside(out, claims_dir) or _inside(claims_dir, out):
        raise UserError(f"--out {out} et le dossier des prestations {claims_dir} se recouvrent. Pour corriger : "
                        "choisir un dossier de sortie distinct, ni dedans ni au-dessus")
    lists = {}
    for opt, key, what in (("msp", "msp_list", "la liste des médecins membres d'une MSP (gp_id, entry_date)"),
                           ("assistants", "am_list", "la liste des contrats d'assistant médical (gp_id, start_date, "
                                                     "option)"),
                           ("zoning", "zoning", "le zonage des communes (commune, underserved, rurality)")):
        given = getattr(args, opt, None)
        if given is None:
            continue
        path = Path(given).resolve()
        if not path.is_file():
            raise UserError(f"--{opt} {path} : fichier introuvable. Pour corriger : donner le fichier CSV ou Parquet "
                            f"de {what}")
        if _inside(path, out):
            raise UserError(f"--{opt} {path} est dans le dossier de sortie {out}. Pour corriger : ranger la liste "
                            "ailleurs (la sortie peut être remplacée)")
        lists[key] = path
    if args.engine == "spark":
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    written = cli_claims(claims_dir, out, engine=args.engine, spark_master=args.spark_master,
                         progress=Progress(args.quiet), codes=args.codes, **lists)
    for p in written.values():
        print(p)
    return EXIT_OK


# --- plumbing ----------------------------------------------------------------------------------------------------

def _studies(arg: str | None, allowed: list[str]) -> list[str]:
    if not arg:
        return allowed
    out = [s.strip() for s in arg.split(",") if s.strip()]
    bad = [s for s in out if s not in STUDIES]
    if bad:
        raise UserError(f"étude{'s' if len(bad) > 1 else ''} inconnue{'s' if len(bad) > 1 else ''} "
                        f"{', '.join(bad)}. Pour corriger : choisir parmi {', '.join(STUDIES)}")
    return out


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="evalkit", description="Évaluer les réformes des soins primaires : valider les "
                                "données, réexécuter les chapitres, reconstruire le livre.", add_help=False)
    p.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")
    p.add_argument("--version", action="version", version=f"evalkit {__version__}", help="afficher la version")
    p.add_argument("--debug", action="store_true", help="afficher la trace complète des erreurs (pour signaler un problème)")
    p.add_argument("--quiet", action="store_true", help="sans lignes de progression")
    sub = p.add_subparsers(dest="command", required=True, title="commandes", metavar="COMMANDE")

    def _command(name: str, **kw) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, add_help=False, **kw)
        sp.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")
        return sp

    s = _command("simulate", help="générer les fichiers d'étude synthétiques")
    s.add_argument("--out", required=True, help="dossier où écrire msp.csv, asalee.csv et assistants.csv")
    s.add_argument("--seed", type=int, default=None, help="graine du générateur")
    s.add_argument("--scale", type=float, default=1.0, help="1 = taille par défaut ; plus grand = plus d'unités (taille nationale ≈ 10)")
    s.add_argument("--studies", help="sous-ensemble séparé par des virgules (msp,asalee,assistants)")
    s.set_defaults(func=cmd_simulate)

    v = _command("validate", help="vérifier les fichiers d'étude au regard des contrats de données")
    v.add_argument("--data", required=True, help="dossier des fichiers d'étude")
    v.add_argument("--studies", help="sous-ensemble séparé par des virgules (msp,asalee,assistants)")
    v.set_defaults(func=cmd_validate)

    r = _command("run", help="valider, exécuter chaque chapitre sur les données et reconstruire le livre")
    r.add_argument("--data", required=True, help="dossier des fichiers d'étude (jamais modifié)")
    r.add_argument("--out", required=True, help="dossier de sortie : results/estimates.csv, results/run.json, html/, README.md")
    r.add_argument("--studies", help="sous-ensemble séparé par des virgules (msp,asalee,assistants)")
    r.add_argument("--seed", type=int, default=None, help="graine du bootstrap et de l'appariement (enregistrée)")
    r.add_argument("--balance", choices=["warn", "drop", "error"], default="warn",
                   help="panels non cylindrés : conserver avec un avertissement (défaut), écarter les unités incomplètes, ou refuser")
    r.add_argument("--strict", action="store_true", help="traiter les avertissements de la construction du livre comme des erreurs")
    r.add_argument("--full-panel", action="store_true",
                   help="calculer tous les estimateurs de comparaison quelle que soit la taille de l'échantillon "
                        "(Gardner et de Chaisemartin-D'Haultfœuille : temps de calcul en carré du nombre d'unités ; "
                        "Wooldridge : un coefficient par cellule cohorte × année)")
    r.set_defaults(func=cmd_run)

    w = _command("power", help="puissance de l'estimateur principal : simulée sur un dossier de données "
                       "(--data) ou calculée pour une étude prévue (--units ou --effect)")
    w.add_argument("--data", help="dossier des fichiers d'étude : puissance simulée sur son propre plan d'étude")
    w.add_argument("--study", choices=list(STUDIES), default="msp")
    w.add_argument("--outcome", default="patients_mt")
    w.add_argument("--sims", type=int, default=200, help="tirages de la simulation (avec --data)")
    w.add_argument("--seed", type=int, default=None, help="graine des tirages (0 par défaut)")
    w.add_argument("--units", type=int, help="unités prévues (traitées + témoins)")
    w.add_argument("--effect", type=float, help="effet à détecter : donne les unités nécessaires (ou, avec --data, "
                   "la puissance pour cet effet)")
    w.add_argument("--periods", type=int, help="périodes observées (sans --data)")
    w.add_argument("--pre", type=int, default=None, help="périodes avant l'entrée (défaut : la moitié)")
    w.add_argument("--treated-share", type=float, default=0.5)
    w.add_argument("--sigma", type=float, help="écart type d'une unité-période autour de son niveau et de l'année")
    w.add_argument("--rho", type=float, help="autocorrélation d'ordre 1 de cet écart (modèle AR(1))")
    w.add_argument("--model", choices=["ar1", "equicorrelated"], default="ar1",
                   help="ar1 : estimateur de Callaway et Sant'Anna, erreurs AR(1) (défaut) ; equicorrelated : "
                   "ancienne formule 2×2 équicorrélée")
    w.add_argument("--alpha", type=float, default=0.05)
    w.add_argument("--power", type=float, default=0.8)
    w.set_defaults(func=cmd_power)

    c = _command("claims", help="construit asalee.csv, msp.csv et assistants.csv (et le panel médecin × année) "
                       "à partir de tables au format du SNDS et des listes de référence")
    c.add_argument("--claims", required=True, help="dossier des tables du SNDS au format Parquet")
    c.add_argument("--out", required=True, help="dossier où écrire asalee.csv, gp_panel.csv, msp.csv, assistants.csv "
                   "et claims_report.json")
    c.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb")
    c.add_argument("--spark-master", default=None, help="adresse du gestionnaire Spark (par défaut local[*])")
    c.add_argument("--codes", default=None, help="dossier ou fichier CSV de listes de codes remplaçant celles "
                   "fournies avec evalkit")
    c.add_argument("--msp", default=None, metavar="FICHIER",
                   help="liste des médecins membres d'une MSP (gp_id, entry_date) ; par défaut msp_membership.csv "
                   "dans le dossier --claims ; sans liste, msp.csv n'est pas construit")
    c.add_argument("--assistants", default=None, metavar="FICHIER",
                   help="liste des contrats d'assistant médical (gp_id, start_date, option) ; par défaut "
                   "assistants_contracts.csv dans le dossier --claims ; sans liste, assistants.csv n'est pas construit")
    c.add_argument("--zoning", default=None, metavar="FICHIER",
                   help="zonage des communes (commune, underserved, rurality) ; par défaut zoning.csv dans le "
                   "dossier --claims ; nécessaire à msp.csv et assistants.csv")
    c.set_defaults(func=cmd_claims)

    b = _command("build", help="construire le livre sur les données fournies avec evalkit dans _build/html")
    b.add_argument("--strict", action="store_true", help="avertissements traités comme des erreurs")
    b.set_defaults(func=cmd_build)

    n = _command("synthese", help="écrire la note de synthèse (HTML, et PDF par Chromium sans écran) dans un "
                       "livre construit, à partir des résultats enregistrés")
    n.add_argument("--html", default="_build/html", help="le livre construit (défaut : _build/html)")
    n.set_defaults(func=cmd_synthese)
    return p


def main(argv: list[str] | None = None) -> int:
    import signal

    def _term(signum, frame):  # SIGTERM → same clean-up as Ctrl-C (temporary outputs removed)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _term)
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (DataError, UserError, BuildError) as e:
        if args.debug:
            raise
        print(f"evalkit : erreur : {e}", file=sys.stderr)
        return EXIT_FAIL if isinstance(e, BuildError) and not e.cause.get("data_error") else EXIT_USAGE
    except KeyboardInterrupt:
        print("evalkit : interrompu ; le dossier de sortie est resté tel qu'il était", file=sys.stderr)
        return 130
    except OSError as e:  # disk full, permissions… on paths the user gave: a message, not a traceback
        if args.debug:
            raise
        where = f" ({e.filename})" if getattr(e, "filename", None) else ""
        print(f"evalkit : erreur : {e.strerror or type(e).__name__}{where}. Pour corriger : vérifier les droits et "
              "la place disponible sur le disque, puis relancer", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
