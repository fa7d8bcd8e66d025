#!/usr/bin/env python3
"""macsql benchmark driver: macsql against DuckDB, polars and a Python onnxruntime pipeline.

Run through bench/run.sh (it creates the virtual environment and builds macsql). Workloads:
  1 distributions: histogram of every Int8 attribute per dataset
  2 study: KL(P||Q) and KL(Q||P) for every attribute and every ordered pair of datasets
  3 subgroup: workload 2 restricted to Male = 1 AND Senior = 1 AND Asian = 1
  4 start-up: launch to the first result of SELECT count(*) on the catalog
  5 annotation: images/s of macsql annotate, a Python onnxruntime + Pillow pipeline, and the
    inference ceiling (the same models on tensors already preprocessed)
  6 slices: workload 2's comparison over a coarse, a medium and workload 3's slice, on the
    registered table (macsql's label scan) and on the same file as FROM 'file' (DataFusion's reader)

Every timed run is its own process; the parent reads its peak memory with wait4(2). macsql times
are the wall time of the whole `macsql` process (start-up, planning, writing the result);
peer times are measured inside the worker process from before opening the data to the result
held in Python objects (interpreter start and `import` excluded; workload 4 includes them).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SUBGROUP = {"Male": 1, "Senior": 1, "Asian": 1}
TOL = 1e-9

# The 47 MAAD-Face attributes (fallback when the catalog has no Int8 columns to discover).
MAAD = (
    "Male Young Middle_Aged Senior Asian White Black Rosy_Cheeks Shiny_Skin Bald Wavy_Hair "
    "Receding_Hairline Bangs Sideburns Black_Hair Blond_Hair Brown_Hair Gray_Hair No_Beard Mustache "
    "5_o_Clock_Shadow Goatee Oval_Face Square_Face Round_Face Double_Chin High_Cheekbones Chubby "
    "Obstructed_Forehead Fully_Visible_Forehead Brown_Eyes Bags_Under_Eyes Bushy_Eyebrows "
    "Arched_Eyebrows Mouth_Closed Smiling Big_Lips Big_Nose Pointy_Nose Heavy_Makeup Wearing_Hat "
    "Wearing_Earrings Wearing_Necktie Wearing_Lipstick No_Eyewear Eyeglasses Attractive"
).split()


def q(name: str) -> str:
    """A double-quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------

def attributes_of(path: Path) -> list[str]:
    """The Int8 columns of the catalog file, in file order."""
    import duckdb

    rows = duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet({sql_str(str(path))})").fetchall()
    attrs = [r[0] for r in rows if r[1] == "TINYINT"]
    return attrs or [a for a in MAAD if a in {r[0] for r in rows}]


# How the catalog file (and workload 6's partitioned copy of it) is written: DuckDB's Parquet
# writer (snappy, dictionary pages) with row groups of 122,880 rows.
CATALOG_WRITE = "FORMAT parquet, ROW_GROUP_SIZE 122880"


def prepare_data(args, macsql: str | None) -> tuple[Path, str]:
    """Writes the catalog for `args.scale` (`macsql demo`) as one Parquet file; returns (path, source)."""
    import duckdb

    d = Path(args.out) / "data" / f"scale-{args.scale:g}-seed-{args.seed}"
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    target = d / "catalog.parquet"
    if not macsql:
        raise SystemExit("bench: the catalog workloads need macsql (--macsql or MACSQL_BIN) for `macsql demo`")
    demo = d / "demo"
    t0 = time.perf_counter()
    r = subprocess.run([macsql, "demo", "--scale", str(args.scale), "--seed", str(args.seed),
                        "--out", str(demo)], capture_output=True, text=True)
    dt = time.perf_counter() - t0
    files = sorted(demo.rglob("*.parquet")) if demo.exists() else []
    if r.returncode == 0 and files:
        source = f"macsql demo ({dt:.1f} s)"
        # Consolidated into the one file all engines read, by DuckDB with CATALOG_WRITE: the
        # partitioned copy of workload 6 is written the same way, so the two differ in being a
        # folder only.
        glob = sql_str(str(demo) + "/**/*.parquet")
        con = duckdb.connect()
        cols = [r[0] for r in con.sql(
            f"DESCRIBE SELECT * FROM read_parquet({glob}, hive_partitioning = true, union_by_name = true)").fetchall()]
        order = [c for c in ("dataset", "kind", "identity") if c in cols]
        order += [c for c in cols if c not in order]
        con.sql(f"COPY (SELECT {', '.join(q(c) for c in order)} FROM read_parquet({glob}, "
                "hive_partitioning = true, union_by_name = true)) "
                f"TO {sql_str(str(target))} ({CATALOG_WRITE})")
        shutil.rmtree(demo, ignore_errors=True)
    else:
        msg = (r.stderr.strip().splitlines() or ["no Parquet written"])[-1]
        raise SystemExit(f"bench: `macsql demo` failed: {msg}")
    return target, source


# ----------------------------------------------------------------------------------------------
# Peer workloads (run inside worker processes)
# ----------------------------------------------------------------------------------------------

def duck_src(path: Path, subgroup: bool) -> str:
    where = ""
    if subgroup:
        where = " WHERE " + " AND ".join(f"{q(k)} = {v}" for k, v in SUBGROUP.items())
    return f"(SELECT * FROM read_parquet({sql_str(str(path))}){where})"


def duck_counts_cte(path: Path, attrs: list[str], variant: str, subgroup: bool) -> str:
    """SQL CTEs ending in h(dataset, attribute, value, n): the per-dataset histograms, long form."""
    src = duck_src(path, subgroup)
    cols = ", ".join(q(a) for a in attrs)
    if variant == "histogram":
        hist = ", ".join(f"histogram({q(a)}) AS {q(a)}" for a in attrs)
        return (f"m AS (SELECT dataset, {hist} FROM {src} GROUP BY dataset), "
                f"u AS (UNPIVOT m ON {cols} INTO NAME attribute VALUE hist), "
                "h AS MATERIALIZED (SELECT dataset, attribute, unnest(map_keys(hist)) AS value, "
                "unnest(map_values(hist)) AS n FROM u)")
    if variant == "grouping_sets":
        sets = ", ".join(f"(dataset, {q(a)})" for a in attrs)
        return (f"g AS (SELECT dataset, {cols}, count(*) AS n FROM {src} GROUP BY GROUPING SETS ({sets})), "
                f"h AS MATERIALIZED (SELECT dataset, attribute, value, n FROM (UNPIVOT g ON {cols} INTO NAME attribute VALUE value))")
    return (f"h AS MATERIALIZED (SELECT dataset, attribute, value, count(*) AS n FROM "
            f"(UNPIVOT (SELECT dataset, {cols} FROM {src}) ON {cols} INTO NAME attribute VALUE value) "
            "GROUP BY ALL)")


