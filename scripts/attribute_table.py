#!/usr/bin/env python3
"""Prints the README's table of the default bundle's attributes from models/mac-report.parquet,
models/mac-report-sources.parquet and models/mac-heldout.parquet (written by
scripts/train_default.sh).

    python3 scripts/attribute_table.py        # needs pyarrow

One row per MAAD-Face attribute tried: its label sources with their images, the held-out
(person-grouped) AUC, balanced accuracy, the band's coverage, the share of images each side labels
(1 / -1, on the held-out predictions: a side can be tiny), the precision of each side (pooled
held-out predictions, and nested in brackets), the lowest nested precision of each side on one
label source (among sources where the side labels at least 30 images), and whether it shipped
and why ("band pooled" where the band could not be narrowed to hold on each source).
"""
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent


def f3(v):
    return "-" if v is None or v != v else f"{v:.3f}"


def side_shares(r, probs):
    """The share of held-out images at or above the band's hi and at or below its lo ("-" for a
    side that did not reach the precision). The probabilities are float32, the band float64."""
    if not probs:
        return "-"
    def share(reached, inside):
        return f"{sum(1 for p in probs if inside(p)) / len(probs):.3f}" if reached else "-"
    pos = share(r["precision_pos"] == r["precision_pos"], lambda p: p >= r["band_hi"] - 1e-6)
    neg = share(r["precision_neg"] == r["precision_neg"], lambda p: p <= r["band_lo"] + 1e-6)
    return f"{pos} / {neg}"


def worst_source(srcs, side):
    """The lowest nested precision of a band side on one source, with the source's name, among
    sources where that side labels at least 30 images."""
    share, prec = f"nested_share_{side}", f"nested_precision_{side}"
    cands = [(s[prec], s["source"]) for s in srcs
             if s[share] is not None and s[prec] is not None and s[prec] == s[prec]
             and s[share] * (s["positives"] + s["negatives"]) >= 30]
    if not cands:
        return "-"
    p, name = min(cands)
    return f"{p:.3f} {name}"


def main():
    report = pq.read_table(ROOT / "models" / "mac-report.parquet").to_pylist()
    sources = pq.read_table(ROOT / "models" / "mac-report-sources.parquet").to_pylist()
    heldout = pq.read_table(ROOT / "models" / "mac-heldout.parquet", columns=["attribute", "p"]).to_pydict()
    probs = {}
    for a, p in zip(heldout["attribute"], heldout["p"]):
        probs.setdefault(a, []).append(p)
    by_attr = {}
    for s in sources:
        by_attr.setdefault(s["attribute"], []).append(s)
    print("| attribute | sources (images) | images | AUC | balanced acc. | coverage | share 1 / -1 | precision 1 / -1 (nested) | lowest source, nested 1 / -1 | shipped |")
    print("|---|---|---:|---:|---:|---:|---|---|---|---|")
    for r in report:
        srcs = by_attr.get(r["attribute"], [])
        names = ", ".join(f"{s['source']} {s['positives'] + s['negatives']:,}" for s in srcs)
        n = (r["positives"] or 0) + (r["negatives"] or 0)
        shipped = "yes" if r["shipped"] else f"no: {r['reason']}"
        if r["shipped"] and r.get("band_per_source") is False:
            shipped = "yes (band pooled)"
        worst = f"{worst_source(srcs, 'pos')} / {worst_source(srcs, 'neg')}"
        share = side_shares(r, probs.get(r["attribute"], []))
        print(f"| {r['attribute']} | {names} | {n:,} | {f3(r['auc'])} | {f3(r['balanced_accuracy'])} | "
              f"{f3(r['coverage'])} | {share} | {f3(r['precision_pos'])} / {f3(r['precision_neg'])} "
              f"({f3(r['nested_precision_pos'])} / {f3(r['nested_precision_neg'])}) | {worst} | {shipped} |")
    print(f"\nShipped: {sum(1 for r in report if r['shipped'])} of {len(report)}")


if __name__ == "__main__":
    main()
