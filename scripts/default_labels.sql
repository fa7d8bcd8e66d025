-- The labels the default bundle's heads are trained on (scripts/train_default.sh): one table per
-- label source, as `macsql train` reads them: a `path` column, a `person` column (the groups of
-- the person-wise cross-validation) and one column per MAAD-Face attribute holding 1 / -1 (NULL:
-- this source does not label it here). This file is the mapping of each source onto MAAD names.
--
--   macsql import --format lfwa ../shared/data/annotations/lfwa_att_73.csv --dataset lfw --kind real -o target/labels/lfwa73.parquet
--   macsql import --format lfwa ../shared/data/annotations/lfwa_att_40.csv --dataset lfw --kind real -o target/labels/lfwa40.parquet
--   macsql import --format celeba ../shared/data/annotations/celeba_list_attr.txt --dataset celeba --kind real -o target/labels/celeba.parquet
--   macsql --data ../shared/data/annotations/ffhq_faceapi.csv --data ../shared/data/annotations/fairface_val_1000.csv \
--          --data target/labels/lfwa73.parquet --data target/labels/lfwa40.parquet --data target/labels/celeba.parquet \
--          -f scripts/default_labels.sql
--
-- Sources and their terms: LFW with the LFWA+ labels (research use), CelebA (non-commercial
-- research only), FFHQ with Microsoft Face API labels (CC BY-NC-SA 4.0), FairFace (CC BY 4.0).
--
-- The mapping, attribute by attribute:
-- - LFW (lfwa_att_73: the 73 attributes of Kumar et al., binarised): every attribute with a MAAD
--   name as it is (macsql import --format lfwa: 0 is -1); Young = Baby, Child or Youth (exactly
--   lfwa_att_40's Young); Attractive from lfwa_att_40 (CelebA's definition annotated on LFW).
--   lfwa_att_40's other columns equal lfwa_att_73's (all but Eyeglasses, 98.5% the same, and
--   Mouth_Slightly_Open, not a MAAD name) and add nothing. The person is the folder.
-- - CelebA (human labels, 40 attributes): the 34 with MAAD names, except four. Young: CelebA calls
--   77% of its faces young, a looser notion than the age groups below (LFW's Youth / Child /
--   Baby, 23% of LFW; under 30 for FFHQ and FairFace), so it would contradict them. Oval_Face,
--   Big_Lips, Rosy_Cheeks: CelebA's labels of these disagree with LFWA+'s and are hard to learn
--   on their own (held-out AUC by person, CelebA alone 0.69 / 0.72 / 0.93, LFW alone 0.86 / 0.86
--   / 0.92, both together 0.73 / 0.76 / 0.88 with the positive band side of Rosy_Cheeks lost), so
--   LFW alone labels them.
--   The person is celeba_identity.txt's number. Only the 9,723 images of celeba_small.
-- - FFHQ (Face API labels): as before (age groups from the estimated age: Young < 30,
--   Middle_Aged 30-59, Senior >= 60; levels of facial hair 0 / 0.1 / 0.4 / 0.6 / 0.9; hair
--   colours are confidences, left out where the hair is hidden or bald; `hat` is Face API's
--   headwear flag). One image per person.
-- - FairFace: gender, the age bins onto the same three groups, race onto Asian (East and
--   Southeast Asian) / White / Black (the other four groups are -1 on all three). One image per
--   person.

COPY (
  SELECT '../shared/data/images/real/lfw/' || a.path AS path, a.identity AS person,
    a."Male", a."Young", a."Middle_Aged", a."Senior", a."Asian", a."White", a."Black",
    a."Rosy_Cheeks", a."Shiny_Skin", a."Bald", a."Wavy_Hair", a."Receding_Hairline", a."Bangs",
    a."Sideburns", a."Black_Hair", a."Blond_Hair", a."Brown_Hair", a."Gray_Hair", a."No_Beard",
    a."Mustache", a."5_o_Clock_Shadow", a."Goatee", a."Oval_Face", a."Square_Face",
    a."Round_Face", a."Double_Chin", a."High_Cheekbones", a."Chubby", a."Obstructed_Forehead",
    a."Fully_Visible_Forehead", a."Brown_Eyes", a."Bags_Under_Eyes", a."Bushy_Eyebrows",
    a."Arched_Eyebrows", a."Mouth_Closed", a."Smiling", a."Big_Lips", a."Big_Nose",
    a."Pointy_Nose", a."Heavy_Makeup", a."Wearing_Hat", a."Wearing_Earrings",
    a."Wearing_Necktie", a."Wearing_Lipstick", a."No_Eyewear", a."Eyeglasses",
    b."Attractive"
  FROM lfwa73 a JOIN lfwa40 b ON a.path = b.path
  ORDER BY path
) TO 'target/labels/lfw.csv';

CREATE EXTERNAL TABLE celeba_identity (file VARCHAR NOT NULL, person VARCHAR NOT NULL)
STORED AS CSV LOCATION '../shared/data/annotations/celeba_identity.txt'
OPTIONS ('format.delimiter' ' ', 'format.has_header' 'false');

