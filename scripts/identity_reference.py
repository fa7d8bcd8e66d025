#!/usr/bin/env python3
"""Reference values for identity_stats and nearest_faces, computed with numpy.

Writes tests/fixtures/identity_faces.parquet (seeded clustered 128-d face embeddings, L2-normalised,
FixedSizeList<float32>(128) like `macsql annotate`'s column, with NULL embeddings and identities)
and tests/slt/functions_identity_reference.slt, which checks that macsql agrees with numpy to 1e-6.

Run from the repository root (pyarrow writes the fixture; numpy does the maths):

    python3 -m venv /tmp/ident-venv && /tmp/ident-venv/bin/pip install numpy pyarrow
    /tmp/ident-venv/bin/python scripts/identity_reference.py

Datasets (identities in a narrow cone, as dlib's descriptors are: impostor similarity ~0.85):
  * tight: 24 identities, 3-5 faces each, little spread within an identity;
  * loose: 20 identities, 2-5 faces each, much spread;
  * mixed: 24 identities, 1-5 faces (singletons among them), three identities made near copies of
    others (uniqueness < 1), three rows without a face and one without an identity.

Conventions mirrored from macsql (README function reference):
  * identity_stats is called with pairs=1000000, more than any dataset has, so every genuine and
    every impostor pair is used (no sampling to mirror);
  * cosine similarity in float64 of the stored float32 values;
  * a pair is accepted when its score is strictly above the threshold; EER: over every distinct
    score t, the smallest t minimising |FAR - FRR| (compared in integers), EER = (FAR + FRR) / 2;
    TAR at FAR 1e-3: threshold = the (m+1)-th highest impostor score, m = impostors // 1000;
  * standard deviations are population ones (ddof = 0); d' = |mu_g - mu_i| / sqrt((var_g + var_i) / 2);
  * uniqueness / consistency (DCFace) at threshold 0.92 over class means of unit vectors,
    renormalised; identities in text order; consistency over identities with >= 2 faces;
  * nearest_faces: an embedding literal is read as float32; exclude_self leaves out the query's path.
"""

import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = "tests/fixtures/identity_faces.parquet"
SLT = os.path.join(ROOT, "tests", "slt", "functions_identity_reference.slt")
DIM = 128
THRESHOLD = 0.92
TOL = 1e-6
rng = np.random.default_rng(20261206)


def unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


CONE = unit(rng.normal(size=DIM))


def make_dataset(name, identities, sizes, id_sigma, face_sigma, copies=0):
    centres = unit(CONE + rng.normal(scale=id_sigma, size=(identities, DIM)))
    # Near copies: the last `copies` identities sit next to the first ones.
    for c in range(copies):
        centres[identities - 1 - c] = unit(centres[c] + rng.normal(scale=0.004, size=DIM))
    rows = []
    for k in range(identities):
        n = int(rng.integers(sizes[0], sizes[1] + 1))
        faces = unit(centres[k] + rng.normal(scale=face_sigma, size=(n, DIM)))
        for j, f in enumerate(faces):
            rows.append((name, f"{name}_{k:02d}", f"{name}/{name}_{k:02d}/{j}.jpg", f.astype(np.float32)))
    return rows


rows = (
    make_dataset("tight", 24, (3, 5), 0.037, 0.018)
    + make_dataset("loose", 20, (2, 5), 0.037, 0.045)
    + make_dataset("mixed", 24, (1, 5), 0.037, 0.025, copies=3)
)
# Rows macsql leaves out: no face (NULL embedding) and no identity.
rows += [("mixed", "mixed_00", f"mixed/mixed_00/noface{j}.jpg", None) for j in range(3)]
rows.append(("mixed", None, "mixed/unknown/0.jpg", unit(CONE + rng.normal(scale=0.04, size=DIM)).astype(np.float32)))
order = rng.permutation(len(rows))
rows = [rows[i] for i in order]

