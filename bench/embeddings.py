#!/usr/bin/env python3
"""Benchmark of macsql's embedding functions against numpy / scipy / prdc, same data, same run.

Two workloads, each engine as its own process, one warm-up and then N timed runs, alternating:

  fd    Fréchet distance between two datasets of 500,000 random 128-d float32 embeddings each
        (1M rows, one Parquet file): macsql `embedding_stats` per dataset + `frechet_distance`
        (the whole `macsql -c` process: start-up, the Parquet scan, the aggregate, the FD)
        against pyarrow's read of the file + numpy mean / np.cov + the FID formula with
        scipy.linalg.sqrtm (timed inside its process, from opening the file to the number).
  prdc  compare_embeddings on two 10,000-face datasets (k = 5, no sampling): macsql's table
        (both orders: FD, PRDC, copy check) against pyarrow + numpy + prdc.compute_prdc both
        orders + the scipy FD both orders (no copy check: macsql does more work here).

Results are checked: FD to a relative 1e-6, PRDC exactly (they are counts over n). Prints a
Markdown table and writes it with the raw timings to OUT/results-TIME.{md,json}.

    python3 -m venv bench/.venv-emb
    bench/.venv-emb/bin/pip install numpy scipy pyarrow prdc==0.2
    CARGO_TARGET_DIR=target cargo build --release
    bench/.venv-emb/bin/python bench/embeddings.py --macsql target/release/macsql [--repeats 5]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DIM = 128
SEED = 42


def make_data(out: Path, rows: int, small: int) -> tuple[Path, Path]:
    """Writes the 1M-row file (datasets real / synth, half each) and the 10k + 10k file."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    big, little = out / f"emb-{rows}.parquet", out / f"emb-{small}x2.parquet"
    if big.exists() and little.exists():
        return big, little
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    half = rows // 2
    real = rng.normal(0.0, 1.0, size=(half, DIM)).astype(np.float32)
    synth = (rng.normal(0.05, 1.1, size=(half, DIM))).astype(np.float32)
    unit = lambda x: (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    real, synth = unit(real), unit(synth)

    def write(path, a, b):
        flat = np.concatenate([a.reshape(-1), b.reshape(-1)])
        table = pa.table({
            "dataset": pa.array(["real"] * len(a) + ["synth"] * len(b)),
            "embedding": pa.FixedSizeListArray.from_arrays(pa.array(flat, pa.float32()), DIM),
        })
        pq.write_table(table, path, row_group_size=122_880, compression="snappy")

    write(big, real, synth)
    write(little, real[:small], synth[:small])
    return big, little


def peer(workload: str, path: str) -> None:
    """The Python side, in its own process: imports first, then the timed part; prints JSON."""
    import numpy as np
    import prdc
    import pyarrow.parquet as pq
    from scipy.linalg import sqrtm

    def fid(x, y):
        mx, my = x.mean(axis=0), y.mean(axis=0)
        cx, cy = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
        covmean = np.real(sqrtm(cx.dot(cy)))
        return float(((mx - my) ** 2).sum() + np.trace(cx) + np.trace(cy) - 2 * np.trace(covmean))

    t0 = time.perf_counter()
    table = pq.read_table(path)
    names = table.column("dataset").to_numpy()
    emb = table.column("embedding").combine_chunks()
    x = emb.values.to_numpy().reshape(-1, DIM).astype(np.float64)
    real, synth = x[names == "real"], x[names == "synth"]
    if workload == "fd":
        result = {"fd": fid(real, synth)}
    else:
        result = {}
        for p, q, pn, qn in [(real, synth, "real", "synth"), (synth, real, "synth", "real")]:
            m = prdc.compute_prdc(real_features=p, fake_features=q, nearest_k=5)
            result[f"{pn}|{qn}"] = {"fd": fid(p, q), **{k: float(v) for k, v in m.items()}}
    print(json.dumps({"seconds": time.perf_counter() - t0, "result": result}))


def run_macsql(macsql: str, sql: str, out: Path) -> tuple[float, list[dict]]:
    t0 = time.perf_counter()
    subprocess.run([macsql, "-q", "--format", "json", "-o", str(out), "-c", sql], check=True,
                   stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - t0
    text = out.read_text().strip()
    rows = json.loads(text) if text.startswith("[") else [json.loads(l) for l in text.splitlines()]
    return seconds, rows


def run_peer(py: str, workload: str, path: Path) -> tuple[float, dict]:
    r = subprocess.run([py, str(HERE / "embeddings.py"), "peer", workload, str(path)], check=True,
                       capture_output=True, text=True)
    j = json.loads(r.stdout.strip().splitlines()[-1])
    return j["seconds"], j["result"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd")
    pp = sub.add_parser("peer")
    pp.add_argument("workload")
    pp.add_argument("path")
    ap.add_argument("--macsql", default=str(HERE.parent / "target" / "release" / "macsql"))
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--small", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default=str(HERE / "out" / "embeddings"))
    args = ap.parse_args()
    if args.cmd == "peer":
        return peer(args.workload, args.path)

    out = Path(args.out)
    big, little = make_data(out / "data", args.rows, args.small)
    fd_sql = (f"WITH s AS (SELECT dataset, embedding_stats(embedding) AS st FROM '{big}' GROUP BY dataset) "
              "SELECT frechet_distance(p.st, q.st) AS fd FROM s p, s q WHERE p.dataset = 'real' AND q.dataset = 'synth'")
    prdc_sql = (f"SELECT dataset_p, dataset_q, fd, precision, recall, density, coverage FROM "
                f"compare_embeddings('{little}', 'dataset', 'k=5, sample={args.small}')")
    res = out / "result.json"
    runners = {
        ("fd", "macsql embedding_stats + frechet_distance"): lambda: run_macsql(args.macsql, fd_sql, res),
        ("fd", "pyarrow + numpy cov + scipy sqrtm"): lambda: run_peer(sys.executable, "fd", big),
        ("prdc", "macsql compare_embeddings"): lambda: run_macsql(args.macsql, prdc_sql, res),
        ("prdc", "pyarrow + numpy + prdc.compute_prdc"): lambda: run_peer(sys.executable, "prdc", little),
    }
    times = {k: [] for k in runners}
    results = {}
    for round_ in range(args.repeats + 1):
        keys = list(runners)
        keys = keys[round_ % len(keys):] + keys[:round_ % len(keys)]
        for k in keys:
            t, r = runners[k]()
            results[k] = r
            if round_ > 0:
                times[k].append(t)
            print(f"round {round_} {k[0]:5s} {k[1]:45s} {t:8.3f} s", file=sys.stderr)

    # Checks.
    checks = {}
    m_fd = results[("fd", "macsql embedding_stats + frechet_distance")][0]["fd"]
    p_fd = results[("fd", "pyarrow + numpy cov + scipy sqrtm")]["fd"]
    checks["fd"] = f"fd {m_fd:.9g} vs {p_fd:.9g}: rel diff {abs(m_fd - p_fd) / abs(p_fd):.1e}"
    ok = abs(m_fd - p_fd) <= 1e-6 * abs(p_fd)
    worst = 0.0
    for row in results[("prdc", "macsql compare_embeddings")]:
        ref = results[("prdc", "pyarrow + numpy + prdc.compute_prdc")][f"{row['dataset_p']}|{row['dataset_q']}"]
        for c in ("precision", "recall", "density", "coverage"):
            ok &= abs(row[c] - ref[c]) <= 1e-9
            worst = max(worst, abs(row[c] - ref[c]))
        ok &= abs(row["fd"] - ref["fd"]) <= 1e-6 * abs(ref["fd"])
    checks["prdc"] = f"PRDC max abs diff {worst:.1e} (4 figures x 2 orders), FD to 1e-6"

    lines = [f"# macsql embedding benchmark ({time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores)", "",
             f"Data: {args.rows:,} random 128-d float32 unit vectors (2 datasets); PRDC on {args.small:,} + {args.small:,}. "
             f"Median of {args.repeats} timed runs after a warm-up.", "",
             "| workload | engine | median s | min s | macsql / this | check |", "|---|---|---|---|---|---|"]
    for w in ("fd", "prdc"):
        ks = [k for k in runners if k[0] == w]
        mac = statistics.median(times[ks[0]])
        for k in ks:
            med = statistics.median(times[k])
            lines.append(f"| {w} | {k[1]} | {med:.3f} | {min(times[k]):.3f} | {mac / med:.2f} | {checks[w] if k == ks[0] else ''} |")
    table = "\n".join(lines)
    print(table)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out / f"results-{stamp}.md").write_text(table + "\n")
    (out / f"results-{stamp}.json").write_text(json.dumps(
        {"times": {f"{k[0]}|{k[1]}": v for k, v in times.items()}, "checks": checks, "ok": bool(ok)}, indent=2))
    if not ok:
        print("bench: results disagree", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