COPY (
  SELECT '../shared/data/images/real/celeba_small/' || c.path AS path, i.person,
    c."Male", c."Bald", c."Wavy_Hair", c."Receding_Hairline", c."Bangs", c."Sideburns",
    c."Black_Hair", c."Blond_Hair", c."Brown_Hair", c."Gray_Hair", c."No_Beard", c."Mustache",
    c."5_o_Clock_Shadow", c."Goatee", c."Double_Chin", c."High_Cheekbones",
    c."Chubby", c."Bags_Under_Eyes", c."Bushy_Eyebrows", c."Arched_Eyebrows", c."Smiling",
    c."Big_Nose", c."Pointy_Nose", c."Heavy_Makeup", c."Wearing_Hat",
    c."Wearing_Earrings", c."Wearing_Necktie", c."Wearing_Lipstick", c."Eyeglasses",
    c."Attractive"
  FROM celeba c
  JOIN celeba_identity i ON i.file = c.path
  JOIN images('../shared/data/images/real/celeba_small') f
    ON f.path = '../shared/data/images/real/celeba_small/' || c.path
  ORDER BY path
) TO 'target/labels/celeba.csv';

COPY (
  WITH ffhq AS (
    SELECT '../shared/data/images/real/ffhq/' || lpad(CAST(image AS VARCHAR), 5, '0') || '.jpg' AS path,
           lower(CAST(hair_invisible AS VARCHAR)) = 'true' AS hidden,
           lower(CAST(hat AS VARCHAR)) = 'true' AS hat_on,
           *
    FROM ffhq_faceapi
  ),
  shown AS (
    SELECT f.* FROM ffhq f
    JOIN images('../shared/data/images/real/ffhq') i ON i.path = f.path
  )
  SELECT path, path AS person,
         CASE WHEN gender = 'male' THEN 1 ELSE -1 END AS "Male",
         CASE WHEN age < 30 THEN 1 ELSE -1 END AS "Young",
         CASE WHEN age >= 30 AND age < 60 THEN 1 ELSE -1 END AS "Middle_Aged",
         CASE WHEN age >= 60 THEN 1 ELSE -1 END AS "Senior",
         CASE WHEN smile >= 0.7 THEN 1 WHEN smile <= 0.3 THEN -1 END AS "Smiling",
         CASE WHEN glasses <> 'NoGlasses' THEN 1 ELSE -1 END AS "Eyeglasses",
         CASE WHEN glasses = 'NoGlasses' THEN 1 ELSE -1 END AS "No_Eyewear",
         -- a beard (0.6+) against none (0.1 or less); stubble (0.4) is neither and left out
         CASE WHEN beard <= 0.1 THEN 1 WHEN beard >= 0.6 THEN -1 END AS "No_Beard",
         CASE WHEN moustache >= 0.4 THEN 1 ELSE -1 END AS "Mustache",
         CASE WHEN sideburns >= 0.4 THEN 1 ELSE -1 END AS "Sideburns",
         -- stubble: beard level 0.4; full beards (0.6+) left out
         CASE WHEN beard = 0.4 THEN 1 WHEN beard <= 0.1 THEN -1 END AS "5_o_Clock_Shadow",
         CASE WHEN hat_on THEN NULL WHEN bald >= 0.5 THEN 1 WHEN bald <= 0.2 THEN -1 END AS "Bald",
         CASE WHEN hidden OR bald >= 0.5 THEN NULL WHEN hair_black >= 0.7 THEN 1 WHEN hair_black <= 0.3 THEN -1 END AS "Black_Hair",
         CASE WHEN hidden OR bald >= 0.5 THEN NULL WHEN hair_brown >= 0.7 THEN 1 WHEN hair_brown <= 0.3 THEN -1 END AS "Brown_Hair",
         CASE WHEN hidden OR bald >= 0.5 THEN NULL WHEN hair_blond >= 0.7 THEN 1 WHEN hair_blond <= 0.3 THEN -1 END AS "Blond_Hair",
         CASE WHEN hidden OR bald >= 0.5 THEN NULL WHEN hair_gray >= 0.7 THEN 1 WHEN hair_gray <= 0.3 THEN -1 END AS "Gray_Hair",
         CASE WHEN lower(CAST(eye_makeup AS VARCHAR)) = 'true' THEN 1 ELSE -1 END AS "Heavy_Makeup",
         CASE WHEN lower(CAST(lip_makeup AS VARCHAR)) = 'true' THEN 1 ELSE -1 END AS "Wearing_Lipstick",
         CASE WHEN hat_on THEN 1 ELSE -1 END AS "Wearing_Hat"
  FROM shown
  ORDER BY path
) TO 'target/labels/ffhq.csv';

COPY (
  SELECT '../shared/data/images/real/fairface/' || file AS path,
         '../shared/data/images/real/fairface/' || file AS person,
         CASE WHEN gender = 'Male' THEN 1 ELSE -1 END AS "Male",
         CASE WHEN age IN ('0-2', '3-9', '10-19', '20-29') THEN 1 ELSE -1 END AS "Young",
         CASE WHEN age IN ('30-39', '40-49', '50-59') THEN 1 ELSE -1 END AS "Middle_Aged",
         CASE WHEN age IN ('60-69', 'more than 70') THEN 1 ELSE -1 END AS "Senior",
         CASE WHEN race IN ('East Asian', 'Southeast Asian') THEN 1 ELSE -1 END AS "Asian",
         CASE WHEN race = 'White' THEN 1 ELSE -1 END AS "White",
         CASE WHEN race = 'Black' THEN 1 ELSE -1 END AS "Black"
  FROM fairface_val_1000
  ORDER BY path
) TO 'target/labels/fairface.csv';
