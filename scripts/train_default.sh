#!/usr/bin/env bash
# Trains the default bundle's linear heads and writes models/mac.toml, models/mac-heads.parquet
# and models/mac-report.{md,parquet} from models/mac-base.toml and the labelled images in
# ../shared/data (FFHQ: Face API labels, CC BY-NC-SA 4.0; FairFace: CC BY 4.0).
#
#   scripts/train_default.sh            # uses target/release/macsql (built if missing)
#   MACSQL_BIN=path/to/macsql scripts/train_default.sh
#
# Deterministic: the same images, labels and binary give the same heads (fixed fold seeds).
# Rebuild macsql afterwards: the default bundle is built into the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${MACSQL_BIN:-target/release/macsql}"
if [[ ! -x "$bin" ]]; then
  cargo build --release
fi
data=../shared/data
"$bin" --data "$data/annotations/ffhq_faceapi.csv" --data "$data/annotations/fairface_val_1000.csv" \
  -f scripts/default_labels.sql >/dev/null
"$bin" train target/default-labels.csv --images-root . --model models/mac-base.toml \
  -o models/mac.toml --name mac-default \
  --label-licence "FFHQ Face API labels: CC BY-NC-SA 4.0 (non-commercial); FairFace labels: CC BY 4.0" \
  --attribute Male Young Middle_Aged Senior Smiling Asian White Black \
    Eyeglasses No_Eyewear No_Beard Mustache Sideburns 5_o_Clock_Shadow Bald Receding_Hairline \
    Black_Hair Brown_Hair Blond_Hair Gray_Hair Heavy_Makeup Wearing_Lipstick Wearing_Hat \
  "$@"