table = pa.table(
    {
        "dataset": pa.array([r[0] for r in rows], pa.string()),
        "identity": pa.array([r[1] for r in rows], pa.string()),
        "path": pa.array([r[2] for r in rows], pa.string()),
        "embedding": pa.array(
            [None if r[3] is None else r[3].tolist() for r in rows], pa.list_(pa.float32(), DIM)
        ),
    }
)
pq.write_table(table, os.path.join(ROOT, FIXTURE), compression="zstd")


def cos(a, b):
    a, b = a.astype(np.float64), b.astype(np.float64)
    return float(a @ b / np.sqrt((a @ a) * (b @ b)))


def eer(gen, imp):
    gen, imp = np.sort(gen), np.sort(imp)
    ng, ni = len(gen), len(imp)
    ts = np.unique(np.concatenate([gen, imp]))
    fr = np.searchsorted(gen, ts, side="right").astype(np.int64)
    fa = ni - np.searchsorted(imp, ts, side="right").astype(np.int64)
    gap = np.abs(fa * ng - fr * ni)
    i = int(np.argmin(gap))  # first = smallest threshold on ties
    return (fa[i] / ni + fr[i] / ng) / 2, float(ts[i])


def tar_at_far(gen, imp):
    imp = np.sort(imp)
    m = len(imp) // 1000
    t = float(imp[len(imp) - 1 - m])
    return float(np.mean(np.asarray(gen) > t)), t


def identity_stats(name):
    faces = [r for r in rows if r[0] == name]
    no_face = sum(1 for r in faces if r[3] is None)
    no_identity = sum(1 for r in faces if r[3] is not None and r[1] is None)
    groups = {}
    for r in faces:
        if r[3] is not None and r[1] is not None:
            groups.setdefault(r[1], []).append(r[3])
    ids = sorted(groups)
    sizes = np.array([len(groups[i]) for i in ids])
    gen, imp = [], []
    flat = [(k, e) for k, i in enumerate(ids) for e in groups[i]]
    for a in range(len(flat)):
        for b in range(a + 1, len(flat)):
            (ka, ea), (kb, eb) = flat[a], flat[b]
            if ka == kb:
                if sizes[ka] >= 2:
                    gen.append(cos(ea, eb))
            else:
                imp.append(cos(ea, eb))
    gen, imp = np.array(gen), np.array(imp)
    d = abs(gen.mean() - imp.mean()) / np.sqrt((gen.var() + imp.var()) / 2)
    e, et = eer(gen, imp)
    t, tt = tar_at_far(gen, imp)
    means = []
    for i in ids:
        u = unit(np.array(groups[i], dtype=np.float64))
        means.append(unit(u.mean(axis=0)))
    kept = []
    for m in means:
        if all(m @ k < THRESHOLD for k in kept):
            kept.append(m)
    shares = []
    for i, m in zip(ids, means):
        if len(groups[i]) >= 2:
            u = unit(np.array(groups[i], dtype=np.float64))
            shares.append(np.mean(u @ m > THRESHOLD))
    counts = dict(
        identities=len(ids),
        images=int(sizes.sum()),
        no_face=no_face,
        no_identity=no_identity,
        singletons=int((sizes == 1).sum()),
        images_per_identity_min=int(sizes.min()),
        images_per_identity_max=int(sizes.max()),
        genuine_pairs=len(gen),
        impostor_pairs=len(imp),
    )
    figures = dict(
        images_per_identity_mean=float(sizes.mean()),
        images_per_identity_median=float(np.median(sizes)),
        genuine_mean=gen.mean(),
        genuine_std=gen.std(),
        impostor_mean=imp.mean(),
        impostor_std=imp.std(),
        d_prime=d,
        eer=e,
        eer_threshold=et,
        tar_at_far_1e3=t,
        tar_threshold=tt,
        uniqueness=len(kept) / len(means),
        consistency=float(np.mean(shares)),
    )
    return counts, figures


