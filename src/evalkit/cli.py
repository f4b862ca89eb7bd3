"""The ``evalkit`` command: simulate, validate, run, build, claims, power.

Errors a user can fix (bad data, bad paths) print one clear message on stderr and exit with code 2, never a
traceback (``--debug`` shows it). Outputs are built in a temporary folder and moved into place only on success.
"""

from __future__ import annotations

import argparse
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

from . import __version__, paths
from .contracts import STUDIES, DataError, DataWarning

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
CHAPTERS = {"msp": "chapters/msp", "asalee": "chapters/asalee", "assistants": "chapters/assistants"}


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
    out = Path(args.out)
    written = write_all(out, seed=args.seed, scale=args.scale, studies=studies, progress=Progress(args.quiet))
    for p in written:
        print(p)
    return EXIT_OK


def validate_dir(data_dir: Path, studies: list[str] | None, progress=None, balance: str = "warn") -> dict:
    """Validate every present study file in ``data_dir``; returns {study: (path, n_rows, warnings)}.

    Raises DataError listing the problems of every file (all files are checked before failing).
    """
    from .io import find_file, load

    if not data_dir.is_dir():
        raise UserError(f"{data_dir}: no such folder. Fix: give --data the folder holding msp.csv, asalee.csv, "
                        "assistants.csv")
    wanted = studies or list(STUDIES)
    found, errors = {}, []
    for study in wanted:
        try:
            path = find_file(study, data_dir)
        except DataError as e:
            errors.append(str(e))
            continue
        if path is None:
            if progress:
                progress(f"{study}: no file in {data_dir} — chapter skipped")
            continue
        if progress:
            progress(f"validate {path.name}")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DataWarning)
            try:
                df = load(study, data_dir, balance=balance)
            except DataError as e:
                errors.append(str(e))
                continue
        msgs = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
        for m in msgs:
            print(f"warning: {m}", file=sys.stderr)
        found[study] = (path, len(df), msgs)
    if errors:
        raise DataError("\n".join(errors))
    if not found:
        raise UserError(f"{data_dir}: no study file found (expected msp.csv, asalee.csv or assistants.csv, "
                        "or .parquet). Fix: point --data to the folder holding them")
    return found


def cmd_validate(args) -> int:
    found = validate_dir(Path(args.data).resolve(), _studies(args.studies, list(STUDIES)), Progress(args.quiet))
    for study, (path, n, msgs) in found.items():
        print(f"{path.name}: OK ({n} rows{'; ' + str(len(msgs)) + ' warning(s)' if msgs else ''})")
    return EXIT_OK


def _check_out(data_dir: Path, out: Path) -> None:
    if out == data_dir or data_dir in out.parents:
        raise UserError(f"--out {out} is the data folder or inside it. Fix: choose an output folder outside "
                        f"{data_dir} (inputs are never written to)")
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} exists and is not a folder. Fix: choose another path")
    if out.exists() and any(out.iterdir()) and not (out / "results" / "run.json").exists():
        raise UserError(f"--out {out} is a non-empty folder that is not an evalkit output. Fix: choose an empty or "
                        "new folder (an earlier evalkit output is replaced as a whole)")


def cmd_run(args) -> int:
    data_dir = Path(args.data).resolve()
    out = Path(args.out).resolve()
    _check_out(data_dir, out)
    progress = Progress(args.quiet)
    studies = _studies(args.studies, list(STUDIES))
    found = validate_dir(data_dir, studies, progress, balance=args.balance)
    seed = args.seed if args.seed is not None else paths.DEFAULT_SEED
    return run_book(data_dir, out, list(found), found, progress, seed=seed, strict=args.strict)


