#!/usr/bin/env python3
"""Writes queries/mac_vs_labels.sql for the attributes of models/mac.toml.

    python3 scripts/mac_vs_labels.py            # after scripts/train_default.sh changed the bundle

Per reference and attribute, the pairs (MAC label, reference label) of the same images, for every
attribute the bundle labels: the four label sources the heads were trained on, mapped onto MAAD
names by scripts/default_labels.sql (target/labels/*.csv): LFW (LFWA+), CelebA (31 of the 32 images of
images/real/celeba are in celeba_small), FFHQ (Face API) and FairFace. Every one of these images
was seen in training, so agreement here is in-sample: it checks that the bundle's labels mean
what the sources mean; the held-out, person-grouped figures are in models/mac-report.md.
"""
import csv
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# (reference name, MAC table, labels file, folder of its images under ../shared/data/images)
SOURCES = [("LFW (LFWA+)", "mac_lfw", "lfw", "real/lfw"),
           ("CelebA", "mac_celeba", "celeba", "real/celeba"),
           ("FFHQ Face API", "mac_ffhq", "ffhq", "real/ffhq"),
           ("FairFace", "mac_fairface", "fairface", "real/fairface")]

HEADER = """-- How far can the default MAC be trusted? Per attribute, agreement of its labels with the
-- reference labels of the same images: the four label sources its heads were trained on, mapped
-- onto MAAD names by scripts/default_labels.sql (LFW with LFWA+ labels, CelebA's own labels of
-- the 32 images of images/real/celeba (31 of them are in celeba_small, whose labels the heads
-- learned), FFHQ's Face API labels, FairFace's labels). All these images
-- were seen in training, so the agreement is in-sample: it shows that each label means what the
-- source means. The held-out figures (folds by person) are in models/mac-report.md. Written by
-- scripts/mac_vs_labels.py for the attributes of models/mac.toml.
--
-- Run from the project root (images and labels are read from ../shared/data, relative to it):
--   scripts/train_default.sh labels    # only the label tables target/labels/*.csv (no training)
{annotate}
--   macsql {data} -f queries/mac_vs_labels.sql
-- Images are matched by file name without folder and extension (LFW Aaron_Eckhart_0001,
-- CelebA 000001, FFHQ 00012, FairFace 1).
--
-- Columns: images matched; share each side leaves undefined (0); over images both label,
-- agreement (same label) and Cohen's kappa (agreement beyond chance: 1 perfect, 0 chance);
-- MAC's and the reference's positive rates on those images.

-- The label tables, every column typed (a CSV whose first rows leave a column empty would
-- otherwise be read as a column of NULLs).
{tables}
-- Each table keyed by image file name without folder and extension.
{keys}
"""

FOOTER = """
-- 1. Agreement per attribute.
SELECT reference, attribute, images,
       round(100.0 * mac_undefined / images, 1) AS mac_pct_undefined,
       round(100.0 * ref_undefined / images, 1) AS ref_pct_undefined,
       both_defined,
       round(100.0 * agree / nullif(both_defined, 0), 1) AS pct_agree,
       round((agree * 1.0 / both_defined - chance) / nullif(1 - chance, 0), 3) AS kappa,
       round(100.0 * mac_pos / nullif(both_defined, 0), 1) AS mac_pct_pos,
       round(100.0 * ref_pos / nullif(both_defined, 0), 1) AS ref_pct_pos
FROM (
  SELECT *, (mac_pos * ref_pos + (both_defined - mac_pos) * (both_defined - ref_pos)) * 1.0
            / nullif(both_defined * both_defined, 0) AS chance
  FROM (
    SELECT reference, ref_no, attr_no, attribute, count(*) AS images,
           sum(CASE WHEN mac = 0 THEN 1 ELSE 0 END) AS mac_undefined,
           sum(CASE WHEN ref = 0 THEN 1 ELSE 0 END) AS ref_undefined,
           sum(CASE WHEN mac <> 0 AND ref <> 0 THEN 1 ELSE 0 END) AS both_defined,
           sum(CASE WHEN mac <> 0 AND mac = ref THEN 1 ELSE 0 END) AS agree,
           sum(CASE WHEN mac = 1 AND ref <> 0 THEN 1 ELSE 0 END) AS mac_pos,
           sum(CASE WHEN ref = 1 AND mac <> 0 THEN 1 ELSE 0 END) AS ref_pos
    FROM mac_pairs GROUP BY reference, ref_no, attr_no, attribute))
ORDER BY ref_no, attr_no;

-- 2. Age: the MAC's estimate against the Face API's on FFHQ.
SELECT count(*) AS images,
       round(avg(abs(m.age - f.age)), 2) AS mean_abs_error_years,
       round(avg(m.age - f.age), 2) AS mean_error_years
FROM mac_ffhq_k m
JOIN (SELECT lpad(CAST(image AS VARCHAR), 5, '0') AS image_key, age FROM ffhq_faceapi) f
  ON m.image_key = f.image_key
WHERE m.age IS NOT NULL;
"""


