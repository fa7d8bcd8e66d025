-- How far can the default MAC be trusted? Per attribute, agreement of its labels with the
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
--   macsql annotate ../shared/data/images/real/lfw --dataset lfw --kind real -o target/imports/mac_lfw.parquet
--   macsql annotate ../shared/data/images/real/celeba --dataset celeba --kind real -o target/imports/mac_celeba.parquet
--   macsql annotate ../shared/data/images/real/ffhq --dataset ffhq --kind real -o target/imports/mac_ffhq.parquet
--   macsql annotate ../shared/data/images/real/fairface --dataset fairface --kind real -o target/imports/mac_fairface.parquet
--   macsql --data mac_lfw=target/imports/mac_lfw.parquet --data mac_celeba=target/imports/mac_celeba.parquet --data mac_ffhq=target/imports/mac_ffhq.parquet --data mac_fairface=target/imports/mac_fairface.parquet --data ../shared/data/annotations/ffhq_faceapi.csv -f queries/mac_vs_labels.sql
-- Images are matched by file name without folder and extension (LFW Aaron_Eckhart_0001,
-- CelebA 000001, FFHQ 00012, FairFace 1).
--
-- Columns: images matched; share each side leaves undefined (0); over images both label,
-- agreement (same label) and Cohen's kappa (agreement beyond chance: 1 perfect, 0 chance);
-- MAC's and the reference's positive rates on those images.

-- The label tables, every column typed (a CSV whose first rows leave a column empty would
-- otherwise be read as a column of NULLs).
CREATE EXTERNAL TABLE IF NOT EXISTS lfw_labels (path VARCHAR, person VARCHAR, "Male" INT, "Young" INT, "Middle_Aged" INT, "Senior" INT, "Asian" INT, "White" INT, "Black" INT, "Rosy_Cheeks" INT, "Shiny_Skin" INT, "Bald" INT, "Wavy_Hair" INT, "Receding_Hairline" INT, "Bangs" INT, "Sideburns" INT, "Black_Hair" INT, "Blond_Hair" INT, "Brown_Hair" INT, "Gray_Hair" INT, "No_Beard" INT, "Mustache" INT, "5_o_Clock_Shadow" INT, "Goatee" INT, "Oval_Face" INT, "Square_Face" INT, "Round_Face" INT, "Double_Chin" INT, "High_Cheekbones" INT, "Chubby" INT, "Obstructed_Forehead" INT, "Fully_Visible_Forehead" INT, "Brown_Eyes" INT, "Bags_Under_Eyes" INT, "Bushy_Eyebrows" INT, "Arched_Eyebrows" INT, "Mouth_Closed" INT, "Smiling" INT, "Big_Lips" INT, "Big_Nose" INT, "Pointy_Nose" INT, "Heavy_Makeup" INT, "Wearing_Hat" INT, "Wearing_Earrings" INT, "Wearing_Necktie" INT, "Wearing_Lipstick" INT, "No_Eyewear" INT, "Eyeglasses" INT, "Attractive" INT)
  STORED AS CSV LOCATION 'target/labels/lfw.csv' OPTIONS ('format.has_header' 'true');
CREATE EXTERNAL TABLE IF NOT EXISTS celeba_labels (path VARCHAR, person VARCHAR, "Male" INT, "Bald" INT, "Wavy_Hair" INT, "Receding_Hairline" INT, "Bangs" INT, "Sideburns" INT, "Black_Hair" INT, "Blond_Hair" INT, "Brown_Hair" INT, "Gray_Hair" INT, "No_Beard" INT, "Mustache" INT, "5_o_Clock_Shadow" INT, "Goatee" INT, "Double_Chin" INT, "High_Cheekbones" INT, "Chubby" INT, "Bags_Under_Eyes" INT, "Bushy_Eyebrows" INT, "Arched_Eyebrows" INT, "Smiling" INT, "Big_Nose" INT, "Pointy_Nose" INT, "Heavy_Makeup" INT, "Wearing_Hat" INT, "Wearing_Earrings" INT, "Wearing_Necktie" INT, "Wearing_Lipstick" INT, "Eyeglasses" INT, "Attractive" INT)
  STORED AS CSV LOCATION 'target/labels/celeba.csv' OPTIONS ('format.has_header' 'true');