def run_book(data_dir: Path, out: Path, studies: list[str], found: dict, progress: Progress,
             seed: int | None = None, strict: bool = False) -> int:
    """Execute the chapters on ``data_dir`` and build the book; write OUT/results and OUT/html atomically."""
    from .io import atomic_dir, write_bytes_atomic, write_csv_atomic
    from .results import collect

    root = paths.project_root()
    kind = "synthetic" if (data_dir / "SYNTHETIC").exists() else "user"
    timings: dict[str, float] = {}
    t_start = time.monotonic()
    with atomic_dir(out) as tmp:
        parts = tmp / "_parts"
        parts.mkdir()
        toc = _filtered_toc(root, studies, tmp)
        env = dict(os.environ, EVALKIT_DATA=str(data_dir), EVALKIT_RESULTS_DIR=str(parts), EVALKIT_DATA_KIND=kind,
                   EVALKIT_STUDIES=",".join(studies), PYTHONWARNINGS="ignore::DeprecationWarning")
        if seed is not None:
            env["EVALKIT_SEED"] = str(seed)
        build_dir = tmp / "_book"
        timings.update(_jupyter_book(root, build_dir, toc, env, progress, strict=strict))
        results = collect(parts)
        write_csv_atomic(results, tmp / "results" / "estimates.csv")
        shutil.move(str(build_dir / "_build" / "html"), str(tmp / "html"))
        shutil.rmtree(build_dir, ignore_errors=True)
        shutil.rmtree(parts, ignore_errors=True)
        toc.unlink(missing_ok=True)
        timings["total"] = round(time.monotonic() - t_start, 1)
        run = run_manifest(data_dir, found, kind, seed, timings, n_rows=len(results))
        write_bytes_atomic(json.dumps(run, indent=2, ensure_ascii=False).encode("utf-8"), tmp / "results" / "run.json")
    progress(f"done: {out / 'results' / 'estimates.csv'} ({len(results)} rows), {out / 'html' / 'index.html'}")
    return EXIT_OK


def _filtered_toc(root: Path, studies: list[str], tmp: Path) -> Path:
    """The book's _toc.yml without the chapters of studies whose data are absent."""
    text = (root / "_toc.yml").read_text(encoding="utf-8")
    lines = []
    for line in text.splitlines():
        m = re.match(r"\s*-\s*file:\s*(\S+)", line)
        if m and any(m.group(1) == ch for st, ch in CHAPTERS.items() if st not in studies):
            continue
        lines.append(line)
    toc = tmp / "_toc.yml"
    toc.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return toc


# myst-nb 1.4 logs "<path>.ipynb: Executing notebook …"; older versions put the path after the message.
_EXEC_RE = re.compile(r"(\S+\.ipynb):\s*Executing notebook|Executing notebook.*?:\s*(\S+\.ipynb)")
_DONE_RE = re.compile(r"Executed notebook in ([\d.]+) seconds")


def _jupyter_book(root: Path, build_dir: Path, toc: Path, env: dict, progress: Progress,
                  strict: bool = False) -> dict:
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(exe) if exe.exists() else "jupyter-book", "build", str(root), "--path-output", str(build_dir),
           "--toc", str(toc), "--keep-going"]
    if strict:
        cmd += ["-W", "-n"]
    log = Path(tempfile.gettempdir()) / f"evalkit-build-{os.getpid()}.log"
    timings, current = {}, None
    progress("execute chapters and build the book")
    with open(log, "w", encoding="utf-8") as fh:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                fh.write(line)
                if m := _EXEC_RE.search(line):
                    current = Path(m.group(1) or m.group(2)).stem
                    progress(f"chapter {current}: executing")
                elif (m := _DONE_RE.search(line)) and current:
                    timings[current] = float(m.group(1))
                    progress(f"chapter {current}: done in {float(m.group(1)):.1f} s")
            rc = proc.wait()
        finally:
            if proc.poll() is None:  # interrupted: stop the build (and its kernels) before the temp dir goes
                import signal

                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(timeout=30)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    os.killpg(proc.pid, signal.SIGKILL)
    if rc != 0:
        tail = _failure_summary(log)
        raise BuildError(f"the book build failed (exit {rc}). {tail}Full log: {log}. Nothing was written to the "
                         "output folder.")
    return timings


def _failure_summary(log: Path) -> str:
    text = log.read_text(encoding="utf-8", errors="replace")
    m = re.search(r"(\w+Error: .+)", text)
    nb = re.findall(r"Executing notebook failed.*?(\S+\.ipynb)|(\S+\.ipynb).*?Execution Failed", text)
    where = next((a or b for a, b in nb), None)
    msg = ""
    if where:
        msg += f"Chapter {Path(where).stem} failed. "
    if m:
        msg += f"First error: {m.group(1)[:300]}. "
    return msg


class BuildError(Exception):
    pass


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
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(exe) if exe.exists() else "jupyter-book", "build", str(root), "--keep-going"]
    if args.strict:
        cmd += ["-W", "-n"]
    return subprocess.call(cmd, cwd=root)


