#!/usr/bin/env bash
# Annotates the shared real and synthetic image sets with the default bundle (labels and face
# embeddings) into one dataset folder, target/faces/ (a partition per dataset), with identities
# where the set has them, for queries/identity.sql and the README's "comparing identities":
#
#   scripts/identity_tables.sh            # then: macsql --data faces=target/faces -f queries/identity.sql
#
# real: FFHQ (600, one image a person), FairFace (1,000), LFW (8,792 of 4,847 people: identity =
# folder), CelebA small (9,723 of 5,297 people: identity = celeba_identity.txt); synthetic:
# StyleGAN2 (200), SFHQ (560), IDiff-Face (90 tiles of its figures: identity = the figure and its
# row, one identity per row) and DCFace (21). About 6 minutes on 2 cores with a release build
# (MACSQL_BIN, default target/release/macsql, built if missing). A dataset already done is skipped.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bin="${MACSQL_BIN:-target/release/macsql}"
[[ -x "$bin" ]] || cargo build --release --quiet
images="$(cd ../shared/data/images && pwd)"
annotations="$(cd ../shared/data/annotations && pwd)"
out=target/faces
lists=target/faces-lists
mkdir -p "$out" "$lists"

annotate() { # dataset kind inputs...
    "$bin" annotate -q --dataset "$1" --kind "$2" -o "$out/" "${@:3}"
}

# CelebA small: the person of each image from CelebA's identity file.
awk -v dir="$images/real/celeba_small" 'BEGIN { print "path,identity" }
    { f = dir "/" $1; if ((getline line < f) >= 0) { close(f); print f "," $2 } }' \
    "$annotations/celeba_identity.txt" > "$lists/celeba.csv"
# IDiff-Face: tiles `FIGURE_rRcC.png`; a row of a figure is one identity.
{
    echo "path,identity"
    for f in "$images"/synthetic/idiff_face/*.png; do
        name="$(basename "$f" .png)"
        echo "$f,${name%c*}"
    done
} > "$lists/idiff_face.csv"

annotate ffhq real "$images/real/ffhq"
annotate fairface real "$images/real/fairface"
annotate lfw real --identity-from-dir "$images/real/lfw"
annotate celeba real "$lists/celeba.csv"
annotate stylegan2 synthetic "$images/synthetic/stylegan2"
annotate sfhq synthetic "$images/synthetic/sfhq"
annotate idiff_face synthetic "$lists/idiff_face.csv"
annotate dcface synthetic "$images/synthetic/dcface"
"$bin" --data faces="$out" -c "SELECT dataset, count(*) AS rows, count(embedding) AS faces, count(DISTINCT identity) AS identities FROM faces GROUP BY dataset ORDER BY dataset"