DUCK_KL = """
, tot AS (SELECT dataset, attribute, sum(n) AS total FROM h GROUP BY ALL)
, pr AS (SELECT h.dataset, h.attribute, h.value, h.n::DOUBLE / tot.total AS prob
         FROM h JOIN tot USING (dataset, attribute))
, pairs AS (SELECT a.dataset AS ds_p, b.dataset AS ds_q, a.attribute, a.total AS n_p, b.total AS n_q
            FROM tot a JOIN tot b ON a.attribute = b.attribute AND a.dataset <> b.dataset)
, vals AS (SELECT DISTINCT attribute, value FROM h)
, j AS (SELECT pairs.*, coalesce(x.prob, 0) AS pp, coalesce(y.prob, 0) AS qq
        FROM pairs JOIN vals USING (attribute)
        LEFT JOIN pr x ON x.dataset = pairs.ds_p AND x.attribute = pairs.attribute AND x.value = vals.value
        LEFT JOIN pr y ON y.dataset = pairs.ds_q AND y.attribute = pairs.attribute AND y.value = vals.value)
SELECT attribute, ds_p, ds_q, any_value(n_p) AS n_p, any_value(n_q) AS n_q,
  sum(CASE WHEN pp > 0 THEN (CASE WHEN qq > 0 THEN pp * ln(pp / qq) ELSE 'inf'::DOUBLE END) ELSE 0 END) AS kl_pq,
  sum(CASE WHEN qq > 0 THEN (CASE WHEN pp > 0 THEN qq * ln(qq / pp) ELSE 'inf'::DOUBLE END) ELSE 0 END) AS kl_qp
FROM j GROUP BY attribute, ds_p, ds_q
"""


def peer_duckdb(variant: str, workload: int, path: Path, attrs: list[str]):
    import duckdb

    con = duckdb.connect()
    if workload == 1:
        if variant == "histogram":
            hist = ", ".join(f"histogram({q(a)}) AS {q(a)}" for a in attrs)
            rows = con.sql(f"SELECT dataset, {hist} FROM {duck_src(path, False)} GROUP BY dataset").fetchall()
            return ("hist_wide", rows)
        cte = duck_counts_cte(path, attrs, variant, False)
        return ("long", con.sql(f"WITH {cte} SELECT dataset, attribute, value, n FROM h").fetchall())
    cte = duck_counts_cte(path, attrs, variant, workload == 3)
    return ("kl", con.sql(f"WITH {cte} {DUCK_KL}").fetchall())


def polars_counts(path: Path, attrs: list[str], variant: str, subgroup: bool):
    """A lazy frame of (dataset, attribute, value, n)."""
    import polars as pl

    lf = pl.scan_parquet(path)
    if subgroup:
        lf = lf.filter(pl.all_horizontal([pl.col(k) == v for k, v in SUBGROUP.items()]))
    if variant == "unpivot":
        return (lf.select(["dataset", *attrs])
                .unpivot(index="dataset", on=attrs, variable_name="attribute", value_name="value")
                .drop_nulls("value").group_by(["dataset", "attribute", "value"]).len(name="n"))
    # group_by: one aggregation per attribute over the shared scan.
    parts = [lf.group_by(["dataset", a]).len(name="n")
             .select(pl.col("dataset"), pl.lit(a).alias("attribute"), pl.col(a).cast(pl.Int64).alias("value"), pl.col("n"))
             for a in attrs]
    return pl.concat(parts).drop_nulls("value")


def polars_kl(h):
    import polars as pl

    h = h.with_columns(pl.col("n").cast(pl.Int64))
    tot = h.group_by(["dataset", "attribute"]).agg(pl.col("n").sum().alias("total"))
    pr = h.join(tot, on=["dataset", "attribute"]).select(
        "dataset", "attribute", "value", (pl.col("n") / pl.col("total")).alias("p"))
    a = tot.rename({"dataset": "P", "total": "n_p"})
    b = tot.rename({"dataset": "Q", "total": "n_q"})
    pairs = a.join(b, on="attribute").filter(pl.col("P") != pl.col("Q"))
    vals = h.select("attribute", "value").unique()
    j = (pairs.join(vals, on="attribute")
         .join(pr.rename({"dataset": "P"}), on=["P", "attribute", "value"], how="left")
         .join(pr.rename({"dataset": "Q", "p": "q"}), on=["Q", "attribute", "value"], how="left")
         .with_columns(pl.col("p").fill_null(0.0), pl.col("q").fill_null(0.0)))
    inf = float("inf")

    def term(x, y):
        return (pl.when(pl.col(x) > 0)
                .then(pl.when(pl.col(y) > 0).then(pl.col(x) * (pl.col(x) / pl.col(y)).log()).otherwise(inf))
                .otherwise(0.0))

    return (j.with_columns(term("p", "q").alias("t_pq"), term("q", "p").alias("t_qp"))
            .group_by(["attribute", "P", "Q"])
            .agg(pl.col("n_p").first(), pl.col("n_q").first(),
                 pl.col("t_pq").sum().alias("kl_pq"), pl.col("t_qp").sum().alias("kl_qp")))


def peer_polars(variant: str, workload: int, path: Path, attrs: list[str]):
    import polars as pl

    if workload == 1 and variant == "value_counts":
        lf = pl.scan_parquet(path)
        df = lf.group_by("dataset").agg([pl.col(a).value_counts(name="n") for a in attrs]).collect()
        return ("polars_vc", df.rows())
    if workload == 1:
        return ("long", polars_counts(path, attrs, variant, False).collect().rows())
    if variant == "value_counts":
        return ("skip", None)
    # The histograms first (one pass over the data), then KL on the small long table.
    h = polars_counts(path, attrs, variant, workload == 3).collect().lazy()
    df = polars_kl(h).select("attribute", "P", "Q", "n_p", "n_q", "kl_pq", "kl_qp").collect()
    return ("kl", df.rows())


# ----------------------------------------------------------------------------------------------
# Normalising results
# ----------------------------------------------------------------------------------------------

