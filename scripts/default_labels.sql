-- The labels the default bundle's heads are trained on (scripts/train_default.sh), from the
-- shared data: the FFHQ Face API labels (CC BY-NC-SA 4.0) of the 600 FFHQ images and the
-- FairFace labels (CC BY 4.0) of the 1,000 FairFace images, as macsql train reads them: a
-- `path` column and one column per MAAD-Face attribute holding 1 / -1 (NULL: not labelled).
--
--   macsql --data ../shared/data/annotations/ffhq_faceapi.csv \
--          --data ../shared/data/annotations/fairface_val_1000.csv -f scripts/default_labels.sql
--
-- Face API levels of facial hair take the values 0 (women, children), 0.1 (clean-shaven men),
-- 0.4, 0.6 and 0.9; hair colours are confidences in [0, 1] (left out where the hair is hidden,
-- covered or bald); `hat` is Face API's headwear flag.

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
  SELECT path,
         CASE WHEN gender = 'male' THEN 1 ELSE -1 END AS "Male",
         CASE WHEN age < 30 THEN 1 ELSE -1 END AS "Young",
         CASE WHEN age >= 30 AND age < 60 THEN 1 ELSE -1 END AS "Middle_Aged",
         CASE WHEN age >= 60 THEN 1 ELSE -1 END AS "Senior",
         CASE WHEN smile >= 0.7 THEN 1 WHEN smile <= 0.3 THEN -1 END AS "Smiling",
         CAST(NULL AS INT) AS "Asian", CAST(NULL AS INT) AS "White", CAST(NULL AS INT) AS "Black",
         CASE WHEN glasses <> 'NoGlasses' THEN 1 ELSE -1 END AS "Eyeglasses",
         CASE WHEN glasses = 'NoGlasses' THEN 1 ELSE -1 END AS "No_Eyewear",
         -- a beard (0.6+) against none (0.1 or less); stubble (0.4) is neither and left out
         CASE WHEN beard <= 0.1 THEN 1 WHEN beard >= 0.6 THEN -1 END AS "No_Beard",
         CASE WHEN moustache >= 0.4 THEN 1 ELSE -1 END AS "Mustache",
         CASE WHEN sideburns >= 0.4 THEN 1 ELSE -1 END AS "Sideburns",
         -- stubble: beard level 0.4; full beards (0.6+) left out
         CASE WHEN beard = 0.4 THEN 1 WHEN beard <= 0.1 THEN -1 END AS "5_o_Clock_Shadow",
         CASE WHEN hat_on THEN NULL WHEN bald >= 0.5 THEN 1 WHEN bald <= 0.2 THEN -1 END AS "Bald",
         CASE WHEN hat_on THEN NULL WHEN bald >= 0.2 AND bald < 0.5 THEN 1 WHEN bald < 0.1 THEN -1 END AS "Receding_Hairline",
         CASE WHEN hidden OR bald >= 0.5 THEN NULL WHEN hair_black >= 0.7 THEN 1 WHEN hair_black <= 0.3 THEN -1 END AS "Black_Hair",
         CASE WHEN hidden OR bald >= 0.5 THEN NULL WHEN hair_brown >= 0.7 THEN 1 WHEN hair_brown <= 0.3 THEN -1 END AS "Brown_Hair",
         CASE WHEN hidden OR bald >= 0.5 THEN NULL WHEN hair_blond >= 0.7 THEN 1 WHEN hair_blond <= 0.3 THEN -1 END AS "Blond_Hair",
         CASE WHEN hidden OR bald >= 0.5 THEN NULL WHEN hair_gray >= 0.7 THEN 1 WHEN hair_gray <= 0.3 THEN -1 END AS "Gray_Hair",
         CASE WHEN lower(CAST(eye_makeup AS VARCHAR)) = 'true' THEN 1 ELSE -1 END AS "Heavy_Makeup",
         CASE WHEN lower(CAST(lip_makeup AS VARCHAR)) = 'true' THEN 1 ELSE -1 END AS "Wearing_Lipstick",
         CASE WHEN hat_on THEN 1 ELSE -1 END AS "Wearing_Hat"
  FROM shown
  UNION ALL
  SELECT '../shared/data/images/real/fairface/' || file AS path,
         CASE WHEN gender = 'Male' THEN 1 ELSE -1 END,
         CASE WHEN age IN ('0-2', '3-9', '10-19', '20-29') THEN 1 ELSE -1 END,
         CASE WHEN age IN ('30-39', '40-49', '50-59') THEN 1 ELSE -1 END,
         CASE WHEN age IN ('60-69', 'more than 70') THEN 1 ELSE -1 END,
         NULL,
         CASE WHEN race IN ('East Asian', 'Southeast Asian') THEN 1 ELSE -1 END,
         CASE WHEN race = 'White' THEN 1 ELSE -1 END,
         CASE WHEN race = 'Black' THEN 1 ELSE -1 END,
         NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  FROM fairface_val_1000
  ORDER BY path
) TO 'target/default-labels.csv';