def cmd_power(args) -> int:
    """Power of the headline estimator: simulated on a data folder's own design (--data), or analytic for a planned
    design (--units/--effect, --periods, --treated-share, --sigma [--rho])."""
    import math

    from .estimators.power import METHOD_LABELS, power_design, power_mde, power_n
    from .fr import fmt_int, fmt_num, fmt_pct

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
    """SNDS-shaped claims → asalee.csv (contract) + gp_panel.csv, on DuckDB (default) or Spark."""
    from .claims import cli_claims

    claims_dir, out = Path(args.claims).resolve(), Path(args.out).resolve()
    if not claims_dir.is_dir():
        raise UserError(f"{claims_dir}: no such folder. Fix: give --claims the folder holding ER_PRS_F, ER_BIO_F, "
                        "ER_CAM_F, ER_PHA_F, IR_PHA_R, IR_MTT_R, IR_BEN_R (Parquet)")
    if out == claims_dir or claims_dir in out.parents:
        raise UserError(f"--out {out} is the claims folder or inside it. Fix: choose an output folder outside it")
    if args.engine == "spark":
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    written = cli_claims(claims_dir, out, engine=args.engine, spark_master=args.spark_master,
                         progress=Progress(args.quiet), codes=args.codes)
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
        raise UserError(f"unknown stud{'ies' if len(bad) > 1 else 'y'} {', '.join(bad)}; choose among "
                        f"{', '.join(STUDIES)}")
    return out


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="evalkit", description="Evaluate French primary-care reforms: validate data, "
                                "rerun the chapters, rebuild the book.")
    p.add_argument("--version", action="version", version=f"evalkit {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("simulate", help="generate the synthetic study files")
    s.add_argument("--out", required=True, help="folder to write msp.csv, asalee.csv, assistants.csv into")
    s.add_argument("--seed", type=int, default=None)
    s.add_argument("--scale", type=float, default=1.0, help="1 = default size; larger = more units (national ≈ 10)")
    s.add_argument("--studies", help="comma-separated subset (msp,asalee,assistants)")
    s.set_defaults(func=cmd_simulate)

    v = sub.add_parser("validate", help="check the study files against the data contracts")
    v.add_argument("--data", required=True)
    v.add_argument("--studies")
    v.set_defaults(func=cmd_validate)

    r = sub.add_parser("run", help="validate, execute every chapter on the data and rebuild the book")
    r.add_argument("--data", required=True, help="folder with the study files (never written to)")
    r.add_argument("--out", required=True, help="output folder: results/estimates.csv, results/run.json, html/")
    r.add_argument("--studies", help="comma-separated subset (msp,asalee,assistants)")
    r.add_argument("--seed", type=int, default=None, help="seed for bootstrap and matching (recorded)")
    r.add_argument("--balance", choices=["warn", "drop", "error"], default="warn",
                   help="unbalanced panels: keep with a warning (default), drop incomplete units, or refuse")
    r.add_argument("--strict", action="store_true", help="treat Sphinx warnings as errors")
    r.set_defaults(func=cmd_run)

    w = sub.add_parser("power", help="puissance de l'estimateur principal : simulée sur un dossier de données "
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

    c = sub.add_parser("claims", help="build the Asalée table (and GP-year panel) from SNDS-shaped claims")
    c.add_argument("--claims", required=True, help="folder of SNDS-shaped Parquet tables")
    c.add_argument("--out", required=True, help="folder to write asalee.csv, gp_panel.csv, claims_report.json")
    c.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb")
    c.add_argument("--spark-master", default=None, help="Spark master URL (default local[*])")
    c.add_argument("--codes", default=None, help="folder or CSV of code lists replacing the shipped ones")
    c.set_defaults(func=cmd_claims)

    b = sub.add_parser("build", help="build the book on the bundled data into _build/html")
    b.add_argument("--strict", action="store_true")
    b.set_defaults(func=cmd_build)
    return p


def main(argv: list[str] | None = None) -> int:
    import signal

    def _term(signum, frame):  # SIGTERM → same clean-up as Ctrl-C (temporary outputs removed)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _term)
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "seed", None) is None and args.command == "simulate":
        from .simulate import DEFAULT_SEED

        args.seed = DEFAULT_SEED
    try:
        return args.func(args)
    except (DataError, UserError) as e:
        if args.debug:
            raise
        print(f"evalkit: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except BuildError as e:
        if args.debug:
            raise
        print(f"evalkit: error: {e}", file=sys.stderr)
        return EXIT_FAIL
    except KeyboardInterrupt:
        print("evalkit: interrupted; the output folder was left as it was", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