def _num(v):
    if isinstance(v, str):
        v = v.strip()
        try:
            return int(v)
        except ValueError:
            return float(v)
    if isinstance(v, bool):
        return int(v)
    return v


def hist_to_dict(v) -> dict:
    """A histogram value as returned by DuckDB / polars / macsql's Parquet, as {value: count}."""
    if v is None:
        return {}
    if isinstance(v, dict):
        if set(v) == {"key", "value"} and isinstance(v["key"], list):
            return {_num(k): int(c) for k, c in zip(v["key"], v["value"])}
        return {_num(k): int(c) for k, c in v.items()}
    if isinstance(v, (list, tuple)):
        out = {}
        for e in v:
            if isinstance(e, dict):
                vals = list(e.values())
                keys = [k.lower() for k in e]
                ci = next((i for i, k in enumerate(keys) if k in ("count", "n", "counts", "len")), 1)
                vi = 1 - ci if len(vals) == 2 else next(i for i, k in enumerate(keys) if i != ci)
                k, c = vals[vi], vals[ci]
            else:
                k, c = e[0], e[1]
            if k is None:
                continue
            out[_num(k)] = int(c)
        return out
    if isinstance(v, str):  # e.g. "{-1: 120, 0: 3, 1: 877}"
        body = v.strip().strip("{}[]")
        out = {}
        for part in filter(None, (p.strip() for p in body.split(","))):
            k, c = part.split(":")
            out[_num(k)] = int(c)
        return out
    raise ValueError(f"unrecognised histogram value {v!r}")


def normalise(kind: str, payload, attrs: list[str]):
    """A result in comparable form: hist {(dataset, attribute, value): n} or kl {(a, P, Q): (...)}."""
    if kind == "hist_wide":  # rows of (dataset, hist per attribute)
        out = {}
        for row in payload:
            for a, h in zip(attrs, row[1:]):
                for val, n in hist_to_dict(h).items():
                    out[(str(row[0]), a, val)] = n
        return out
    if kind == "long":
        return {(str(d), a, _num(v)): int(n) for d, a, v, n in payload if v is not None}
    if kind == "polars_vc":
        out = {}
        for row in payload:
            for a, lst in zip(attrs, row[1:]):
                for e in lst:
                    if e[a] is not None:
                        out[(str(row[0]), a, int(e[a]))] = int(e["n"])
        return out
    if kind == "kl":
        return {(a, str(p), str(qq)): (int(npp), int(nq), _f(kpq), _f(kqp))
                for a, p, qq, npp, nq, kpq, kqp in payload}
    raise ValueError(kind)


def _f(x):
    if x is None:
        return None
    if isinstance(x, str):
        s = x.strip().lower()
        if s in ("inf", "+inf", "infinity", "+infinity"):
            return math.inf
        return float(s)
    return float(x)


def close(a, b) -> bool:
    """Divergences agree: both +inf (or both NaN / NULL), or finite within 1e-9 (relative above 1)."""
    if a is None or b is None:
        return a is None and b is None
    if math.isinf(a) or math.isinf(b):
        return a == b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= TOL * max(1.0, abs(a), abs(b))


def compare(ref: dict, got: dict, kind: str) -> str:
    """'ok (N values)' or a description of the first differences."""
    if kind == "hist":
        if ref == got:
            return f"ok ({len(ref)} counts)"
        diff = [k for k in set(ref) | set(got) if ref.get(k) != got.get(k)]
        ex = sorted(diff, key=str)[:3]
        return f"MISMATCH {len(diff)} counts, e.g. " + "; ".join(f"{k}: {ref.get(k)} vs {got.get(k)}" for k in ex)
    bad, n_inf, n_null = [], 0, 0
    for k, r in ref.items():
        g = got.get(k)
        if g is None:
            bad.append((k, r, None))
            continue
        if r[0] != g[0] or r[1] != g[1]:
            bad.append((k, r, g))
            continue
        if (g[2] is None) != (r[2] is None) or (g[3] is None) != (r[3] is None):
            # NULL divergences (e.g. a minimum-support guard) are counted, not compared.
            n_null += 1
            continue
        if not close(r[2], g[2]) or not close(r[3], g[3]):
            bad.append((k, r, g))
        n_inf += sum(1 for x in r[2:] if x is not None and math.isinf(x))
    extra = [k for k in got if k not in ref and not (got[k][0] == 0 or got[k][1] == 0)]
    null_note = f", {n_null} rows NULL on one side only" if n_null else ""
    if not bad and not extra:
        return f"ok ({len(ref)} rows, {n_inf} infinite KL{null_note})"
    msg = f"MISMATCH {len(bad)} rows{null_note}"
    if bad:
        k, r, g = bad[0]
        msg += f", e.g. {k}: {r} vs {g}"
    if extra:
        msg += f"; {len(extra)} extra rows, e.g. {extra[0]}"
    return msg


# ----------------------------------------------------------------------------------------------
# macsql side
# ----------------------------------------------------------------------------------------------

def macsql_sql(workload: int, variant: str, attrs: list[str]) -> str:
    hists = ", ".join(f"attr_hist({q(a)}) AS {q(a)}" for a in attrs)
    where = " AND ".join(f"{q(k)} = {v}" for k, v in SUBGROUP.items())
    if workload == 1:
        return f"SELECT dataset, {hists} FROM cat GROUP BY dataset"
    src = "cat" if workload == 2 else f"(SELECT * FROM cat WHERE {where})"
    if variant == "compare_attributes":
        if workload == 2:
            return "SELECT * FROM compare_attributes('cat', 'dataset')"
        return f"CREATE VIEW sub AS SELECT * FROM cat WHERE {where}; SELECT * FROM compare_attributes('sub', 'dataset')"
    # The plain-SQL form: the histograms once (a small table), then kl_div per attribute and pair.
    parts = [f"SELECT {sql_str(a)} AS attribute, p.dataset AS \"P\", q.dataset AS \"Q\", "
             f"p.{q('n')} AS n_p, q.{q('n')} AS n_q, "
             f"kl_div(p.{q(a)}, q.{q(a)}) AS kl_pq, kl_div(q.{q(a)}, p.{q(a)}) AS kl_qp "
             f"FROM h p JOIN h q ON p.dataset <> q.dataset" for a in attrs]
    return (f"CREATE TABLE h AS SELECT dataset, count(*) AS n, {hists} FROM {src} GROUP BY dataset; "
            + " UNION ALL ".join(parts))