CREATE EXTERNAL TABLE IF NOT EXISTS ffhq_labels (path VARCHAR, person VARCHAR, "Male" INT, "Young" INT, "Middle_Aged" INT, "Senior" INT, "Smiling" INT, "Eyeglasses" INT, "No_Eyewear" INT, "No_Beard" INT, "Mustache" INT, "Sideburns" INT, "5_o_Clock_Shadow" INT, "Bald" INT, "Black_Hair" INT, "Brown_Hair" INT, "Blond_Hair" INT, "Gray_Hair" INT, "Heavy_Makeup" INT, "Wearing_Lipstick" INT, "Wearing_Hat" INT)
  STORED AS CSV LOCATION 'target/labels/ffhq.csv' OPTIONS ('format.has_header' 'true');
CREATE EXTERNAL TABLE IF NOT EXISTS fairface_labels (path VARCHAR, person VARCHAR, "Male" INT, "Young" INT, "Middle_Aged" INT, "Senior" INT, "Asian" INT, "White" INT, "Black" INT)
  STORED AS CSV LOCATION 'target/labels/fairface.csv' OPTIONS ('format.has_header' 'true');
-- Each table keyed by image file name without folder and extension.
CREATE OR REPLACE TABLE mac_lfw_k AS SELECT regexp_replace(regexp_replace(path, '^.*/', ''), '[.][A-Za-z]+$', '') AS image_key, * FROM mac_lfw;
CREATE OR REPLACE TABLE lfw_labels_k AS SELECT regexp_replace(regexp_replace(path, '^.*/', ''), '[.][A-Za-z]+$', '') AS image_key, * FROM lfw_labels;
CREATE OR REPLACE TABLE mac_celeba_k AS SELECT regexp_replace(regexp_replace(path, '^.*/', ''), '[.][A-Za-z]+$', '') AS image_key, * FROM mac_celeba;
CREATE OR REPLACE TABLE celeba_labels_k AS SELECT regexp_replace(regexp_replace(path, '^.*/', ''), '[.][A-Za-z]+$', '') AS image_key, * FROM celeba_labels;
CREATE OR REPLACE TABLE mac_ffhq_k AS SELECT regexp_replace(regexp_replace(path, '^.*/', ''), '[.][A-Za-z]+$', '') AS image_key, * FROM mac_ffhq;
CREATE OR REPLACE TABLE ffhq_labels_k AS SELECT regexp_replace(regexp_replace(path, '^.*/', ''), '[.][A-Za-z]+$', '') AS image_key, * FROM ffhq_labels;
CREATE OR REPLACE TABLE mac_fairface_k AS SELECT regexp_replace(regexp_replace(path, '^.*/', ''), '[.][A-Za-z]+$', '') AS image_key, * FROM mac_fairface;
CREATE OR REPLACE TABLE fairface_labels_k AS SELECT regexp_replace(regexp_replace(path, '^.*/', ''), '[.][A-Za-z]+$', '') AS image_key, * FROM fairface_labels;

