#!/usr/bin/env python3
"""Writes queries/mac_vs_labels.sql for the attributes of models/mac.toml.

    python3 scripts/mac_vs_labels.py            # after scripts/train_default.sh changed the bundle

Per reference and attribute, the pairs (MAC label, reference label) of the same images: FFHQ's
Face API labels and FairFace's labels as the heads were trained on (scripts/default_labels.sql:
the images the heads saw, so agreement there is in-sample) and CelebA's own labels of the 32
shared CelebA images, which no head was trained on (the cross-dataset check).
"""
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FFHQ = ["Male", "Young", "Middle_Aged", "Senior", "Smiling", "Eyeglasses", "No_Eyewear", "No_Beard",
        "Mustache", "Sideburns", "5_o_Clock_Shadow", "Bald", "Receding_Hairline", "Black_Hair",
        "Brown_Hair", "Blond_Hair", "Gray_Hair", "Heavy_Makeup", "Wearing_Lipstick", "Wearing_Hat"]
FAIRFACE = ["Male", "Young", "Middle_Aged", "Senior", "Asian", "White", "Black"]
CELEBA = ["Male", "Young", "Smiling", "Eyeglasses", "No_Beard", "Mustache", "Sideburns",
          "5_o_Clock_Shadow", "Bald", "Receding_Hairline", "Black_Hair", "Brown_Hair", "Blond_Hair",
          "Gray_Hair", "Heavy_Makeup", "Wearing_Lipstick", "Wearing_Hat"]
LABEL_COLUMNS = ["Male", "Young", "Middle_Aged", "Senior", "Smiling", "Asian", "White", "Black",
                 "Eyeglasses", "No_Eyewear", "No_Beard", "Mustache", "Sideburns", "5_o_Clock_Shadow",
                 "Bald", "Receding_Hairline", "Black_Hair", "Brown_Hair", "Blond_Hair", "Gray_Hair",
                 "Heavy_Makeup", "Wearing_Lipstick", "Wearing_Hat"]

HEADER = """-- How far can the default MAC be trusted? Per attribute, agreement of its labels with reference
-- labels of the same images: the FFHQ Face API labels and the FairFace labels the heads were
-- trained on (scripts/default_labels.sql; in-sample for the learned attributes: their held-out,
-- cross-validated figures are in models/mac-report.md) and CelebA's own labels of the 32 shared
-- CelebA images, which no head saw (a cross-dataset check). Written by scripts/mac_vs_labels.py
-- for the attributes of models/mac.toml.
--
-- Run from the project root (images and labels are read from ../shared/data, relative to it):
--   macsql annotate ../shared/data/images/real/ffhq --dataset FFHQ --kind real -o target/imports/mac_ffhq.parquet
--   macsql annotate ../shared/data/images/real/fairface --dataset FairFace --kind real -o target/imports/mac_fairface.parquet
--   macsql annotate ../shared/data/images/real/celeba --dataset CelebA --kind real -o target/imports/mac_celeba.parquet
--   macsql --data ../shared/data/annotations/ffhq_faceapi.csv --data ../shared/data/annotations/fairface_val_1000.csv -f scripts/default_labels.sql
--   macsql import --format celeba ../shared/data/annotations/celeba_list_attr.txt --dataset CelebA --kind real -o target/imports/celeba.parquet
--   macsql --data mac_ffhq=target/imports/mac_ffhq.parquet --data mac_fairface=target/imports/mac_fairface.parquet \\
--          --data mac_celeba=target/imports/mac_celeba.parquet --data celeba=target/imports/celeba.parquet \\
--          --data ../shared/data/annotations/ffhq_faceapi.csv -f queries/mac_vs_labels.sql
-- Images are matched by file name without folder and extension (FFHQ 00012.jpg, FairFace 1.jpg,
-- CelebA 000001.jpg).
--
-- Columns: images matched; share each side leaves undefined (0); over images both label,
-- agreement (same label) and Cohen's kappa (agreement beyond chance: 1 perfect, 0 chance);
-- MAC's and the reference's positive rates on those images.

-- The training labels, every column typed (a CSV whose first rows leave a column empty would
-- otherwise be read as a column of NULLs).
CREATE EXTERNAL TABLE IF NOT EXISTS labels (path VARCHAR, {columns})
  STORED AS CSV LOCATION 'target/default-labels.csv' OPTIONS ('format.has_header' 'true');

-- Each table keyed by image file name without folder and extension.
CREATE OR REPLACE TABLE mac_ffhq_k AS SELECT regexp_replace(regexp_replace(path, '^.*/', ''), '[.][A-Za-z]+$', '') AS image_key, * FROM mac_ffhq;
CREATE OR REPLACE TABLE mac_fairface_k AS SELECT regexp_replace(regexp_replace(path, '^.*/', ''), '[.][A-Za-z]+$', '') AS image_key, * FROM mac_fairface;
CREATE OR REPLACE TABLE mac_celeba_k AS SELECT regexp_replace(regexp_replace(path, '^.*/', ''), '[.][A-Za-z]+$', '') AS image_key, * FROM mac_celeba;
CREATE OR REPLACE TABLE ffhq_k AS SELECT regexp_replace(regexp_replace(path, '^.*/', ''), '[.][A-Za-z]+$', '') AS image_key, * FROM labels WHERE path LIKE '%/ffhq/%';
CREATE OR REPLACE TABLE fairface_k AS SELECT regexp_replace(regexp_replace(path, '^.*/', ''), '[.][A-Za-z]+$', '') AS image_key, * FROM labels WHERE path LIKE '%/fairface/%';
CREATE OR REPLACE TABLE celeba_k AS SELECT regexp_replace(regexp_replace(path, '^.*/', ''), '[.][A-Za-z]+$', '') AS image_key, * FROM celeba;
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


def main():
    bundle = tomllib.loads((ROOT / "models" / "mac.toml").read_text())
    shipped = [a["name"] for a in bundle["attribute"] if a["name"] != "age"]
    refs = [("FFHQ Face API (trained on)", "mac_ffhq_k", "ffhq_k", FFHQ),
            ("FairFace (trained on)", "mac_fairface_k", "fairface_k", FAIRFACE),
            ("CelebA (never trained on)", "mac_celeba_k", "celeba_k", CELEBA)]
    lines = []
    for r, (name, mac, ref, have) in enumerate(refs, 1):
        for k, a in enumerate(shipped, 1):
            if a not in have:
                continue
            lines.append(f"SELECT '{name}' AS reference, {r} AS ref_no, {k} AS attr_no, '{a}' AS attribute, "
                         f"coalesce(m.\"{a}\", 0) AS mac, coalesce(CAST(x.\"{a}\" AS INT), 0) AS ref "
                         f"FROM {mac} m JOIN {ref} x ON m.image_key = x.image_key")
    columns = ", ".join(f'"{c}" INT' for c in LABEL_COLUMNS)
    sql = HEADER.replace("{columns}", columns)
    sql += "\nCREATE OR REPLACE TABLE mac_pairs AS\n  " + "\n  UNION ALL ".join(lines) + ";\n" + FOOTER
    (ROOT / "queries" / "mac_vs_labels.sql").write_text(sql)
    print(f"queries/mac_vs_labels.sql: {len(shipped)} attributes, {len(lines)} pairs")


if __name__ == "__main__":
    main()