def pick(cols: list[str], *cands, contains=None, exclude=()):
    low = [c.lower() for c in cols]
    for c in cands:
        if c in low:
            return cols[low.index(c)]
    if contains:
        for i, c in enumerate(low):
            if all(s in c for s in contains) and not any(e in c for e in exclude):
                return cols[i]
    return None


def read_macsql_result(path: Path, workload: int, variant: str, attrs: list[str]):
    """The macsql result file (Parquet) in the form `normalise` expects."""
    import duckdb

    rel = duckdb.sql(f"SELECT * FROM read_parquet({sql_str(str(path))})")
    cols, rows = rel.columns, rel.fetchall()
    if workload == 1:
        idx = [cols.index(a) for a in attrs]
        return "hist_wide", [(r[cols.index("dataset")], *[r[i] for i in idx]) for r in rows]
    if variant == "plain_sql":
        # n_p / n_q are count(*) per dataset (the catalog has no NULL labels).
        return "kl", [tuple(r[cols.index(c)] for c in ("attribute", "P", "Q", "n_p", "n_q", "kl_pq", "kl_qp"))
                      for r in rows]
    a = pick(cols, "attribute", "attr", contains=["attr"])
    p = pick(cols, "p", "dataset_p", "p_dataset", "dataset_a")
    qq = pick(cols, "q", "dataset_q", "q_dataset", "dataset_b")
    n_p = pick(cols, "n_p", "np", "n_a")
    n_q = pick(cols, "n_q", "nq", "n_b")
    kls = [c for c in cols if "kl" in c.lower() and not any(s in c.lower() for s in ("lo", "hi", "ci", "_se"))]
    rev = [c for c in kls if any(s in c.lower() for s in ("qp", "q_p", "q||p", "q‖p"))]
    fwd = [c for c in kls if c not in rev]
    kpq, kqp = (fwd[0] if fwd else None), (rev[0] if rev else (fwd[1] if len(fwd) > 1 else None))
    missing = [n for n, c in (("attribute", a), ("P", p), ("Q", qq), ("n_P", n_p), ("n_Q", n_q),
                              ("KL(P||Q)", kpq), ("KL(Q||P)", kqp)) if c is None]
    if missing:
        raise ValueError(f"compare_attributes output: cannot find columns {missing} among {cols}")
    ix = [cols.index(c) for c in (a, p, qq, n_p, n_q, kpq, kqp)]
    return "kl", [tuple(r[i] for i in ix) for r in rows]


# ----------------------------------------------------------------------------------------------
# Running and timing processes
# ----------------------------------------------------------------------------------------------

def run_timed(cmd: list[str]) -> tuple[float, int, int, str]:
    """Runs `cmd`; returns (wall seconds, exit status, peak RSS in MiB, stderr tail).

    The command is started by a small launcher process (`bench.py spawn`, stdlib only) that
    forks, execs and waits with wait4(2): Linux carries the pre-exec peak RSS of the forking
    process into the child's ru_maxrss, so forking from this (large) driver would report the
    driver's peak. The launcher's floor is about 10 MiB. Wall time is taken in the launcher
    around fork / wait, so its own start-up is not counted.
    """
    with tempfile.TemporaryDirectory() as d:
        res, err = Path(d) / "res.json", Path(d) / "err.txt"
        launcher = [sys.executable, "-S", str(HERE / "bench.py"), "spawn", str(res), str(err), "--", *cmd]
        subprocess.run(launcher, check=True, stdout=subprocess.DEVNULL)
        r = json.loads(res.read_text())
        tail = err.read_text(errors="replace").strip()[-2000:] if err.exists() else ""
    return r["wall"], r["status"], r["maxrss_kib"] // 1024, tail


def spawn_main(res: str, err: str, cmd: list[str]) -> None:
    """The launcher of `run_timed` (runs with `python -S`, stdlib only)."""
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            fd = os.open(os.devnull, os.O_WRONLY)
            os.dup2(fd, 1)
            fe = os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(fe, 2)
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    Path(res).write_text(json.dumps({"wall": wall, "status": os.waitstatus_to_exitcode(status),
                                     "maxrss_kib": ru.ru_maxrss}))


class Runner:
    """One engine / formulation of one workload, run as separate processes."""

    def __init__(self, label: str, engine: str, fn):
        self.label, self.engine, self.fn = label, engine, fn
        self.times: list[float] = []
        self.rss: list[int] = []
        self.error: str | None = None
        self.result = None
        self.check = ""

    def run_once(self, keep: bool) -> None:
        if self.error:
            return
        try:
            t, rss, result = self.fn()
        except Exception as e:  # a failed formulation is reported, not fatal
            self.error = str(e).strip().splitlines()[-1][:300] if str(e).strip() else repr(e)
            return
        if keep:
            self.times.append(t)
            self.rss.append(rss)
        if self.result is None:
            self.result = result


def worker_fn(py: str, engine: str, variant: str, workload: int, data: Path, attrs_file: Path, tmp: Path):
    def fn():
        out = tmp / f"w{workload}-{engine}-{variant}.json"
        cmd = [py, str(HERE / "bench.py"), "worker", engine, variant, str(workload), str(data), str(attrs_file), str(out)]
        _, rc, rss, err = run_timed(cmd)
        if rc != 0:
            raise RuntimeError(first_error(err, rc))
        r = json.loads(out.read_text())
        if r["kind"] == "skip":
            raise RuntimeError("not applicable")
        return r["seconds"], rss, (r["kind"], r["payload"])
    return fn


def macsql_query_fn(macsql: str | None, sql: str, data: Path, out: Path, read):
    """Runs `sql` in the macsql CLI with the catalog registered as table `cat`, result to `out`;
    returns (seconds, peak RSS MiB, read(out))."""
    def fn():
        if not macsql:
            raise RuntimeError("no macsql binary (set MACSQL_BIN or let run.sh build it)")
        if out.exists():
            out.unlink()
        cmd = [macsql, "--data", f"cat={data}", "-q", "--format", "csv", "-o", str(out), "-c", sql]
        t, rc, rss, err = run_timed(cmd)
        if rc != 0:
            raise RuntimeError(first_error(err, rc))
        return t, rss, read(out)
    return fn


