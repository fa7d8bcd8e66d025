-- FFHQ (real photos) against StyleFlow (StyleGAN2 trained on FFHQ), labelled by the same
-- Microsoft Face API: for every attribute the two tables share, KL in both directions, JS, the
-- undefined rates, and which direction is larger; then the same for age.
--
-- Run from the project root (the inputs are read from ../shared/data, relative to it):
--   macsql import --format faceapi ../shared/data/annotations/ffhq_faceapi.csv --dataset FFHQ --kind real -o target/imports/ffhq.parquet
--   macsql import --format styleflow ../shared/data/annotations/styleflow_stylegan2_faceapi.csv --dataset StyleFlow --kind synthetic -o target/imports/styleflow.parquet
--   macsql --data ffhq=target/imports/ffhq.parquet --data styleflow=target/imports/styleflow.parquet -f queries/ffhq_vs_styleflow.sql
-- Any real / synthetic pair of annotation tables with these columns works the same way (e.g.
-- `macsql annotate` output): register them as ffhq and styleflow.
--
-- Divergences are in nats over the label values present in either table, with Lidstone
-- smoothing kl_div(p, q, 0.5); `gap` marks a value the synthetic table never shows (there the
-- unsmoothed KL(real || synthetic) is infinite).

CREATE OR REPLACE TABLE fs_hist AS
SELECT dataset, kind, unnest(range(1, 10)) AS attr_no,
       unnest(['Male', 'Young', 'Middle_Aged', 'Senior', 'Smiling', 'Eyeglasses', 'No_Eyewear', 'No_Beard', 'Bald']) AS attribute,
       unnest([h1, h2, h3, h4, h5, h6, h7, h8, h9]) AS hist
FROM (
  SELECT dataset, kind,
         attr_hist(Male) AS h1,
         attr_hist(Young) AS h2,
         attr_hist(Middle_Aged) AS h3,
         attr_hist(Senior) AS h4,
         attr_hist(Smiling) AS h5,
         attr_hist(Eyeglasses) AS h6,
         attr_hist(No_Eyewear) AS h7,
         attr_hist(No_Beard) AS h8,
         attr_hist(Bald) AS h9
  FROM ffhq GROUP BY dataset, kind
  UNION ALL
  SELECT dataset, kind,
         attr_hist(Male) AS h1,
         attr_hist(Young) AS h2,
         attr_hist(Middle_Aged) AS h3,
         attr_hist(Senior) AS h4,
         attr_hist(Smiling) AS h5,
         attr_hist(Eyeglasses) AS h6,
         attr_hist(No_Eyewear) AS h7,
         attr_hist(No_Beard) AS h8,
         attr_hist(Bald) AS h9
  FROM styleflow GROUP BY dataset, kind);

-- 1. Per attribute: the two histograms, positive and undefined shares, KL both ways, JS, the
--    larger direction.
SELECT r.attribute, r.hist AS real_hist, s.hist AS synthetic_hist,
       round(100 * hist_frac(r.hist, 1), 2) AS real_pct_pos,
       round(100 * hist_frac(s.hist, 1), 2) AS synth_pct_pos,
       round(100 * hist_frac(r.hist, 0), 2) AS real_pct_undefined,
       round(100 * hist_frac(s.hist, 0), 2) AS synth_pct_undefined,
       round(kl_div(s.hist, r.hist, 0.5), 5) AS kl_synth_real,
       round(kl_div(r.hist, s.hist, 0.5), 5) AS kl_real_synth,
       round(js_div(r.hist, s.hist), 5) AS js,
       CASE WHEN kl_div(r.hist, s.hist, 0.5) > kl_div(s.hist, r.hist, 0.5) THEN 'real||synthetic'
            ELSE 'synthetic||real' END AS larger,
       kl_div(r.hist, s.hist) = CAST('inf' AS DOUBLE) AS gap
FROM fs_hist r JOIN fs_hist s ON r.attribute = s.attribute AND r.kind = 'real' AND s.kind = 'synthetic'
ORDER BY r.attr_no;

-- 2. Age (the Face API estimate in years): binned by decade (80 and over pooled), KL both ways
--    and JS; and the Wasserstein distance in years over the unbinned ages.
WITH h AS (
  SELECT dataset, kind, attr_hist(age, [0, 10, 20, 30, 40, 50, 60, 70, 80, 200]) AS decades,
         attr_hist(age) AS years
  FROM (SELECT dataset, kind, age FROM ffhq UNION ALL SELECT dataset, kind, age FROM styleflow)
  GROUP BY dataset, kind)
SELECT 'age' AS attribute, r.decades AS real_hist, s.decades AS synthetic_hist,
       round(kl_div(s.decades, r.decades, 0.5), 5) AS kl_synth_real,
       round(kl_div(r.decades, s.decades, 0.5), 5) AS kl_real_synth,
       round(js_div(r.decades, s.decades), 5) AS js,
       round(wasserstein(r.years, s.years), 3) AS wasserstein_years,
       kl_div(r.decades, s.decades) = CAST('inf' AS DOUBLE) AS gap
FROM h r JOIN h s ON r.kind = 'real' AND s.kind = 'synthetic';
