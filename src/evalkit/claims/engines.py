"""The two engines that run the claims SQL: DuckDB embedded (default) and Apache Spark.

Both expose the same five operations, so the pipeline is written once:

- ``register_parquet(name, paths)`` — a view over Parquet files, returns its column names;
- ``register_rows(name, schema, rows)`` — a small table (code lists, participation lists);
- ``materialize(name, sql)`` — compute a query once and keep it under ``name`` (DuckDB: a temporary table;
  Spark: an eagerly, locally checkpointed DataFrame registered as a temporary view);
- ``fetch(sql)`` — run a query, return a pandas DataFrame;
- ``close()``.

Nothing engine-specific is in the SQL itself (see :mod:`evalkit.claims.sql`).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Sequence

import pandas as pd

_TYPES_DUCKDB = {"string": "VARCHAR", "bigint": "BIGINT", "double": "DOUBLE", "date": "DATE"}


def _q(s: str) -> str:
    """A single-quoted SQL string literal."""
    return "'" + str(s).replace("'", "''") + "'"


class DuckDBEngine:
    """DuckDB in-process, on Parquet files: no server, spills to ``temp_dir`` when memory runs short.

    ``threads``: worker threads (default: all cores). ``memory_limit``: e.g. ``"6GB"`` (default: DuckDB's, 80 % of
    RAM). ``temp_dir``: where DuckDB spills (default: a fresh temporary folder, removed by :meth:`close`).
    """

    name = "duckdb"

    def __init__(self, threads: int | None = None, memory_limit: str | None = None,
                 temp_dir: str | Path | None = None):
        import duckdb

        self._own_tmp = temp_dir is None
        self.temp_dir = Path(tempfile.mkdtemp(prefix="evalkit-duckdb-")) if temp_dir is None else Path(temp_dir)
        self.temp_dir.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(":memory:")
        self.con.execute(f"SET temp_directory = {_q(self.temp_dir)}")
        self.con.execute("SET preserve_insertion_order = false")
        # Every join in the pipeline's SQL has the large table on the left (probe) and the small one on the right
        # (build). DuckDB's build-side optimizer swaps them on cardinality estimates, and it misjudges the filtered
        # ER_PRS_F: at 100 M claim lines it built the hash table on 99 M PRS rows instead of the 6 M affiliated lines
        # (73 s and a 6 GB spill instead of 26 s in 2 GB). Keep the written order.
        try:
            self.con.execute("SET disabled_optimizers = 'build_side_probe_side'")
        except Exception:  # pragma: no cover - optimizer unknown to another DuckDB version
            pass
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            self.con.execute(f"SET memory_limit = {_q(memory_limit)}")
        try:  # timestamps with time zone → dates in UTC, as on Spark (spark.sql.session.timeZone=UTC)
            self.con.execute("SET TimeZone = 'UTC'")
        except Exception:  # pragma: no cover - ICU extension unavailable
            pass

    def register_parquet(self, name: str, paths: Sequence[str | Path]) -> list[str]:
        files = "[" + ", ".join(_q(p) for p in paths) + "]"
        self.con.execute(f"CREATE OR REPLACE VIEW {name} AS "
                         f"SELECT * FROM read_parquet({files}, union_by_name = true)")
        return [d[0] for d in self.con.execute(f"SELECT * FROM {name} LIMIT 0").description]

    def register_rows(self, name: str, schema: Sequence[tuple[str, str]], rows: Sequence[tuple]) -> None:
        cols = ", ".join(f"{c} {_TYPES_DUCKDB[t]}" for c, t in schema)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({cols})")
        if rows:
            self.con.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' * len(schema))})", [list(r) for r in rows])

    def materialize(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")

    def fetch(self, sql: str) -> pd.DataFrame:
        return self.con.execute(sql).df()

    def close(self) -> None:
        self.con.close()
        if self._own_tmp:
            shutil.rmtree(self.temp_dir, ignore_errors=True)


def spark_session(master: str | None = None, conf: dict[str, str] | None = None, app_name: str = "evalkit-claims"):
    """Start (or reuse) a SparkSession.

    ``master``: ``local[*]`` by default, or a cluster URL (``spark://host:7077``, ``yarn``, ``k8s://…``).
    Python workers are pointed at this interpreter (``PYSPARK_PYTHON``/``PYSPARK_DRIVER_PYTHON``), otherwise they would
    start the system Python. Dates are read in UTC. ``conf`` adds or overrides Spark settings
    (e.g. ``{"spark.driver.memory": "8g"}``).
    """
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    settings = {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.ui.showConsoleProgress": "false",
    }
    if (master or "local[*]").startswith("local"):
        settings["spark.ui.enabled"] = "false"
    settings.update(conf or {})
    builder = SparkSession.builder.master(master or "local[*]").appName(app_name)
    for k, v in settings.items():
        builder = builder.config(k, v)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


class SparkEngine:
    """Apache Spark through PySpark: ``local[*]`` on one machine, or a cluster given by its master URL.

    ``spark``: an existing SparkSession to use (it is left running by :meth:`close`); otherwise one is started with
    :func:`spark_session` and stopped by :meth:`close`. On a cluster, the claims folder must be readable by every
    executor (HDFS, S3, a shared file system); results are collected to the driver. ``merge_schema``: reconcile
    Parquet files of one table whose columns differ (e.g. yearly archives); off by default because it reads every
    file footer first (DuckDB always unions by column name).
    """

    name = "spark"

    def __init__(self, master: str | None = None, spark=None, conf: dict[str, str] | None = None,
                 merge_schema: bool = False):
        from pyspark.sql import SparkSession

        self.merge_schema = merge_schema
        self._own = spark is None and SparkSession.getActiveSession() is None
        self.spark = spark if spark is not None else spark_session(master, conf)
        self._cached: list = []
        self._views: list[str] = []

    def register_parquet(self, name: str, paths: Sequence[str | Path]) -> list[str]:
        reader = self.spark.read.option("mergeSchema", "true") if self.merge_schema else self.spark.read
        df = reader.parquet(*[str(p) for p in paths])
        df.createOrReplaceTempView(name)
        self._views.append(name)
        return list(df.columns)

    def register_rows(self, name: str, schema: Sequence[tuple[str, str]], rows: Sequence[tuple]) -> None:
        # Through pandas + Arrow: a JVM-side local relation. A Python list would make a Python RDD, and every stage
        # reading it would start Python worker processes.
        if rows:
            types = {"string": object, "bigint": "int64", "double": "float64"}
            pdf = pd.DataFrame([tuple(r) for r in rows], columns=[c for c, _ in schema]).astype(
                {c: types.get(t, object) for c, t in schema})
            df = self.spark.createDataFrame(pdf, schema=", ".join(f"{c} {t}" for c, t in schema))
        else:
            df = self.spark.sql("SELECT " + ", ".join(f"CAST(NULL AS {t}) AS {c}" for c, t in schema) + " WHERE 1 = 0")
        df.createOrReplaceTempView(name)
        self._views.append(name)

    def materialize(self, name: str, sql: str) -> None:
        # An eager local checkpoint computes the result once and cuts its lineage: later queries read the stored
        # blocks. (A persisted DataFrame registered as a view is not reliably substituted by Spark's cache manager
        # inside larger queries: the Asalée query recomputed every intermediate table from the Parquet files.)
        from pyspark import StorageLevel

        df = self.spark.sql(sql).localCheckpoint(eager=True, storageLevel=StorageLevel.MEMORY_AND_DISK)
        df.createOrReplaceTempView(name)
        self._cached.append(df)
        self._views.append(name)

    def fetch(self, sql: str) -> pd.DataFrame:
        return self.spark.sql(sql).toPandas()

    def close(self) -> None:
        for df in self._cached:
            df.unpersist()
        for v in set(self._views):
            self.spark.catalog.dropTempView(v)
        if self._own:
            self.spark.stop()
