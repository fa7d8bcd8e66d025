#!/usr/bin/env bash
# Trains the default bundle: writes models/mac.toml, models/mac-heads.parquet and
# models/mac-report.{md,parquet} (+ mac-report-sources.parquet) from models/mac-base.toml and the
# labelled images in ../shared/data: LFW with the LFWA+ labels, CelebA (celeba_small), FFHQ with
# the Face API labels and FairFace, mapped onto MAAD-Face names by scripts/default_labels.sql.
#
#   scripts/train_default.sh            # uses target/release/macsql (built if missing)
#   MACSQL_BIN=path/to/macsql scripts/train_default.sh
#   scripts/train_default.sh labels     # only the label tables target/labels/*.csv
#
# About 20,000 images: the features are kept in target/labels/features.parquet, so a second run
# (other attributes, other label definitions) skips the extraction. Deterministic: the same
# images, labels and binary give the same heads (fixed fold seeds). Rebuild macsql afterwards:
# the default bundle is built into the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${MACSQL_BIN:-target/release/macsql}"
if [[ ! -x "$bin" ]]; then
  cargo build --release
fi
data=../shared/data
ann=$data/annotations
mkdir -p target/labels
"$bin" import --format lfwa "$ann/lfwa_att_73.csv" --dataset lfw --kind real -o target/labels/lfwa73.parquet
"$bin" import --format lfwa "$ann/lfwa_att_40.csv" --dataset lfw --kind real -o target/labels/lfwa40.parquet
"$bin" import --format celeba "$ann/celeba_list_attr.txt" --dataset celeba --kind real -o target/labels/celeba.parquet
"$bin" --data "$ann/ffhq_faceapi.csv" --data "$ann/fairface_val_1000.csv" \
  --data target/labels/lfwa73.parquet --data target/labels/lfwa40.parquet --data target/labels/celeba.parquet \
  -f scripts/default_labels.sql >/dev/null
if [[ "${1:-}" == labels ]]; then
  echo "target/labels/: lfw.csv celeba.csv ffhq.csv fairface.csv"
  exit 0
fi
"$bin" train target/labels/lfw.csv target/labels/celeba.csv target/labels/ffhq.csv target/labels/fairface.csv \
  --group person --images-root . --model models/mac-base.toml --features target/labels/features.parquet \
  --repeats 6 -o models/mac.toml --name mac-default \
  --label-licence "LFW / LFWA+ labels: research use only; CelebA: non-commercial research only; FFHQ Face API labels: CC BY-NC-SA 4.0 (non-commercial); FairFace labels: CC BY 4.0. Heads learned from them inherit these terms: non-commercial research use." \
  --attribute Male Young Middle_Aged Senior Asian White Black Rosy_Cheeks Shiny_Skin Bald Wavy_Hair \
    Receding_Hairline Bangs Sideburns Black_Hair Blond_Hair Brown_Hair Gray_Hair No_Beard Mustache \
    5_o_Clock_Shadow Goatee Oval_Face Square_Face Round_Face Double_Chin High_Cheekbones Chubby \
    Obstructed_Forehead Fully_Visible_Forehead Brown_Eyes Bags_Under_Eyes Bushy_Eyebrows \
    Arched_Eyebrows Mouth_Closed Smiling Big_Lips Big_Nose Pointy_Nose Heavy_Makeup Wearing_Hat \
    Wearing_Earrings Wearing_Necktie Wearing_Lipstick No_Eyewear Eyeglasses Attractive \
  "$@"
