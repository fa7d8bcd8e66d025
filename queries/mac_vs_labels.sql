-- How far can the default MAC be trusted? Per attribute, agreement of its labels with the
-- Face API labels of FFHQ images and the human labels of FairFace images, on the same images;
-- and the error of its age estimate against the Face API's.
--
-- Run from the project root (images and labels are read from ../shared/data, relative to it):
--   macsql annotate ../shared/data/images/real/ffhq --dataset FFHQ --kind real -o target/imports/mac_ffhq.parquet
--   macsql annotate ../shared/data/images/real/fairface --dataset FairFace --kind real -o target/imports/mac_fairface.parquet
--   macsql import --format faceapi ../shared/data/annotations/ffhq_faceapi.csv --dataset FFHQ --kind real -o target/imports/ffhq.parquet
--   macsql import --format fairface ../shared/data/annotations/fairface_val_1000.csv --dataset FairFace --kind real -o target/imports/fairface_val_1000.parquet
--   macsql --data mac_ffhq=target/imports/mac_ffhq.parquet --data ffhq=target/imports/ffhq.parquet \
--          --data mac_fairface=target/imports/mac_fairface.parquet --data fairface=target/imports/fairface_val_1000.parquet \
--          -f queries/mac_vs_labels.sql
-- Images are matched by file name without folder and extension (FFHQ: 00012.jpg = id 00012;
-- FairFace: 1.jpg). The attributes are those the default MAC bundle (models/mac.toml) and the
-- reference share; a bundle with more attributes needs one more line per attribute below.
--
-- Columns: images matched; share each side leaves undefined (0); over images both label,
-- agreement (same label) and Cohen's kappa (agreement beyond chance: 1 perfect, 0 chance);
-- MAC's and the reference's positive rates on those images.

-- Each table keyed by image file name without folder and extension.
CREATE OR REPLACE TABLE mac_ffhq_k AS SELECT regexp_replace(regexp_replace(path, '^.*/', ''), '[.][A-Za-z]+$', '') AS image_key, * FROM mac_ffhq;
CREATE OR REPLACE TABLE ffhq_k AS SELECT regexp_replace(regexp_replace(path, '^.*/', ''), '[.][A-Za-z]+$', '') AS image_key, * FROM ffhq;
CREATE OR REPLACE TABLE mac_fairface_k AS SELECT regexp_replace(regexp_replace(path, '^.*/', ''), '[.][A-Za-z]+$', '') AS image_key, * FROM mac_fairface;
CREATE OR REPLACE TABLE fairface_k AS SELECT regexp_replace(regexp_replace(path, '^.*/', ''), '[.][A-Za-z]+$', '') AS image_key, * FROM fairface;

CREATE OR REPLACE TABLE mac_pairs AS
  SELECT 'FFHQ Face API' AS reference, 1 AS attr_no, 'Male' AS attribute, m.Male AS mac, r.Male AS ref FROM mac_ffhq_k m JOIN ffhq_k r ON m.image_key = r.image_key
  UNION ALL SELECT 'FFHQ Face API' AS reference, 2 AS attr_no, 'Young' AS attribute, m.Young AS mac, r.Young AS ref FROM mac_ffhq_k m JOIN ffhq_k r ON m.image_key = r.image_key
  UNION ALL SELECT 'FFHQ Face API' AS reference, 3 AS attr_no, 'Middle_Aged' AS attribute, m.Middle_Aged AS mac, r.Middle_Aged AS ref FROM mac_ffhq_k m JOIN ffhq_k r ON m.image_key = r.image_key
  UNION ALL SELECT 'FFHQ Face API' AS reference, 4 AS attr_no, 'Senior' AS attribute, m.Senior AS mac, r.Senior AS ref FROM mac_ffhq_k m JOIN ffhq_k r ON m.image_key = r.image_key
  UNION ALL SELECT 'FFHQ Face API' AS reference, 5 AS attr_no, 'Smiling' AS attribute, m.Smiling AS mac, r.Smiling AS ref FROM mac_ffhq_k m JOIN ffhq_k r ON m.image_key = r.image_key
  UNION ALL SELECT 'FairFace human' AS reference, 1 AS attr_no, 'Male' AS attribute, m.Male AS mac, r.Male AS ref FROM mac_fairface_k m JOIN fairface_k r ON m.image_key = r.image_key
  UNION ALL SELECT 'FairFace human' AS reference, 2 AS attr_no, 'Young' AS attribute, m.Young AS mac, r.Young AS ref FROM mac_fairface_k m JOIN fairface_k r ON m.image_key = r.image_key
  UNION ALL SELECT 'FairFace human' AS reference, 3 AS attr_no, 'Middle_Aged' AS attribute, m.Middle_Aged AS mac, r.Middle_Aged AS ref FROM mac_fairface_k m JOIN fairface_k r ON m.image_key = r.image_key
  UNION ALL SELECT 'FairFace human' AS reference, 4 AS attr_no, 'Senior' AS attribute, m.Senior AS mac, r.Senior AS ref FROM mac_fairface_k m JOIN fairface_k r ON m.image_key = r.image_key;

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
    SELECT reference, attr_no, attribute, count(*) AS images,
           sum(CASE WHEN mac = 0 THEN 1 ELSE 0 END) AS mac_undefined,
           sum(CASE WHEN ref = 0 THEN 1 ELSE 0 END) AS ref_undefined,
           sum(CASE WHEN mac <> 0 AND ref <> 0 THEN 1 ELSE 0 END) AS both_defined,
           sum(CASE WHEN mac <> 0 AND mac = ref THEN 1 ELSE 0 END) AS agree,
           sum(CASE WHEN mac = 1 AND ref <> 0 THEN 1 ELSE 0 END) AS mac_pos,
           sum(CASE WHEN ref = 1 AND mac <> 0 THEN 1 ELSE 0 END) AS ref_pos
    FROM mac_pairs GROUP BY reference, attr_no, attribute))
ORDER BY reference, attr_no;

-- 2. Age in years against the Face API's estimate on FFHQ: mean error (bias), mean absolute
--    error, and the share within 10 years.
SELECT count(*) AS images,
       round(avg(m.age - r.age), 2) AS mean_error_years,
       round(avg(abs(m.age - r.age)), 2) AS mean_abs_error_years,
       round(100.0 * avg(CASE WHEN abs(m.age - r.age) <= 10 THEN 1.0 ELSE 0.0 END), 1) AS pct_within_10_years
FROM mac_ffhq_k m JOIN ffhq_k r ON m.image_key = r.image_key
WHERE m.age IS NOT NULL AND r.age IS NOT NULL;
