-- The seed study on the simulated catalog: how do two synthetic face datasets differ from two
-- real ones, attribute by attribute, and in which direction does the KL divergence say so?
--
-- Run (from the project root):
--   cargo run --release -- --demo -f queries/study.sql --maxrows 0
-- The `demo` table is SIMULATED (see README, "Demo catalog"). Any annotation table with the
-- columns dataset, kind ('real' / 'synthetic'), identity and MAAD-Face label columns (-1 / 0 / 1)
-- can take its place, e.g. the output of `macsql annotate` or of `macsql demo --out DIR`:
--   macsql annotate REAL_DIR --dataset ffhq --kind real -o tables/real.parquet
--   macsql annotate SYNTH_DIR --dataset sfhq --kind synthetic -o tables/synthetic.parquet
--   macsql --data demo=tables -f queries/study.sql --maxrows 0
-- MAAD attributes the table lacks are named as not annotated (query 7) and their rows are
-- NULL; the subgroups (8, 9) need Male, Young, Middle_Aged, Senior, Asian, White and Black.
--
-- Divergences are in nats over the label values -1 / 0 / 1 present in either dataset, with
-- Lidstone smoothing: kl_div(p, q, 0.5) adds 0.5 to every count, so that a value the synthetic set
-- never shows gives a large but finite KL(real || synthetic); the column `gap` marks where that
-- happens (there the unsmoothed kl_div(p, q) is infinite).

-- 1. The catalog: images, identities and images per identity of every dataset.
SELECT dataset, kind, count(*) AS images, count(DISTINCT identity) AS identities,
       round(count(*) * 1.0 / nullif(count(DISTINCT identity), 0), 1) AS images_per_identity
FROM demo GROUP BY dataset, kind ORDER BY kind, dataset;

-- The histogram of every MAAD attribute in every dataset, in one pass over the table: one row
-- per (dataset, kind, attribute). An attribute the table does not hold (a bundle that does not
-- label it, an imported source without it) has a NULL histogram, so its divergences are NULL and
-- the last query lists it.
CREATE OR REPLACE TABLE study_hist AS
SELECT dataset, kind, attr_no, attribute, hist
FROM attr_hists('demo', 'dataset, kind', 'attributes=maad');

-- 2. The distribution of each attribute in each dataset: its histogram and the share of images
--    labelled -1, 0 (undefined) and 1, in percent.
SELECT attribute, dataset, kind, hist,
       round(100 * hist_frac(hist, -1), 2) AS pct_neg,
       round(100 * hist_frac(hist, 0), 2) AS pct_undefined,
       round(100 * hist_frac(hist, 1), 2) AS pct_pos
FROM study_hist ORDER BY attr_no, kind, dataset;

-- KL in both directions, JS and TVD for every attribute and every (real, synthetic) pair.
CREATE OR REPLACE TABLE study_kl AS
SELECT r.attr_no, r.attribute, r.dataset AS real_set, s.dataset AS synthetic_set,
       kl_div(s.hist, r.hist, 0.5) AS kl_synthetic_real,
       kl_div(r.hist, s.hist, 0.5) AS kl_real_synthetic,
       js_div(r.hist, s.hist) AS js,
       tvd(r.hist, s.hist) AS tvd,
       kl_div(r.hist, s.hist) = CAST('inf' AS DOUBLE) AS gap
FROM study_hist r JOIN study_hist s
  ON r.attribute = s.attribute AND r.kind = 'real' AND s.kind = 'synthetic';

-- 3. KL(synthetic || real) and KL(real || synthetic) for every attribute and pair.
SELECT attribute, real_set, synthetic_set,
       round(kl_synthetic_real, 5) AS kl_synth_real, round(kl_real_synthetic, 5) AS kl_real_synth,
       round(js, 5) AS js, round(tvd, 5) AS tvd, gap
FROM study_kl ORDER BY attr_no, real_set, synthetic_set;

-- 4. The asymmetry per attribute, averaged over the real / synthetic pairs. A large
--    KL(real || synthetic) with a small KL(synthetic || real) means the synthetic sets produce
--    plausible faces but miss part of what real data holds (rare values: seniors, grey hair,
--    glasses, hats): a coverage gap rather than a fidelity problem.
SELECT attribute,
       round(avg(kl_synthetic_real), 5) AS mean_kl_synth_real,
       round(avg(kl_real_synthetic), 5) AS mean_kl_real_synth,
       round(avg(kl_real_synthetic) / nullif(avg(kl_synthetic_real), 0), 1) AS ratio,
       CASE WHEN avg(kl_real_synthetic) > avg(kl_synthetic_real) THEN 'real||synthetic'
            WHEN avg(kl_real_synthetic) <= avg(kl_synthetic_real) THEN 'synthetic||real' END AS larger,
       sum(CASE WHEN kl_real_synthetic > kl_synthetic_real THEN 1 ELSE 0 END) AS pairs_real_larger,
       count(*) AS pairs, bool_or(gap) AS gap
FROM study_kl GROUP BY attr_no, attribute ORDER BY attr_no;

-- 5. The asymmetry per pair and overall: summed over attributes, and how many attributes go
--    which way.
SELECT real_set, synthetic_set,
       round(sum(kl_synthetic_real), 4) AS sum_kl_synth_real,
       round(sum(kl_real_synthetic), 4) AS sum_kl_real_synth,
       sum(CASE WHEN kl_real_synthetic > kl_synthetic_real THEN 1 ELSE 0 END) AS attrs_real_larger,
       sum(CASE WHEN kl_real_synthetic <= kl_synthetic_real THEN 1 ELSE 0 END) AS attrs_synth_larger