def macsql_fn(macsql: str | None, workload: int, variant: str, data: Path, attrs: list[str], tmp: Path):
    return macsql_query_fn(macsql, macsql_sql(workload, variant, attrs), data,
                           tmp / f"w{workload}-macsql-{variant}.parquet",
                           lambda out: read_macsql_result(out, workload, variant, attrs))


def startup_fn(cmd: list[str]):
    def fn():
        t, rc, rss, err = run_timed(cmd)
        if rc != 0:
            raise RuntimeError(first_error(err, rc))
        return t, rss, None
    return fn


def run_round_robin(runners: list[Runner], warmup: int, repeats: int) -> None:
    """Runs every runner warmup + repeats times, alternating engines, rotating the order."""
    for i in range(warmup + repeats):
        k = i % len(runners)
        for r in runners[k:] + runners[:k]:
            r.run_once(keep=i >= warmup)
        log(f"  round {i + 1}/{warmup + repeats} done")


# ----------------------------------------------------------------------------------------------
# Workload 5: annotation
# ----------------------------------------------------------------------------------------------

IMAGE_EXT = {".jpg", ".jpeg", ".png", ".webp", ".bmp"}

def load_manifest(path: Path) -> dict:
    """A bundle manifest with its files resolved (and `extends` followed, as macsql does)."""
    import tomllib

    m = tomllib.loads(path.read_text())
    if "extends" in m:
        base = tomllib.loads((path.parent / m.pop("extends")).read_text())
        base.update(m)
        m = base
    for entry in m["model"] + ([m["detector"]] if isinstance(m.get("detector"), dict) else []):
        f = Path(entry["file"])
        entry["file"] = str(f if f.is_absolute() else path.parent / f)
    if m.get("heads"):
        m["heads"] = str(path.parent / m["heads"])
    m["name"] = f"{m.get('name', path.stem)} ({path})"
    return m


# `--manifest` names for the bundles built into macsql (its `--model default` / `--model small`):
# the repository's manifests they are built from.
BUILT_IN = {"default": ROOT / "models" / "mac.toml", "small": ROOT / "models" / "mac-small.toml"}


def manifest_file(name: str) -> Path:
    """The manifest `--manifest` names: a file, or a built-in bundle's name (as macsql's --model)."""
    p = Path(name)
    return BUILT_IN[name] if name in BUILT_IN and not p.exists() else p


def list_images(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_EXT)


def workload5(args, macsql: str | None, tmp: Path, py: str) -> list[dict]:
    images_root = Path(args.images)
    images = list_images(images_root)
    n = len(images)
    threads = args.threads or os.cpu_count() or 1
    manifest_path = manifest_file(args.manifest)
    bundle = load_manifest(manifest_path)["name"]
    log(f"workload 5: {n} images, batch {args.batch}, {threads} threads, bundle {bundle}")
    rows = []

    def w(mode):
        def fn():
            out = tmp / f"w5-{mode}.json"
            cmd = [py, str(HERE / "bench.py"), "annotate-worker", mode, str(images_root), str(manifest_path),
                   str(args.batch), str(threads), str(out)]
            _, rc, rss, err = run_timed(cmd)
            if rc != 0:
                raise RuntimeError(first_error(err, rc))
            r = json.loads(out.read_text())
            return r["seconds"], rss, r.get("result")
        return fn

    def mac():
        if not macsql:
            raise RuntimeError("no macsql binary")
        out = tmp / "w5-macsql.parquet"
        for f in (out, Path(str(out) + ".tmp")):
            if f.exists():
                f.unlink()
        cmd = [macsql, "annotate", str(images_root), "--dataset", "bench", "--kind", "real",
               "--model", str(manifest_path), "-o", str(out), "--batch", str(args.batch),
               "--threads", str(threads), "-q"]
        t, rc, rss, err = run_timed(cmd)
        if rc != 0:
            raise RuntimeError(first_error(err, rc))
        return t, rss, str(out)

    runners = [Runner("macsql annotate", "macsql", mac), Runner("python onnxruntime+Pillow", "python", w("python")),
               Runner("python, onnxruntime default options", "python-default", w("python-default")),
               Runner("inference ceiling", "ceiling", w("ceiling"))]
    run_round_robin(runners, 0, args.annotate_repeats)
    check = annotation_check(runners[0].result, runners[1].result) if runners[0].result and runners[1].result else ""
    for r in runners:
        med = statistics.median(r.times) if r.times else None
        rows.append({"workload": 5, "label": r.label, "engine": r.engine, "median_s": med,
                     "images_per_s": n / med if med else None, "times": r.times,
                     "peak_rss_mib": max(r.rss) if r.rss else None, "error": r.error,
                     "check": check if r.engine == "macsql" else "", "images": n,
                     "batch": args.batch, "threads": threads, "bundle": bundle})
    return rows


def annotation_check(mac_out: str, py_res: dict) -> str:
    """How far macsql's probabilities are from the Python pipeline's (same manifest)."""
    import duckdb

    rel = duckdb.sql(f"SELECT * FROM read_parquet({sql_str(mac_out)})")
    cols, rows = rel.columns, rel.fetchall()
    by_path = {str(Path(r[cols.index("path")]).resolve()): r for r in rows}
    parts = []
    for att in [k for k in py_res if k != "path" and not k.startswith("features:")]:
        col = att + "_p" if att + "_p" in cols else (att if att in cols else None)
        if col is None:
            continue
        diffs = []
        for p, v in zip(py_res["path"], py_res[att]):
            r = by_path.get(str(Path(p).resolve()))
            if r is not None and r[cols.index(col)] is not None:
                diffs.append(abs(float(r[cols.index(col)]) - v))
        if diffs:
            parts.append(f"{att} mean abs diff {statistics.fmean(diffs):.3g}, max {max(diffs):.3g}")
    return "vs python: " + "; ".join(parts) if parts else "no comparable columns"


def annotate_worker(mode, images_root, manifest_path, batch, threads, out):
    images = list_images(Path(images_root))
    manifest = load_manifest(Path(manifest_path))
    sys.path.insert(0, str(HERE))
    import annotate_py

    if mode in ("python", "python-default"):
        t0 = time.perf_counter()
        res = annotate_py.annotate(images, manifest, int(batch), int(threads), spinning=mode == "python-default")
        dt = time.perf_counter() - t0
    else:
        dt, res = annotate_py.ceiling(images, manifest, int(batch), int(threads)), None
    Path(out).write_text(json.dumps({"seconds": dt, "result": res, "manifest": manifest["name"]}))


