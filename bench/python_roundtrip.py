"""Python round trip: a table of N million rows into the engine and back as pyarrow, with the
cost per million rows, macsql against DuckDB and polars on the same table in the same run.

    bench/python_roundtrip.sh            # builds the release wheel into bench/.venv, runs this
    python bench/python_roundtrip.py --rows 5000000 --repeats 5

Three steps, each timed separately (best of --repeats, after one warm-up):
  register  the pyarrow Table handed to the engine (macsql: Arrow C stream, buffers shared)
  select    SELECT * back as a pyarrow Table (macsql: Arrow C stream out, buffers handed over)
  filter    SELECT dataset, Male, Male_p WHERE Male = 1 AND Young = -1 (a subgroup slice)
Writes bench/out/python-roundtrip.md.
"""

import argparse
import importlib.metadata as md
import pathlib
import time

import numpy as np
import pyarrow as pa


def table(rows: int) -> pa.Table:
    rng = np.random.default_rng(7)
    labels = lambda: pa.array(rng.choice(np.array([-1, 0, 1], dtype=np.int8), rows))  # noqa: E731
    names = np.array(["ffhq", "fairface", "stylegan2", "sfhq"])
    return pa.table(
        {
            "path": pa.array([f"img/{i:08d}.jpg" for i in range(rows)]),
            "dataset": pa.array(names[rng.integers(0, 4, rows)]),
            "Male": labels(),
            "Male_p": pa.array(rng.random(rows, dtype=np.float32)),
            "Young": labels(),
            "Smiling": labels(),
        }
    )


def best(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


FILTER = "SELECT dataset, Male, Male_p FROM t WHERE Male = 1 AND Young = -1"


def run_macsql(t, repeats):
    import macsql

    con = macsql.connect()
    reg = best(lambda: con.register("t", t), repeats)
    out = con.sql("SELECT * FROM t").to_arrow()
    assert out.num_rows == t.num_rows
    sel = best(lambda: con.sql("SELECT * FROM t").to_arrow(), repeats)
    n = con.sql(FILTER).to_arrow().num_rows
    flt = best(lambda: con.sql(FILTER).to_arrow(), repeats)
    return reg, sel, flt, n


def run_duckdb(t, repeats):
    import duckdb

    con = duckdb.connect()

    def table_of(sql):
        # DuckDB 2 returns a RecordBatchReader from .arrow(), 1.x a Table.
        out = con.sql(sql).arrow()
        return out.read_all() if isinstance(out, pa.RecordBatchReader) else out

    reg = best(lambda: con.register("t", t), repeats)
    sel = best(lambda: table_of("SELECT * FROM t"), repeats)
    n = table_of(FILTER).num_rows
    flt = best(lambda: table_of(FILTER), repeats)
    return reg, sel, flt, n


def run_polars(t, repeats):
    import polars as pl

    holder = {}
    reg = best(lambda: holder.update(ctx=pl.SQLContext(t=pl.from_arrow(t))), repeats)
    ctx = holder["ctx"]
    sel = best(lambda: ctx.execute("SELECT * FROM t").collect().to_arrow(), repeats)
    n = ctx.execute(FILTER).collect().height
    flt = best(lambda: ctx.execute(FILTER).collect().to_arrow(), repeats)
    return reg, sel, flt, n


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", default="bench/out/python-roundtrip.md")
    args = ap.parse_args()
    t = table(args.rows)
    per_m = 1e6 / args.rows
    lines = [
        f"Python round trip, {args.rows:,} rows ({t.nbytes / 2**20:.0f} MiB in Arrow), best of {args.repeats}:",
        "",
        "| engine | version | register | SELECT * to pyarrow | per million rows | filter to pyarrow | rows out |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    counts = set()
    for name, fn, dist in (("macsql", run_macsql, "macsql"), ("DuckDB", run_duckdb, "duckdb"), ("polars", run_polars, "polars")):
        try:
            version = md.version(dist)
        except md.PackageNotFoundError:
            print(f"{name}: not installed, left out")
            continue
        reg, sel, flt, n = fn(t, args.repeats)
        counts.add(n)
        lines.append(
            f"| {name} | {version} | {reg * 1e3:.2f} ms | {sel * 1e3:.1f} ms | {sel * per_m * 1e3:.2f} ms | {flt * 1e3:.1f} ms | {n:,} |"
        )
    assert len(counts) == 1, f"the engines disagree on the filter's row count: {counts}"
    text = "\n".join(lines) + "\n"
    print(text)
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)


if __name__ == "__main__":
    main()