CREATE OR REPLACE TABLE mac_pairs AS
  SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 1 AS attr_no, 'Male' AS attribute, coalesce(m."Male", 0) AS mac, coalesce(x."Male", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 2 AS attr_no, 'Young' AS attribute, coalesce(m."Young", 0) AS mac, coalesce(x."Young", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 3 AS attr_no, 'Middle_Aged' AS attribute, coalesce(m."Middle_Aged", 0) AS mac, coalesce(x."Middle_Aged", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 4 AS attr_no, 'Senior' AS attribute, coalesce(m."Senior", 0) AS mac, coalesce(x."Senior", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 5 AS attr_no, 'Asian' AS attribute, coalesce(m."Asian", 0) AS mac, coalesce(x."Asian", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 6 AS attr_no, 'White' AS attribute, coalesce(m."White", 0) AS mac, coalesce(x."White", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 7 AS attr_no, 'Black' AS attribute, coalesce(m."Black", 0) AS mac, coalesce(x."Black", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 8 AS attr_no, 'Rosy_Cheeks' AS attribute, coalesce(m."Rosy_Cheeks", 0) AS mac, coalesce(x."Rosy_Cheeks", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 9 AS attr_no, 'Shiny_Skin' AS attribute, coalesce(m."Shiny_Skin", 0) AS mac, coalesce(x."Shiny_Skin", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 10 AS attr_no, 'Bald' AS attribute, coalesce(m."Bald", 0) AS mac, coalesce(x."Bald", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 11 AS attr_no, 'Wavy_Hair' AS attribute, coalesce(m."Wavy_Hair", 0) AS mac, coalesce(x."Wavy_Hair", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 12 AS attr_no, 'Receding_Hairline' AS attribute, coalesce(m."Receding_Hairline", 0) AS mac, coalesce(x."Receding_Hairline", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 13 AS attr_no, 'Bangs' AS attribute, coalesce(m."Bangs", 0) AS mac, coalesce(x."Bangs", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 14 AS attr_no, 'Sideburns' AS attribute, coalesce(m."Sideburns", 0) AS mac, coalesce(x."Sideburns", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 15 AS attr_no, 'Black_Hair' AS attribute, coalesce(m."Black_Hair", 0) AS mac, coalesce(x."Black_Hair", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 16 AS attr_no, 'Blond_Hair' AS attribute, coalesce(m."Blond_Hair", 0) AS mac, coalesce(x."Blond_Hair", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 17 AS attr_no, 'Brown_Hair' AS attribute, coalesce(m."Brown_Hair", 0) AS mac, coalesce(x."Brown_Hair", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 18 AS attr_no, 'No_Beard' AS attribute, coalesce(m."No_Beard", 0) AS mac, coalesce(x."No_Beard", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 19 AS attr_no, 'Mustache' AS attribute, coalesce(m."Mustache", 0) AS mac, coalesce(x."Mustache", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 20 AS attr_no, '5_o_Clock_Shadow' AS attribute, coalesce(m."5_o_Clock_Shadow", 0) AS mac, coalesce(x."5_o_Clock_Shadow", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 21 AS attr_no, 'Goatee' AS attribute, coalesce(m."Goatee", 0) AS mac, coalesce(x."Goatee", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 22 AS attr_no, 'Oval_Face' AS attribute, coalesce(m."Oval_Face", 0) AS mac, coalesce(x."Oval_Face", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 23 AS attr_no, 'Double_Chin' AS attribute, coalesce(m."Double_Chin", 0) AS mac, coalesce(x."Double_Chin", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 24 AS attr_no, 'High_Cheekbones' AS attribute, coalesce(m."High_Cheekbones", 0) AS mac, coalesce(x."High_Cheekbones", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 25 AS attr_no, 'Chubby' AS attribute, coalesce(m."Chubby", 0) AS mac, coalesce(x."Chubby", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 26 AS attr_no, 'Obstructed_Forehead' AS attribute, coalesce(m."Obstructed_Forehead", 0) AS mac, coalesce(x."Obstructed_Forehead", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 27 AS attr_no, 'Fully_Visible_Forehead' AS attribute, coalesce(m."Fully_Visible_Forehead", 0) AS mac, coalesce(x."Fully_Visible_Forehead", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 28 AS attr_no, 'Brown_Eyes' AS attribute, coalesce(m."Brown_Eyes", 0) AS mac, coalesce(x."Brown_Eyes", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 29 AS attr_no, 'Bags_Under_Eyes' AS attribute, coalesce(m."Bags_Under_Eyes", 0) AS mac, coalesce(x."Bags_Under_Eyes", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 30 AS attr_no, 'Bushy_Eyebrows' AS attribute, coalesce(m."Bushy_Eyebrows", 0) AS mac, coalesce(x."Bushy_Eyebrows", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 31 AS attr_no, 'Arched_Eyebrows' AS attribute, coalesce(m."Arched_Eyebrows", 0) AS mac, coalesce(x."Arched_Eyebrows", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 32 AS attr_no, 'Mouth_Closed' AS attribute, coalesce(m."Mouth_Closed", 0) AS mac, coalesce(x."Mouth_Closed", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 33 AS attr_no, 'Smiling' AS attribute, coalesce(m."Smiling", 0) AS mac, coalesce(x."Smiling", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 34 AS attr_no, 'Big_Lips' AS attribute, coalesce(m."Big_Lips", 0) AS mac, coalesce(x."Big_Lips", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 35 AS attr_no, 'Big_Nose' AS attribute, coalesce(m."Big_Nose", 0) AS mac, coalesce(x."Big_Nose", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 36 AS attr_no, 'Pointy_Nose' AS attribute, coalesce(m."Pointy_Nose", 0) AS mac, coalesce(x."Pointy_Nose", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 37 AS attr_no, 'Heavy_Makeup' AS attribute, coalesce(m."Heavy_Makeup", 0) AS mac, coalesce(x."Heavy_Makeup", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 38 AS attr_no, 'Wearing_Hat' AS attribute, coalesce(m."Wearing_Hat", 0) AS mac, coalesce(x."Wearing_Hat", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 39 AS attr_no, 'Wearing_Earrings' AS attribute, coalesce(m."Wearing_Earrings", 0) AS mac, coalesce(x."Wearing_Earrings", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 40 AS attr_no, 'Wearing_Necktie' AS attribute, coalesce(m."Wearing_Necktie", 0) AS mac, coalesce(x."Wearing_Necktie", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 41 AS attr_no, 'Wearing_Lipstick' AS attribute, coalesce(m."Wearing_Lipstick", 0) AS mac, coalesce(x."Wearing_Lipstick", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 42 AS attr_no, 'No_Eyewear' AS attribute, coalesce(m."No_Eyewear", 0) AS mac, coalesce(x."No_Eyewear", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 43 AS attr_no, 'Eyeglasses' AS attribute, coalesce(m."Eyeglasses", 0) AS mac, coalesce(x."Eyeglasses", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'LFW (LFWA+)' AS reference, 1 AS ref_no, 44 AS attr_no, 'Attractive' AS attribute, coalesce(m."Attractive", 0) AS mac, coalesce(x."Attractive", 0) AS ref FROM mac_lfw_k m JOIN lfw_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'CelebA' AS reference, 2 AS ref_no, 1 AS attr_no, 'Male' AS attribute, coalesce(m."Male", 0) AS mac, coalesce(x."Male", 0) AS ref FROM mac_celeba_k m JOIN celeba_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'CelebA' AS reference, 2 AS ref_no, 10 AS attr_no, 'Bald' AS attribute, coalesce(m."Bald", 0) AS mac, coalesce(x."Bald", 0) AS ref FROM mac_celeba_k m JOIN celeba_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'CelebA' AS reference, 2 AS ref_no, 11 AS attr_no, 'Wavy_Hair' AS attribute, coalesce(m."Wavy_Hair", 0) AS mac, coalesce(x."Wavy_Hair", 0) AS ref FROM mac_celeba_k m JOIN celeba_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'CelebA' AS reference, 2 AS ref_no, 12 AS attr_no, 'Receding_Hairline' AS attribute, coalesce(m."Receding_Hairline", 0) AS mac, coalesce(x."Receding_Hairline", 0) AS ref FROM mac_celeba_k m JOIN celeba_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'CelebA' AS reference, 2 AS ref_no, 13 AS attr_no, 'Bangs' AS attribute, coalesce(m."Bangs", 0) AS mac, coalesce(x."Bangs", 0) AS ref FROM mac_celeba_k m JOIN celeba_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'CelebA' AS reference, 2 AS ref_no, 14 AS attr_no, 'Sideburns' AS attribute, coalesce(m."Sideburns", 0) AS mac, coalesce(x."Sideburns", 0) AS ref FROM mac_celeba_k m JOIN celeba_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'CelebA' AS reference, 2 AS ref_no, 15 AS attr_no, 'Black_Hair' AS attribute, coalesce(m."Black_Hair", 0) AS mac, coalesce(x."Black_Hair", 0) AS ref FROM mac_celeba_k m JOIN celeba_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'CelebA' AS reference, 2 AS ref_no, 16 AS attr_no, 'Blond_Hair' AS attribute, coalesce(m."Blond_Hair", 0) AS mac, coalesce(x."Blond_Hair", 0) AS ref FROM mac_celeba_k m JOIN celeba_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'CelebA' AS reference, 2 AS ref_no, 17 AS attr_no, 'Brown_Hair' AS attribute, coalesce(m."Brown_Hair", 0) AS mac, coalesce(x."Brown_Hair", 0) AS ref FROM mac_celeba_k m JOIN celeba_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'CelebA' AS reference, 2 AS ref_no, 18 AS attr_no, 'No_Beard' AS attribute, coalesce(m."No_Beard", 0) AS mac, coalesce(x."No_Beard", 0) AS ref FROM mac_celeba_k m JOIN celeba_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'CelebA' AS reference, 2 AS ref_no, 19 AS attr_no, 'Mustache' AS attribute, coalesce(m."Mustache", 0) AS mac, coalesce(x."Mustache", 0) AS ref FROM mac_celeba_k m JOIN celeba_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'CelebA' AS reference, 2 AS ref_no, 20 AS attr_no, '5_o_Clock_Shadow' AS attribute, coalesce(m."5_o_Clock_Shadow", 0) AS mac, coalesce(x."5_o_Clock_Shadow", 0) AS ref FROM mac_celeba_k m JOIN celeba_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'CelebA' AS reference, 2 AS ref_no, 21 AS attr_no, 'Goatee' AS attribute, coalesce(m."Goatee", 0) AS mac, coalesce(x."Goatee", 0) AS ref FROM mac_celeba_k m JOIN celeba_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'CelebA' AS reference, 2 AS ref_no, 23 AS attr_no, 'Double_Chin' AS attribute, coalesce(m."Double_Chin", 0) AS mac, coalesce(x."Double_Chin", 0) AS ref FROM mac_celeba_k m JOIN celeba_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'CelebA' AS reference, 2 AS ref_no, 24 AS attr_no, 'High_Cheekbones' AS attribute, coalesce(m."High_Cheekbones", 0) AS mac, coalesce(x."High_Cheekbones", 0) AS ref FROM mac_celeba_k m JOIN celeba_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'CelebA' AS reference, 2 AS ref_no, 25 AS attr_no, 'Chubby' AS attribute, coalesce(m."Chubby", 0) AS mac, coalesce(x."Chubby", 0) AS ref FROM mac_celeba_k m JOIN celeba_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'CelebA' AS reference, 2 AS ref_no, 29 AS attr_no, 'Bags_Under_Eyes' AS attribute, coalesce(m."Bags_Under_Eyes", 0) AS mac, coalesce(x."Bags_Under_Eyes", 0) AS ref FROM mac_celeba_k m JOIN celeba_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'CelebA' AS reference, 2 AS ref_no, 30 AS attr_no, 'Bushy_Eyebrows' AS attribute, coalesce(m."Bushy_Eyebrows", 0) AS mac, coalesce(x."Bushy_Eyebrows", 0) AS ref FROM mac_celeba_k m JOIN celeba_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'CelebA' AS reference, 2 AS ref_no, 31 AS attr_no, 'Arched_Eyebrows' AS attribute, coalesce(m."Arched_Eyebrows", 0) AS mac, coalesce(x."Arched_Eyebrows", 0) AS ref FROM mac_celeba_k m JOIN celeba_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'CelebA' AS reference, 2 AS ref_no, 33 AS attr_no, 'Smiling' AS attribute, coalesce(m."Smiling", 0) AS mac, coalesce(x."Smiling", 0) AS ref FROM mac_celeba_k m JOIN celeba_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'CelebA' AS reference, 2 AS ref_no, 35 AS attr_no, 'Big_Nose' AS attribute, coalesce(m."Big_Nose", 0) AS mac, coalesce(x."Big_Nose", 0) AS ref FROM mac_celeba_k m JOIN celeba_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'CelebA' AS reference, 2 AS ref_no, 36 AS attr_no, 'Pointy_Nose' AS attribute, coalesce(m."Pointy_Nose", 0) AS mac, coalesce(x."Pointy_Nose", 0) AS ref FROM mac_celeba_k m JOIN celeba_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'CelebA' AS reference, 2 AS ref_no, 37 AS attr_no, 'Heavy_Makeup' AS attribute, coalesce(m."Heavy_Makeup", 0) AS mac, coalesce(x."Heavy_Makeup", 0) AS ref FROM mac_celeba_k m JOIN celeba_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'CelebA' AS reference, 2 AS ref_no, 38 AS attr_no, 'Wearing_Hat' AS attribute, coalesce(m."Wearing_Hat", 0) AS mac, coalesce(x."Wearing_Hat", 0) AS ref FROM mac_celeba_k m JOIN celeba_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'CelebA' AS reference, 2 AS ref_no, 39 AS attr_no, 'Wearing_Earrings' AS attribute, coalesce(m."Wearing_Earrings", 0) AS mac, coalesce(x."Wearing_Earrings", 0) AS ref FROM mac_celeba_k m JOIN celeba_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'CelebA' AS reference, 2 AS ref_no, 40 AS attr_no, 'Wearing_Necktie' AS attribute, coalesce(m."Wearing_Necktie", 0) AS mac, coalesce(x."Wearing_Necktie", 0) AS ref FROM mac_celeba_k m JOIN celeba_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'CelebA' AS reference, 2 AS ref_no, 41 AS attr_no, 'Wearing_Lipstick' AS attribute, coalesce(m."Wearing_Lipstick", 0) AS mac, coalesce(x."Wearing_Lipstick", 0) AS ref FROM mac_celeba_k m JOIN celeba_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'CelebA' AS reference, 2 AS ref_no, 43 AS attr_no, 'Eyeglasses' AS attribute, coalesce(m."Eyeglasses", 0) AS mac, coalesce(x."Eyeglasses", 0) AS ref FROM mac_celeba_k m JOIN celeba_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'CelebA' AS reference, 2 AS ref_no, 44 AS attr_no, 'Attractive' AS attribute, coalesce(m."Attractive", 0) AS mac, coalesce(x."Attractive", 0) AS ref FROM mac_celeba_k m JOIN celeba_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'FFHQ Face API' AS reference, 3 AS ref_no, 1 AS attr_no, 'Male' AS attribute, coalesce(m."Male", 0) AS mac, coalesce(x."Male", 0) AS ref FROM mac_ffhq_k m JOIN ffhq_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'FFHQ Face API' AS reference, 3 AS ref_no, 2 AS attr_no, 'Young' AS attribute, coalesce(m."Young", 0) AS mac, coalesce(x."Young", 0) AS ref FROM mac_ffhq_k m JOIN ffhq_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'FFHQ Face API' AS reference, 3 AS ref_no, 3 AS attr_no, 'Middle_Aged' AS attribute, coalesce(m."Middle_Aged", 0) AS mac, coalesce(x."Middle_Aged", 0) AS ref FROM mac_ffhq_k m JOIN ffhq_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'FFHQ Face API' AS reference, 3 AS ref_no, 4 AS attr_no, 'Senior' AS attribute, coalesce(m."Senior", 0) AS mac, coalesce(x."Senior", 0) AS ref FROM mac_ffhq_k m JOIN ffhq_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'FFHQ Face API' AS reference, 3 AS ref_no, 10 AS attr_no, 'Bald' AS attribute, coalesce(m."Bald", 0) AS mac, coalesce(x."Bald", 0) AS ref FROM mac_ffhq_k m JOIN ffhq_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'FFHQ Face API' AS reference, 3 AS ref_no, 14 AS attr_no, 'Sideburns' AS attribute, coalesce(m."Sideburns", 0) AS mac, coalesce(x."Sideburns", 0) AS ref FROM mac_ffhq_k m JOIN ffhq_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'FFHQ Face API' AS reference, 3 AS ref_no, 15 AS attr_no, 'Black_Hair' AS attribute, coalesce(m."Black_Hair", 0) AS mac, coalesce(x."Black_Hair", 0) AS ref FROM mac_ffhq_k m JOIN ffhq_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'FFHQ Face API' AS reference, 3 AS ref_no, 16 AS attr_no, 'Blond_Hair' AS attribute, coalesce(m."Blond_Hair", 0) AS mac, coalesce(x."Blond_Hair", 0) AS ref FROM mac_ffhq_k m JOIN ffhq_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'FFHQ Face API' AS reference, 3 AS ref_no, 17 AS attr_no, 'Brown_Hair' AS attribute, coalesce(m."Brown_Hair", 0) AS mac, coalesce(x."Brown_Hair", 0) AS ref FROM mac_ffhq_k m JOIN ffhq_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'FFHQ Face API' AS reference, 3 AS ref_no, 18 AS attr_no, 'No_Beard' AS attribute, coalesce(m."No_Beard", 0) AS mac, coalesce(x."No_Beard", 0) AS ref FROM mac_ffhq_k m JOIN ffhq_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'FFHQ Face API' AS reference, 3 AS ref_no, 19 AS attr_no, 'Mustache' AS attribute, coalesce(m."Mustache", 0) AS mac, coalesce(x."Mustache", 0) AS ref FROM mac_ffhq_k m JOIN ffhq_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'FFHQ Face API' AS reference, 3 AS ref_no, 20 AS attr_no, '5_o_Clock_Shadow' AS attribute, coalesce(m."5_o_Clock_Shadow", 0) AS mac, coalesce(x."5_o_Clock_Shadow", 0) AS ref FROM mac_ffhq_k m JOIN ffhq_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'FFHQ Face API' AS reference, 3 AS ref_no, 33 AS attr_no, 'Smiling' AS attribute, coalesce(m."Smiling", 0) AS mac, coalesce(x."Smiling", 0) AS ref FROM mac_ffhq_k m JOIN ffhq_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'FFHQ Face API' AS reference, 3 AS ref_no, 37 AS attr_no, 'Heavy_Makeup' AS attribute, coalesce(m."Heavy_Makeup", 0) AS mac, coalesce(x."Heavy_Makeup", 0) AS ref FROM mac_ffhq_k m JOIN ffhq_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'FFHQ Face API' AS reference, 3 AS ref_no, 38 AS attr_no, 'Wearing_Hat' AS attribute, coalesce(m."Wearing_Hat", 0) AS mac, coalesce(x."Wearing_Hat", 0) AS ref FROM mac_ffhq_k m JOIN ffhq_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'FFHQ Face API' AS reference, 3 AS ref_no, 41 AS attr_no, 'Wearing_Lipstick' AS attribute, coalesce(m."Wearing_Lipstick", 0) AS mac, coalesce(x."Wearing_Lipstick", 0) AS ref FROM mac_ffhq_k m JOIN ffhq_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'FFHQ Face API' AS reference, 3 AS ref_no, 42 AS attr_no, 'No_Eyewear' AS attribute, coalesce(m."No_Eyewear", 0) AS mac, coalesce(x."No_Eyewear", 0) AS ref FROM mac_ffhq_k m JOIN ffhq_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'FFHQ Face API' AS reference, 3 AS ref_no, 43 AS attr_no, 'Eyeglasses' AS attribute, coalesce(m."Eyeglasses", 0) AS mac, coalesce(x."Eyeglasses", 0) AS ref FROM mac_ffhq_k m JOIN ffhq_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'FairFace' AS reference, 4 AS ref_no, 1 AS attr_no, 'Male' AS attribute, coalesce(m."Male", 0) AS mac, coalesce(x."Male", 0) AS ref FROM mac_fairface_k m JOIN fairface_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'FairFace' AS reference, 4 AS ref_no, 2 AS attr_no, 'Young' AS attribute, coalesce(m."Young", 0) AS mac, coalesce(x."Young", 0) AS ref FROM mac_fairface_k m JOIN fairface_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'FairFace' AS reference, 4 AS ref_no, 3 AS attr_no, 'Middle_Aged' AS attribute, coalesce(m."Middle_Aged", 0) AS mac, coalesce(x."Middle_Aged", 0) AS ref FROM mac_fairface_k m JOIN fairface_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'FairFace' AS reference, 4 AS ref_no, 4 AS attr_no, 'Senior' AS attribute, coalesce(m."Senior", 0) AS mac, coalesce(x."Senior", 0) AS ref FROM mac_fairface_k m JOIN fairface_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'FairFace' AS reference, 4 AS ref_no, 5 AS attr_no, 'Asian' AS attribute, coalesce(m."Asian", 0) AS mac, coalesce(x."Asian", 0) AS ref FROM mac_fairface_k m JOIN fairface_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'FairFace' AS reference, 4 AS ref_no, 6 AS attr_no, 'White' AS attribute, coalesce(m."White", 0) AS mac, coalesce(x."White", 0) AS ref FROM mac_fairface_k m JOIN fairface_labels_k x ON m.image_key = x.image_key
  UNION ALL SELECT 'FairFace' AS reference, 4 AS ref_no, 7 AS attr_no, 'Black' AS attribute, coalesce(m."Black", 0) AS mac, coalesce(x."Black", 0) AS ref FROM mac_fairface_k m JOIN fairface_labels_k x ON m.image_key = x.image_key;

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