def first_error(err: str, rc: int) -> str:
    """The most telling line of a failed command's stderr."""
    lines = [x.strip() for x in err.splitlines() if x.strip()]
    for x in lines:
        if x.lower().startswith("error") or "Error:" in x:
            return x[:300]
    return (lines[-1] if lines else f"exit status {rc}")[:300]


# ----------------------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------------------

def machine() -> dict:
    info = {"cores": os.cpu_count(), "python": platform.python_version(), "kernel": platform.release()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gib"] = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    import duckdb
    import onnxruntime
    import polars
    info.update(duckdb=duckdb.__version__, polars=polars.__version__, onnxruntime=onnxruntime.__version__)
    return info


def fmt(x, nd=3):
    return "-" if x is None else f"{x:.{nd}f}"


def cell(text) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text or "").replace("|", "\\|").replace("\n", " ")


def report(rows: list[dict], meta: dict) -> str:
    title = (f"scale {meta['scale']:g} ({meta['rows']} rows, {meta['attributes']} attributes)"
             if meta["rows"] else "without the catalog workloads")
    lines = [f"# macsql benchmark, {title}", "",
             f"- command: `{meta['command']}`",
             f"- machine: {meta['machine'].get('cpu', '?')}, {meta['machine']['cores']} cores, "
             f"{meta['machine'].get('memory_gib', '?')} GiB; duckdb {meta['machine']['duckdb']}, "
             f"polars {meta['machine']['polars']}, onnxruntime {meta['machine']['onnxruntime']}; "
             f"macsql {meta['macsql_version']}",
             f"- data: {meta['data']} from {meta['data_source']}; {meta['repeats']} timed runs per row after "
             f"{meta['warmup']} warm-up, engines alternating; times are medians in seconds"]
    if any(r["workload"] <= 4 for r in rows):
        lines += ["", "| workload | engine | formulation | median s | min s | max s | peak RSS MiB | macsql / this | check |",
                  "|---|---|---|---:|---:|---:|---:|---:|---|"]
    names = {1: "1 distributions", 2: "2 study (KL)", 3: "3 subgroup", 4: "4 start-up"}
    for w in (1, 2, 3, 4):
        ws = [r for r in rows if r["workload"] == w]
        if not ws:
            continue
        mac = [r for r in ws if r["engine"] == "macsql" and r["median_s"]]
        best_mac = min((r["median_s"] for r in mac), default=None)
        for r in ws:
            ratio = "-"
            if best_mac and r["engine"] != "macsql" and r["median_s"]:
                ratio = f"{best_mac / r['median_s']:.2f}"
            if r["error"]:
                lines.append(f"| {names[w]} | {r['engine']} | {r['label']} | skipped | | | | | {cell(r['error'])} |")
                continue
            lines.append(f"| {names[w]} | {r['engine']} | {r['label']} | {fmt(r['median_s'])} | "
                         f"{fmt(min(r['times']))} | {fmt(max(r['times']))} | {r['peak_rss_mib']} | {ratio} | {cell(r['check'])} |")
    w5 = [r for r in rows if r["workload"] == 5]
    if w5:
        n = w5[0]["images"]
        lines += ["", f"Annotation ({n} images, batch {w5[0]['batch']}, {w5[0]['threads']} threads, "
                  f"bundle {w5[0]['bundle']}):", "",
                  "| pipeline | median s | images/s | peak RSS MiB | macsql / this | check |", "|---|---:|---:|---:|---:|---|"]
        mac = next((r for r in w5 if r["engine"] == "macsql" and r["images_per_s"]), None)
        for r in w5:
            if r["error"]:
                lines.append(f"| {r['label']} | skipped | | | | {cell(r['error'])} |")
                continue
            ratio = f"{mac['images_per_s'] / r['images_per_s']:.2f}" if mac and r is not mac else "-"
            lines.append(f"| {r['label']} | {fmt(r['median_s'])} | {fmt(r['images_per_s'], 1)} | "
                         f"{r['peak_rss_mib']} | {ratio} | {cell(r['check'])} |")
    w6 = [r for r in rows if r["workload"] == 6]
    if w6:
        lines += ["", "Label scans of the registered file and of the same rows as a partitioned folder, against "
                  "DataFusion's Parquet reader (workload 2's comparison over slices; the same macsql binary):", "",
                  "| slice | rows | label scan, file s | label scan, folder s | DataFusion reader s | "
                  "folder / file | file / reader | check |",
                  "|---|---:|---:|---:|---:|---:|---:|---|"]
        for where in dict.fromkeys(r["slice"] for r in w6):
            group = [r for r in w6 if r["slice"] == where]
            if len(group) != 3 or any(r["error"] for r in group):
                why = next((r["error"] for r in group if r["error"]), "incomplete")
                lines.append(f"| {where} | {group[0]['slice_rows']} | skipped | | | | | {cell(why)} |")
                continue
            file_, folder, reader = (r["median_s"] for r in group)
            checks = "; ".join(cell(r["check"]) for r in group[1:])
            lines.append(f"| {where} | {group[0]['slice_rows']} | {fmt(file_)} | {fmt(folder)} | {fmt(reader)} | "
                         f"{folder / file_:.2f} | {file_ / reader:.2f} | {checks} |")
    w7 = [r for r in rows if r["workload"] == 7]
    if w7:
        lines += ["", f"Face embeddings (bench/embeddings.py): FD over {w7[0]['rows']:,} 128-d embeddings, "
                  f"compare_embeddings on {w7[0]['small']:,} + {w7[0]['small']:,} (k = 5, both orders), against "
                  "pyarrow + numpy + scipy / prdc:", "",
                  "| part | engine | formulation | median s | min s | max s | macsql / this | check |",
                  "|---|---|---|---:|---:|---:|---:|---|"]
        for r in w7:
            if r["error"]:
                lines.append(f"| - | {r['engine']} | {r['label']} | skipped | | | | {cell(r['error'])} |")
                continue
            mac = next((m for m in w7 if m.get("part") == r["part"] and m["engine"] == "macsql"), None)
            ratio = f"{mac['median_s'] / r['median_s']:.2f}" if mac and r is not mac else "-"
            lines.append(f"| {r['part']} | {r['engine']} | {r['label']} | {fmt(r['median_s'])} | {fmt(min(r['times']))} | "
                         f"{fmt(max(r['times']))} | {ratio} | {cell(r['check'])} |")
    lines += ["", "macsql / this: ratio of the best macsql median to this row's median for workloads 1-4 "
              "and 7 (below 1: macsql faster); of images/s for annotation (above 1: macsql faster)."]
    return "\n".join(lines) + "\n"