def key(table: str) -> str:
    return (f"CREATE OR REPLACE TABLE {table}_k AS SELECT regexp_replace(regexp_replace(path, '^.*/', ''), "
            f"'[.][A-Za-z]+$', '') AS image_key, * FROM {table};")


def main():
    bundle = tomllib.loads((ROOT / "models" / "mac.toml").read_text())
    shipped = [a["name"] for a in bundle["attribute"] if "band" in a]
    annotate, data, tables, keys, lines = [], [], [], [], []
    for r, (name, mac, labels, folder) in enumerate(SOURCES, 1):
        path = ROOT / "target" / "labels" / f"{labels}.csv"
        with open(path, newline="") as f:
            header = next(csv.reader(f))
        have = [c for c in header if c not in ("path", "person")]
        columns = ", ".join(f'"{c}" INT' for c in have)
        tables.append(f"CREATE EXTERNAL TABLE IF NOT EXISTS {labels}_labels (path VARCHAR, person VARCHAR, {columns})\n"
                      f"  STORED AS CSV LOCATION 'target/labels/{labels}.csv' OPTIONS ('format.has_header' 'true');")
        keys += [key(mac), key(f"{labels}_labels")]
        annotate.append(f"--   macsql annotate ../shared/data/images/{folder} --dataset {labels} --kind real "
                        f"-o target/imports/{mac}.parquet")
        data.append(f"--data {mac}=target/imports/{mac}.parquet")
        for k, a in enumerate(shipped, 1):
            if a not in have:
                continue
            lines.append(f"SELECT '{name}' AS reference, {r} AS ref_no, {k} AS attr_no, '{a}' AS attribute, "
                         f"coalesce(m.\"{a}\", 0) AS mac, coalesce(x.\"{a}\", 0) AS ref "
                         f"FROM {mac}_k m JOIN {labels}_labels_k x ON m.image_key = x.image_key")
    covered = {line.split("'")[3] for line in lines}
    missing = [a for a in shipped if a not in covered]
    if missing:
        raise SystemExit(f"no reference labels {', '.join(missing)}")
    sql = (HEADER.replace("{annotate}", "\n".join(annotate))
           .replace("{data}", " ".join(data) + " --data ../shared/data/annotations/ffhq_faceapi.csv")
           .replace("{tables}", "\n".join(tables))
           .replace("{keys}", "\n".join(keys)))
    sql += "\nCREATE OR REPLACE TABLE mac_pairs AS\n  " + "\n  UNION ALL ".join(lines) + ";\n" + FOOTER
    (ROOT / "queries" / "mac_vs_labels.sql").write_text(sql)
    print(f"queries/mac_vs_labels.sql: {len(shipped)} attributes, {len(lines)} pairs")


if __name__ == "__main__":
    main()
