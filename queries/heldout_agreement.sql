-- Held-out agreement of the default MAC's heads with FairFace's labels: sex, age group and race.
-- Every probability here comes from models/mac-heldout.parquet, written by `macsql train`
-- (scripts/train_default.sh): each image's value is the prediction of the head of the outer fold
-- that left the image's person out, so, unlike queries/mac_vs_labels.sql (the shipped bundle on
-- images it was trained on), these figures are not in-sample.
--
-- Run from the project root:
--   scripts/train_default.sh     # writes models/mac-heldout.parquet (about 85 min with the features cache)
--   macsql --data heldout=models/mac-heldout.parquet \
--     --data ../shared/data/annotations/fairface_val_1000.csv -f queries/heldout_agreement.sql
--
-- Definitions:
--   sex        Male when p(Male) > 0.5.
--   age group  the largest of p(Young), p(Middle_Aged), p(Senior) against FairFace's age bin
--              (0-29 Young, 30-59 Middle_Aged, 60 and over Senior: scripts/default_labels.sql).
--   race       the largest of p(Asian), p(White), p(Black) when it is above 0.5, else "other",
--              against FairFace's race: East / Southeast Asian -> Asian, White, Black, and Indian,
--              Latino_Hispanic, Middle Eastern -> other (MAAD-Face has no attribute for them).
--   labels     the last query: the MAAD labels themselves (1 / -1, 0 where the head is not
--              sure), each image's from its fold's band (chosen without the image's person,
--              the file's `band` column), against FairFace's label of the same attribute.

-- Each FairFace image's held-out probabilities, one row per image.
CREATE OR REPLACE VIEW fairface_heldout AS
SELECT regexp_replace(path, '^.*/', '') AS file,
       max(CASE WHEN attribute = 'Male' THEN p END) AS male,
       max(CASE WHEN attribute = 'Young' THEN p END) AS young,
       max(CASE WHEN attribute = 'Middle_Aged' THEN p END) AS middle_aged,
       max(CASE WHEN attribute = 'Senior' THEN p END) AS senior,
       max(CASE WHEN attribute = 'Asian' THEN p END) AS asian,
       max(CASE WHEN attribute = 'White' THEN p END) AS white,
       max(CASE WHEN attribute = 'Black' THEN p END) AS black
FROM heldout
WHERE source = 'fairface'
GROUP BY regexp_replace(path, '^.*/', '');

-- Predicted and reference classes side by side.
CREATE OR REPLACE VIEW fairface_classes AS
SELECT h.file,
       CASE WHEN h.male > 0.5 THEN 'Male' ELSE 'Female' END AS sex,
       f.gender AS sex_ref,
       CASE WHEN h.young >= h.middle_aged AND h.young >= h.senior THEN 'Young'
            WHEN h.middle_aged >= h.senior THEN 'Middle_Aged'
            ELSE 'Senior' END AS age_group,
       CASE WHEN f.age IN ('0-2', '3-9', '10-19', '20-29') THEN 'Young'
            WHEN f.age IN ('30-39', '40-49', '50-59') THEN 'Middle_Aged'
            ELSE 'Senior' END AS age_group_ref,
       CASE WHEN greatest(h.asian, h.white, h.black) <= 0.5 THEN 'other'
            WHEN h.asian >= h.white AND h.asian >= h.black THEN 'Asian'
            WHEN h.white >= h.black THEN 'White'
            ELSE 'Black' END AS race,
       CASE WHEN f.race IN ('East Asian', 'Southeast Asian') THEN 'Asian'
            WHEN f.race IN ('White', 'Black') THEN f.race
            ELSE 'other' END AS race_ref
FROM fairface_heldout h
JOIN fairface_val_1000 f ON f.file = h.file;

-- One row: images and the three agreements.
SELECT count(*) AS images,
       round(avg(CASE WHEN sex = sex_ref THEN 1.0 ELSE 0.0 END), 3) AS sex_agreement,
       round(avg(CASE WHEN age_group = age_group_ref THEN 1.0 ELSE 0.0 END), 3) AS age_group_agreement,
       round(avg(CASE WHEN race = race_ref THEN 1.0 ELSE 0.0 END), 3) AS race_agreement
FROM fairface_classes;

-- Where the race classes go: reference (rows) against prediction.
SELECT race_ref,
       count(*) AS images,
       sum(CASE WHEN race = 'Asian' THEN 1 ELSE 0 END) AS "as Asian",
       sum(CASE WHEN race = 'White' THEN 1 ELSE 0 END) AS "as White",
       sum(CASE WHEN race = 'Black' THEN 1 ELSE 0 END) AS "as Black",
       sum(CASE WHEN race = 'other' THEN 1 ELSE 0 END) AS "as other"
FROM fairface_classes
GROUP BY race_ref
ORDER BY race_ref;

-- The same for the age groups.
SELECT age_group_ref,
       count(*) AS images,
       sum(CASE WHEN age_group = 'Young' THEN 1 ELSE 0 END) AS "as Young",
       sum(CASE WHEN age_group = 'Middle_Aged' THEN 1 ELSE 0 END) AS "as Middle_Aged",
       sum(CASE WHEN age_group = 'Senior' THEN 1 ELSE 0 END) AS "as Senior"
FROM fairface_classes
GROUP BY age_group_ref
ORDER BY age_group_ref;

-- The MAAD labels, held out: per attribute, the share of FairFace's images labelled 1 or -1,
-- and of those the share that agree with FairFace; then each side's precision.
SELECT attribute,
       count(*) AS images,
       round(avg(CASE WHEN band <> 0 THEN 1.0 ELSE 0.0 END), 3) AS labelled,
       round(sum(CASE WHEN band = label THEN 1.0 ELSE 0.0 END)
             / nullif(sum(CASE WHEN band <> 0 THEN 1.0 ELSE 0.0 END), 0), 3) AS agreement_of_labelled,
       round(sum(CASE WHEN band = 1 AND label = 1 THEN 1.0 ELSE 0.0 END)
             / nullif(sum(CASE WHEN band = 1 THEN 1.0 ELSE 0.0 END), 0), 3) AS precision_1,
       round(sum(CASE WHEN band = -1 AND label = -1 THEN 1.0 ELSE 0.0 END)
             / nullif(sum(CASE WHEN band = -1 THEN 1.0 ELSE 0.0 END), 0), 3) AS precision_minus_1
FROM heldout
WHERE source = 'fairface'
GROUP BY attribute
ORDER BY CASE attribute WHEN 'Male' THEN 1 WHEN 'Young' THEN 2 WHEN 'Middle_Aged' THEN 3
         WHEN 'Senior' THEN 4 WHEN 'Asian' THEN 5 WHEN 'White' THEN 6 WHEN 'Black' THEN 7 ELSE 8 END,
         attribute;