# Workload 6: coarse to selective slices, workload 2's comparison on each.
SLICES = ['"Male" = 1', '"Male" = 1 AND "Young" = 1', " AND ".join(f"{q(k)} = {v}" for k, v in SUBGROUP.items())]


def partitioned_copy(data: Path, tmp: Path, parts: int = 8) -> Path:
    """The catalog as a hive-partitioned folder of `parts` files (`part=0` ... ), rows dealt
    out in turn (as `--shard` spreads images by a hash), written like the file itself (DuckDB,
    CATALOG_WRITE), every column kept in the files: what `macsql annotate -o FOLDER/ --shard
    I/N` makes of a dataset, and nothing else differing from the single file."""
    import duckdb

    folder = tmp / "cat-partitioned"
    if not folder.exists():
        duckdb.sql(f"COPY (SELECT *, CAST((row_number() OVER ()) % {parts} AS INT) AS part "
                   f"FROM read_parquet({sql_str(str(data))})) TO {sql_str(str(folder))} "
                   f"({CATALOG_WRITE}, PARTITION_BY (part))")
    return folder


def workload6(args, macsql: str | None, data: Path, attrs: list[str], tmp: Path) -> list[dict]:
    """Label scans of the registered file and of the same rows as a partitioned folder, against
    DataFusion's Parquet reader (`SET macsql.label_scans = false`, same file), same binary,
    alternating; the three must agree."""
    import duckdb

    folder = partitioned_copy(data, tmp)
    rows = []
    for i, where in enumerate(SLICES):
        n = duckdb.sql(f"SELECT count(*) FROM read_parquet({sql_str(str(data))}) WHERE {where}").fetchall()[0][0]
        runners = []
        # The folder's `part` partition column is left out, so the three views are alike.
        cases = (("label scan (registered file)", data, ""),
                 ("label scan (partitioned folder, 8 files)", folder, ""),
                 ("DataFusion reader (same file)", data, "SET macsql.label_scans = false; "))
        for j, (label, src, setting) in enumerate(cases):
            cols = "*" if src == data else "* EXCLUDE (part)"
            sql = (f"{setting}CREATE VIEW sub AS SELECT {cols} FROM cat WHERE {where}; "
                   "SELECT * FROM compare_attributes('sub', 'dataset')")
            runners.append(Runner(label, "macsql", macsql_query_fn(
                macsql, sql, src, tmp / f"w6-{i}-{j}.parquet",
                lambda out: read_macsql_result(out, 2, "compare_attributes", attrs))))
        log(f"workload 6: {where}")
        run_round_robin(runners, args.warmup, args.repeats)
        scan = runners[0]
        if scan.result is not None:
            scan.check = "reference"
            for other in runners[1:]:
                if other.result is None:
                    continue
                try:
                    other.check = compare(normalise(*scan.result, attrs), normalise(*other.result, attrs), "kl")
                except Exception as e:
                    other.check = f"cannot compare: {e}"
        for r in runners:
            rows.append({"workload": 6, "slice": where, "slice_rows": n, "label": r.label, "engine": r.engine,
                         "median_s": statistics.median(r.times) if r.times else None, "times": r.times,
                         "peak_rss_mib": max(r.rss) if r.rss else None, "error": r.error, "check": r.check})
    return rows


def workload7(args, macsql: str | None, tmp: Path) -> list[dict]:
    """Face embeddings: bench/embeddings.py (FD over 1M embeddings, compare_embeddings on 10k + 10k)
    against numpy / scipy / prdc, at the run's scale (rows and sample shrink with --scale below 1),
    the same repeats; its own checks (FD to 1e-6, PRDC exactly) become the rows' check."""
    scale = min(1.0, args.scale)
    rows_n, small = max(20_000, round(1_000_000 * scale)), max(1_000, round(10_000 * scale))
    base = {"workload": 7, "peak_rss_mib": None, "rows": rows_n, "small": small}
    if not macsql:
        return [dict(base, label="embeddings", engine="macsql", median_s=None, times=[],
                     error="no macsql binary", check="")]
    out = tmp / "embeddings"
    log(f"workload 7: {rows_n} embeddings, compare_embeddings on {small} + {small}")
    r = subprocess.run([sys.executable, str(HERE / "embeddings.py"), "--macsql", macsql, "--rows", str(rows_n),
                        "--small", str(small), "--repeats", str(args.repeats), "--out", str(out)],
                       capture_output=True, text=True)
    found = sorted(out.glob("results-*.json"))
    if not found:
        return [dict(base, label="embeddings", engine="macsql", median_s=None, times=[],
                     error=(r.stderr.strip().splitlines() or ["failed"])[-1], check="")]
    res = json.loads(found[-1].read_text())
    rows = []
    for key, times in res["times"].items():
        work, label = key.split("|", 1)
        check = res["checks"][work] if label.startswith("macsql") else ""
        if label.startswith("macsql") and not res["ok"]:
            check = "MISMATCH: " + check
        rows.append(dict(base, part=work, label=label, engine="macsql" if label.startswith("macsql") else "python",
                         median_s=statistics.median(times), times=times, error=None, check=check))
    return rows


