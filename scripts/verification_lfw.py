#!/usr/bin/env python3
"""Which backbone's descriptor verifies faces better: dlib's ResNet (128-d) or faceres (1024-d
global pooling)? Measured on LFW same / different person pairs.

Reads the features `macsql train --features` kept for the default bundle's training run
(target/labels/features.parquet, written by scripts/train_default.sh: one row per image with the
feature vector of the bundle's blocks `faceres 1024, dlib 128, emotion 128, regions 483`), takes
the LFW images (the person is the folder), and scores every same-person pair (people with two
or more images) and a seeded sample of 200,000 different-person pairs by cosine similarity of
L2-normalised descriptors. Prints ROC AUC, EER and TAR at FAR 1e-3 / 1e-4 per backbone.

    python3 -m venv /tmp/verif-venv && /tmp/verif-venv/bin/pip install numpy pyarrow
    /tmp/verif-venv/bin/python scripts/verification_lfw.py [target/labels/features.parquet]
"""

import sys

import numpy as np
import pyarrow.parquet as pq

path = sys.argv[1] if len(sys.argv) > 1 else "target/labels/features.parquet"
t = pq.read_table(path)
layout = t.schema.metadata[b"macsql.feature_layout"].decode()
blocks, start = {}, 0
for part in layout.split(", "):
    name, width = part.rsplit(" ", 1)
    blocks[name] = (start, start + int(width))
    start += int(width)
paths = t.column("path").to_pylist()
face = np.array(t.column("face").to_pylist())
keep = [i for i, p in enumerate(paths) if "/real/lfw/" in p and face[i]]
person = np.array([paths[i].split("/")[-2] for i in keep])
feats = np.array(t.column("features").take(keep).to_pylist(), dtype=np.float64)
print(f"{len(keep)} LFW images with a face, {len(set(person))} people")

_, pid = np.unique(person, return_inverse=True)
genuine = [(i, j) for i in range(len(pid)) for j in range(i + 1, len(pid)) if pid[i] == pid[j]] if len(pid) < 3000 else None
if genuine is None:
    order = np.argsort(pid, kind="stable")
    genuine = []
    s = 0
    while s < len(order):
        e = s
        while e < len(order) and pid[order[e]] == pid[order[s]]:
            e += 1
        members = order[s:e]
        genuine += [(members[a], members[b]) for a in range(len(members)) for b in range(a + 1, len(members))]
        s = e
genuine = np.array(genuine)
rng = np.random.default_rng(42)
a = rng.integers(0, len(pid), 400_000)
b = rng.integers(0, len(pid), 400_000)
ok = pid[a] != pid[b]
impostor = np.stack([a[ok], b[ok]], 1)[:200_000]
print(f"{len(genuine)} same-person pairs, {len(impostor)} different-person pairs")


def figures(x):
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    g = np.einsum("ij,ij->i", x[genuine[:, 0]], x[genuine[:, 1]])
    i = np.einsum("ij,ij->i", x[impostor[:, 0]], x[impostor[:, 1]])
    scores = np.concatenate([g, i])
    labels = np.concatenate([np.ones_like(g), np.zeros_like(i)])
    order = np.argsort(-scores, kind="stable")
    tp = np.cumsum(labels[order]) / len(g)
    fp = np.cumsum(1 - labels[order]) / len(i)
    auc = np.trapezoid(tp, fp)
    eer_k = np.argmin(np.abs((1 - tp) - fp))
    eer = ((1 - tp[eer_k]) + fp[eer_k]) / 2
    tar = lambda far: tp[np.searchsorted(fp, far, side="right") - 1]
    d = abs(g.mean() - i.mean()) / np.sqrt((g.var() + i.var()) / 2)
    return auc, eer, tar(1e-3), tar(1e-4), d


print("| descriptor | dims | AUC | EER | TAR @ FAR 1e-3 | TAR @ FAR 1e-4 | d' |")
print("|---|---:|---:|---:|---:|---:|---:|")
for name in ("dlib", "faceres"):
    lo, hi = blocks[name]
    auc, eer, t3, t4, d = figures(feats[:, lo:hi])
    print(f"| {name} | {hi - lo} | {auc:.4f} | {eer:.4f} | {t3:.4f} | {t4:.4f} | {d:.2f} |")