def nearest(query, k, skip=None):
    """(path, similarity) of the k faces of the whole table most similar to `query`."""
    scored = [
        (cos(query, r[3]), r[2]) for r in rows if r[3] is not None and (skip is None or r[2] != skip)
    ]
    scored.sort(key=lambda s: -s[0])
    return scored[:k]


def literal(v):
    return "[" + ", ".join(repr(float(x)) for x in v) + "]"


out = [
    "# Generated by scripts/identity_reference.py from numpy %s: do not edit by hand." % np.__version__,
    "# identity_stats and nearest_faces must agree with numpy to %g (true = agrees) on" % TOL,
    "# %s (3 datasets of clustered 128-d embeddings)." % FIXTURE,
    "",
    "statement ok",
    "CREATE TABLE faces AS SELECT * FROM '%s'" % FIXTURE,
    "",
]
for name in ["loose", "mixed", "tight"]:
    counts, figures = identity_stats(name)
    out.append(
        "# %s: genuine %.4f, impostor %.4f, d' %.3f, EER %.4f, TAR@FAR=1e-3 %.4f, uniqueness %.4f, consistency %.4f"
        % (
            name,
            figures["genuine_mean"],
            figures["impostor_mean"],
            figures["d_prime"],
            figures["eer"],
            figures["tar_at_far_1e3"],
            figures["uniqueness"],
            figures["consistency"],
        )
    )
    cols = list(counts) + ["abs(%s - %r) <= %g" % (f, float(v), TOL) for f, v in figures.items()]
    out.append("query " + "I" * len(counts) + "?" * len(figures))
    out.append(
        "SELECT %s FROM identity_stats('faces', 'dataset', 'identity', 'pairs=1000000') WHERE dataset = '%s'"
        % (", ".join(cols), name)
    )
    out.append("----")
    out.append(" ".join(str(v) for v in counts.values()) + " true" * len(figures))
    out.append("")

# nearest_faces: a literal (a new face near a `tight` identity), a path, and a query of three rows.
probe = unit(rows[0][3].astype(np.float64) + rng.normal(scale=0.01, size=DIM)).astype(np.float32)
path_query = next(r[2] for r in rows if r[0] == "mixed" and r[3] is not None and r[1] is not None)
select_rows = sorted((r for r in rows if r[0] == "loose"), key=lambda r: r[2])[:3]
cases = [
    ("literal", literal(probe), [nearest(probe, 5)], None),
    ("path", "'%s'" % path_query, [nearest(next(r[3] for r in rows if r[2] == path_query), 5, path_query)], path_query),
    (
        "select",
        "'SELECT path, embedding FROM faces WHERE dataset = ''loose'' ORDER BY path LIMIT 3'",
        [nearest(r[3], 4, r[2]) for r in select_rows],
        None,
    ),
]
for label, arg, results, _ in cases:
    k = len(results[0])
    refs = ", ".join(
        "(%d, %d, %r)" % (q + 1, rank + 1, s) for q, res in enumerate(results) for rank, (s, _) in enumerate(res)
    )
    out.append("# nearest_faces, query %s: the %d nearest faces and their similarity." % (label, k))
    out.append("query IIT?")
    out.append(
        "SELECT n.query, n.rank, n.path, abs(n.similarity - r.s) <= %g AND abs(n.distance - sqrt(2 - 2 * r.s)) <= %g "
        "FROM nearest_faces('faces', %s, %d) n JOIN (VALUES %s) AS r(q, k, s) ON n.query = r.q AND n.rank = r.k ORDER BY 1, 2"
        % (TOL, TOL, arg, k, refs)
    )
    out.append("----")
    for q, res in enumerate(results):
        for rank, (_, p) in enumerate(res):
            out.append("%d %d %s true" % (q + 1, rank + 1, p))
    out.append("")

with open(SLT, "w") as f:
    f.write("\n".join(out))
print("wrote", FIXTURE, os.path.getsize(os.path.join(ROOT, FIXTURE)), "bytes and", SLT)
for name in ["loose", "mixed", "tight"]:
    print(name, identity_stats(name))