def main_run(args) -> int:
    import duckdb

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    macsql = args.macsql if args.macsql and Path(args.macsql).is_file() else None
    if args.macsql and not macsql:
        log(f"warning: macsql binary {args.macsql} not found: macsql rows are skipped")
    py = sys.executable
    workloads = {int(x) for x in args.workloads.split(",")}
    tmp = Path(tempfile.mkdtemp(prefix="macsql-bench-", dir=out))
    rows: list[dict] = []
    meta = {"scale": args.scale, "repeats": args.repeats, "warmup": args.warmup, "machine": machine(),
            "command": os.environ.get("BENCH_COMMAND") or " ".join(["bench/bench.py"] + sys.argv[1:]),
            "macsql_version": "-", "rows": 0, "attributes": 0, "data": "-", "data_source": "-"}
    if macsql:
        v = subprocess.run([macsql, "--version"], capture_output=True, text=True)
        meta["macsql_version"] = (v.stdout.strip() or "?") + f" ({macsql})"

    if workloads & {1, 2, 3, 4, 6}:
        data, source = prepare_data(args, macsql)
        attrs = attributes_of(data)
        nrows = duckdb.sql(f"SELECT count(*) FROM read_parquet({sql_str(str(data))})").fetchall()[0][0]
        meta.update(rows=nrows, attributes=len(attrs), data=str(data), data_source=source)
        log(f"data: {data} ({nrows} rows, {len(attrs)} attributes) from {source}")
        attrs_file = tmp / "attrs.json"
        attrs_file.write_text(json.dumps(attrs))
        for w in sorted(workloads & {1, 2, 3}):
            log(f"workload {w}")
            runners = []
            variants = ["plain_sql"] if w == 1 else ["compare_attributes", "plain_sql"]
            for v in variants:
                label = "attr_hist" if w == 1 else ("compare_attributes" if v == "compare_attributes" else "attr_hist + kl_div")
                runners.append(Runner(label, "macsql", macsql_fn(macsql, w, v, data, attrs, tmp)))
            for v in ("histogram", "grouping_sets", "unpivot"):
                label = {"histogram": "histogram()", "grouping_sets": "GROUPING SETS", "unpivot": "UNPIVOT + GROUP BY"}[v]
                runners.append(Runner(label, "duckdb",
                                      worker_fn(py, "duckdb", v, w, data, attrs_file, tmp)))
            for v in (("value_counts", "group_by", "unpivot") if w == 1 else ("group_by", "unpivot")):
                runners.append(Runner(v, "polars", worker_fn(py, "polars", v, w, data, attrs_file, tmp)))
            run_round_robin(runners, args.warmup, args.repeats)
            kind = "hist" if w == 1 else "kl"
            ok = [r for r in runners if r.result is not None and not r.error]
            ref_r = next((r for r in ok if r.engine == "duckdb"), ok[0] if ok else None)
            ref = normalise(*ref_r.result, attrs) if ref_r else {}
            for r in runners:
                if r.result is not None and not r.error:
                    try:
                        r.check = "reference" if r is ref_r else compare(ref, normalise(*r.result, attrs), kind)
                    except Exception as e:
                        r.check = f"cannot compare: {e}"
                rows.append({"workload": w, "label": r.label, "engine": r.engine,
                             "median_s": statistics.median(r.times) if r.times else None, "times": r.times,
                             "peak_rss_mib": max(r.rss) if r.rss else None, "error": r.error, "check": r.check})
        if 4 in workloads:
            log("workload 4")
            trivial = "SELECT count(*) FROM cat"
            runners = [
                Runner("CLI: count(*)", "macsql", startup_fn(
                    [macsql, "--data", f"cat={data}", "-q", "--format", "csv", "-c", trivial]) if macsql else
                    startup_fn(["false"])),
                Runner("python -c: import + count(*)", "duckdb", startup_fn(
                    [py, "-c", f"import duckdb; print(duckdb.sql(\"SELECT count(*) FROM read_parquet({sql_str(str(data))})\").fetchall())"])),
                Runner("python -c: import + scan().len()", "polars", startup_fn(
                    [py, "-c", f"import polars as pl; print(pl.scan_parquet({str(data)!r}).select(pl.len()).collect().item())"])),
            ]
            if not macsql:
                runners[0].error = "no macsql binary"
            run_round_robin(runners, args.warmup, max(args.repeats, 5))
            for r in runners:
                rows.append({"workload": 4, "label": r.label, "engine": r.engine,
                             "median_s": statistics.median(r.times) if r.times else None, "times": r.times,
                             "peak_rss_mib": max(r.rss) if r.rss else None, "error": r.error, "check": ""})
        if 6 in workloads:
            rows += workload6(args, macsql, data, attrs, tmp)
    if 5 in workloads:
        rows += workload5(args, macsql, tmp, py)
    if 7 in workloads:
        rows += workload7(args, macsql, tmp)

    text = report(rows, meta)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out / f"results-scale-{args.scale:g}-{stamp}.md").write_text(text)
    (out / f"results-scale-{args.scale:g}-{stamp}.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1, default=str))
    print(text)
    shutil.rmtree(tmp, ignore_errors=True)
    bad = [r for r in rows if "MISMATCH" in (r.get("check") or "") or "cannot compare" in (r.get("check") or "")]
    return 1 if bad else 0


def main_worker(engine, variant, workload, data, attrs_file, out) -> None:
    attrs = json.loads(Path(attrs_file).read_text())
    if engine == "duckdb":
        import duckdb  # noqa: F401  (imported before the clock starts)
        del duckdb
        fn = peer_duckdb
    else:
        import polars  # noqa: F401
        del polars
        fn = peer_polars
    t0 = time.perf_counter()
    kind, payload = fn(variant, int(workload), Path(data), attrs)
    dt = time.perf_counter() - t0
    Path(out).write_text(json.dumps({"seconds": dt, "kind": kind, "payload": payload}, default=str))


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "spawn":
        spawn_main(sys.argv[2], sys.argv[3], sys.argv[5:])
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        main_worker(*sys.argv[2:8])
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "annotate-worker":
        annotate_worker(*sys.argv[2:8])
        return 0
    ap = argparse.ArgumentParser(description="macsql vs DuckDB, polars and Python onnxruntime")
    ap.add_argument("run", nargs="?", default="run")
    ap.add_argument("--scale", type=float, default=0.05, help="catalog size (1.0 = 4.3M rows)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--repeats", type=int, default=5, help="timed runs per engine")
    ap.add_argument("--warmup", type=int, default=1, help="untimed runs per engine first")
    ap.add_argument("--workloads", default="1,2,3,4,5,6,7")
    ap.add_argument("--macsql", default=os.environ.get("MACSQL_BIN"))
    ap.add_argument("--images", default=str(ROOT.parent / "shared" / "data" / "images"))
    ap.add_argument("--manifest", default=str(ROOT / "models" / "mac.toml"),
                    help="model bundle for macsql annotate and the Python pipeline: a manifest, or `default` / "
                         "`small` (the built-in bundles' manifests, models/mac.toml / models/mac-small.toml)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=0, help="annotation threads (0 = all cores)")
    ap.add_argument("--annotate-repeats", type=int, default=3)
    ap.add_argument("--out", default=str(HERE / "out"))
    return main_run(ap.parse_args())


if __name__ == "__main__":
    sys.exit(main())