FROM study_kl GROUP BY real_set, synthetic_set
UNION ALL
SELECT 'all real', 'all synthetic', round(sum(kl_synthetic_real), 4), round(sum(kl_real_synthetic), 4),
       sum(CASE WHEN kl_real_synthetic > kl_synthetic_real THEN 1 ELSE 0 END),
       sum(CASE WHEN kl_real_synthetic <= kl_synthetic_real THEN 1 ELSE 0 END)
FROM study_kl
ORDER BY real_set, synthetic_set;

-- 6. Undefined labels (0): the share of each dataset's labels left undefined, over all
--    attributes, then per attribute by kind (min / max over the datasets of that kind).
SELECT dataset, kind, round(100 * avg(hist_frac(hist, 0)), 2) AS pct_undefined
FROM study_hist GROUP BY dataset, kind ORDER BY kind, dataset;

SELECT attribute,
       round(100 * min(CASE WHEN kind = 'real' THEN hist_frac(hist, 0) END), 2) AS real_min,
       round(100 * max(CASE WHEN kind = 'real' THEN hist_frac(hist, 0) END), 2) AS real_max,
       round(100 * min(CASE WHEN kind = 'synthetic' THEN hist_frac(hist, 0) END), 2) AS synthetic_min,
       round(100 * max(CASE WHEN kind = 'synthetic' THEN hist_frac(hist, 0) END), 2) AS synthetic_max
FROM study_hist GROUP BY attr_no, attribute ORDER BY attr_no;

-- 7. Coverage: how many of the 47 MAAD attributes the table holds (and so were compared), and
--    which it does not (NULL rows above: not annotated, so not compared).
SELECT count(*) FILTER (WHERE annotated) AS attributes_compared,
       count(*) FILTER (WHERE NOT annotated) AS not_annotated,
       coalesce(string_agg(CASE WHEN NOT annotated THEN attribute END, ', ' ORDER BY attr_no), 'none')
         AS not_in_the_table
FROM (SELECT attr_no, attribute, count(hist) > 0 AS annotated FROM study_hist GROUP BY attr_no, attribute);

-- Intersectional subgroups: gender x age x race (race 'other' is -1 on Asian, White and Black);
-- images with any of the three undefined are left out.
CREATE OR REPLACE TABLE study_groups AS
SELECT dataset, kind, gender || '/' || age || '/' || race AS subgroup, gender, age, race
FROM (
  SELECT dataset, kind,
         CASE Male WHEN 1 THEN 'male' WHEN -1 THEN 'female' END AS gender,
         CASE WHEN Young = 1 THEN 'young' WHEN Middle_Aged = 1 THEN 'middle_aged'
              WHEN Senior = 1 THEN 'senior' END AS age,
         CASE WHEN Asian = 1 THEN 'asian' WHEN White = 1 THEN 'white' WHEN Black = 1 THEN 'black'
              WHEN Asian = -1 AND White = -1 AND Black = -1 THEN 'other' END AS race
  FROM demo)
WHERE gender IS NOT NULL AND age IS NOT NULL AND race IS NOT NULL;

-- 8. Subgroup shares, pooled by kind, with a minimum support of 30 images: a share over fewer
--    images is shown as NULL, with the reason.
WITH k AS (SELECT kind, gender, age, race, count(*) AS n,
                  sum(count(*)) OVER (PARTITION BY kind) AS total
           FROM study_groups GROUP BY kind, gender, age, race),
     r AS (SELECT * FROM k WHERE kind = 'real'),
     s AS (SELECT * FROM k WHERE kind = 'synthetic')
SELECT coalesce(r.gender, s.gender) AS gender, coalesce(r.age, s.age) AS age,
       coalesce(r.race, s.race) AS race,
       coalesce(r.n, 0) AS n_real, coalesce(s.n, 0) AS n_synthetic,
       CASE WHEN r.n >= 30 THEN round(100.0 * r.n / r.total, 3) END AS pct_real,
       CASE WHEN s.n >= 30 THEN round(100.0 * s.n / s.total, 3) END AS pct_synthetic,
       CASE WHEN coalesce(r.n, 0) < 30 OR coalesce(s.n, 0) < 30 THEN 'below min support (30)' END AS note
FROM r FULL JOIN s ON r.gender = s.gender AND r.age = s.age AND r.race = s.race
ORDER BY gender, age, race;

-- 9. KL both directions over the joint gender x age x race distribution, per pair (alpha 0.5).
WITH h AS (SELECT dataset, kind, attr_hist(subgroup) AS hist FROM study_groups GROUP BY dataset, kind)
SELECT r.dataset AS real_set, s.dataset AS synthetic_set,
       round(kl_div(s.hist, r.hist, 0.5), 5) AS kl_synth_real,
       round(kl_div(r.hist, s.hist, 0.5), 5) AS kl_real_synth,
       round(js_div(r.hist, s.hist), 5) AS js,
       kl_div(r.hist, s.hist) = CAST('inf' AS DOUBLE) AS gap
FROM h r JOIN h s ON r.kind = 'real' AND s.kind = 'synthetic'
ORDER BY real_set, synthetic_set;
