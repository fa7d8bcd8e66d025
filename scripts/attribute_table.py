#!/usr/bin/env python3
"""Prints the README's table of the default bundle's attributes from models/mac-report.parquet and
models/mac-report-sources.parquet (written by scripts/train_default.sh).

    python3 scripts/attribute_table.py        # needs pyarrow

One row per MAAD-Face attribute tried: its label sources with their images, the held-out
(person-grouped) AUC, balanced accuracy, the band's coverage and precision of each side (pooled
held-out predictions, and nested in brackets), and whether it shipped and why.
"""
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent


def f3(v):
    return "-" if v is None or v != v else f"{v:.3f}"


def main():
    report = pq.read_table(ROOT / "models" / "mac-report.parquet").to_pylist()
    sources = pq.read_table(ROOT / "models" / "mac-report-sources.parquet").to_pylist()
    by_attr = {}
    for s in sources:
        by_attr.setdefault(s["attribute"], []).append(s)
    print("| attribute | sources (images) | images | AUC | balanced acc. | coverage | precision 1 / -1 (nested) | shipped |")
    print("|---|---|---:|---:|---:|---:|---|---|")
    for r in report:
        srcs = by_attr.get(r["attribute"], [])
        names = ", ".join(f"{s['source']} {s['positives'] + s['negatives']:,}" for s in srcs)
        n = (r["positives"] or 0) + (r["negatives"] or 0)
        shipped = "yes" if r["shipped"] else f"no: {r['reason']}"
        print(f"| {r['attribute']} | {names} | {n:,} | {f3(r['auc'])} | {f3(r['balanced_accuracy'])} | "
              f"{f3(r['coverage'])} | {f3(r['precision_pos'])} / {f3(r['precision_neg'])} "
              f"({f3(r['nested_precision_pos'])} / {f3(r['nested_precision_neg'])}) | {shipped} |")
    print(f"\nShipped: {sum(1 for r in report if r['shipped'])} of {len(report)}")


if __name__ == "__main__":
    main()
