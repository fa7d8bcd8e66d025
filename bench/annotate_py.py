"""The Python side of benchmark workload 5: the annotation pipeline a user would write with
onnxruntime, numpy and Pillow, driven by the same bundle manifest as `macsql annotate`.

With a `[detector]` (the default bundle): per batch, decode with Pillow; letterbox each image into
the detector input (shrink to fit, black padding, the manifest's normalisation); run the
detector; decode RetinaFace's priors, boxes and landmarks with numpy, threshold, NMS; take the
largest face; per model (and the `[regions]` chip), the least-squares similarity from its template
(dlib's face frame, grown by `padding` or cut to `box`) onto the five points and the face chip
through it (Pillow's affine transform at `ss` times the size, bilinear, then `reduce(ss)`: the same
supersampled bilinear sampling as macsql); then each model on its stacked chips in its colour
(RGB, BGR or gray), normalisation and layout (NCHW or NHWC). Without a detector: each model's
`crop` box resized with Pillow (macsql `--detect none`).

The outputs become attributes as macsql reads them: a softmax unless `softmax_in_graph`, `mirror`
averaging, `index` / `value` / `mass` / `expected` readers, and `linear` heads (the bundle's heads
file) over the feature vector: each model's `features` output in manifest order (which may be its
`output` too), then the region statistics.

`ceiling` prepares every tensor first (untimed) and times only the sessions: the detector, then
the models, batch by batch.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

# The dlib template (src/mac/face/align.rs DLIB_TEMPLATE): landmark -> point in dlib's chip frame.
DLIB = {"left_eye": (0.2254918, 0.2159903), "right_eye": (0.7547613, 0.2159903),
        "nose": (0.490127, 0.515625), "mouth_left": (0.254149, 0.780233),
        "mouth_right": (0.726104, 0.780233), "mouth": (0.490127, 0.8085725)}


def sessions(manifest: dict, threads: int, spinning: bool = False) -> dict:
    """One session per model (and the detector, under "detector"). `spinning=False` matches
    macsql's sessions (intra-op workers block instead of spinning)."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
    out = {m["name"]: ort.InferenceSession(m["file"], so, providers=["CPUExecutionProvider"])
           for m in manifest["model"]}
    if detector(manifest):
        out["detector"] = ort.InferenceSession(manifest["detector"]["file"], so, providers=["CPUExecutionProvider"])
    return out


def detector(manifest: dict) -> dict | None:
    d = manifest.get("detector")
    if isinstance(d, dict):
        if d.get("decoder") != "retinaface":
            raise SystemExit("bench: the Python pipeline implements the RetinaFace decoder only")
        return d
    return None


def norm(spec: dict, channels: int):
    """(mean, multiplier) arrays of a manifest's mean with scale or std."""
    import numpy as np

    mean = np.asarray(spec.get("mean", [0.0]), np.float32)
    if "std" in spec:
        mul = 1 / np.asarray(spec["std"], np.float32)
    else:
        mul = np.float32(spec.get("scale", 1.0))
    return np.broadcast_to(mean, (channels,)), np.broadcast_to(mul, (channels,))


def open_rgb(path: Path):
    """The image at `path` as RGB; an unreadable file becomes None (macsql writes an error row)."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            return im.convert("RGB")
    except Exception:  # noqa: BLE001
        return None


def to_tensor(pixels, spec: dict):
    """uint8 HxWx3 RGB pixels as the model's (or detector's) input: colour, normalisation, layout."""
    import numpy as np

    a = pixels.astype(np.float32)
    colour = spec.get("colour", "RGB").lower()
    if colour in ("gray", "grey"):  # ITU-R 601 luma, unrounded
        a = (a @ np.asarray([0.299, 0.587, 0.114], np.float32))[:, :, None]
    elif colour == "bgr":
        a = a[:, :, ::-1]
    mean, mul = norm(spec, a.shape[2])
    a = (a - mean) * mul
    if spec.get("layout", "NCHW").upper() == "NCHW":
        a = a.transpose(2, 0, 1)
    return np.ascontiguousarray(a, np.float32)


def letterbox(img, det: dict):
    """The detector input of `img` (shrunk to fit, never enlarged, black padding) and the scale."""
    import numpy as np
    from PIL import Image

    cw, ch = det["size"]
    w, h = img.size
    s = min(cw / w, ch / h, 1.0)
    nw, nh = min(max(1, round(w * s)), cw), min(max(1, round(h * s)), ch)
    if (nw, nh) != (w, h):
        img = img.resize((nw, nh), Image.Resampling.BILINEAR)
    canvas = np.zeros((ch, cw, 3), np.uint8)
    canvas[:nh, :nw] = np.asarray(img)
    return to_tensor(canvas, det), (nw / w, nh / h)


def priors(det: dict):
    import numpy as np

    cw, ch = det["size"]
    out = []
    for stride, sizes in zip(det["priors"]["strides"], det["priors"]["sizes"]):
        ny, nx = math.ceil(ch / stride), math.ceil(cw / stride)
        yy, xx = np.meshgrid(np.arange(ny), np.arange(nx), indexing="ij")
        centres = np.stack([(xx.ravel() + 0.5) * stride / cw, (yy.ravel() + 0.5) * stride / ch], 1)
        for_cell = [np.concatenate([centres, np.tile([[s / cw, s / ch]], (len(centres), 1))], 1) for s in sizes]
        out.append(np.stack(for_cell, 1).reshape(-1, 4))
    return np.concatenate(out).astype(np.float32)


def nms(boxes, scores, threshold):
    import numpy as np

    order = np.argsort(-scores, kind="stable")
    keep = []
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    while order.size:
        i, rest = order[0], order[1:]
        keep.append(i)
        w = np.clip(np.minimum(boxes[i, 2], boxes[rest, 2]) - np.maximum(boxes[i, 0], boxes[rest, 0]), 0, None)
        h = np.clip(np.minimum(boxes[i, 3], boxes[rest, 3]) - np.maximum(boxes[i, 1], boxes[rest, 1]), 0, None)
        inter = w * h
        order = rest[inter / (area[i] + area[rest] - inter) <= threshold]
    return keep


def largest_faces(outputs, det: dict, pri, scales):
    """Per image, the landmarks (source pixels) of the largest face, or None."""
    import numpy as np

    loc, conf, lms = outputs
    cw, ch = det["size"]
    v0, v1 = det["priors"]["variance"]
    res = []
    for b, (sx, sy) in enumerate(scales):
        score = conf[b][:, 1]
        idx = np.where(score > det["score_threshold"])[0]
        if idx.size == 0:
            res.append(None)
            continue
        l, p = loc[b][idx], pri[idx]
        ctr = p[:, :2] + l[:, :2] * v0 * p[:, 2:]
        wh = p[:, 2:] * np.exp(l[:, 2:] * v1)
        boxes = np.concatenate([ctr - wh / 2, ctr + wh / 2], 1) * [cw, ch, cw, ch]
        keep = nms(boxes, score[idx], det["nms_threshold"])
        areas = [(boxes[k, 2] - boxes[k, 0]) * (boxes[k, 3] - boxes[k, 1]) for k in keep]
        k = keep[int(np.argmax(areas))]
        pts = (p[k, None, :2] + lms[b][idx[k]].reshape(-1, 2) * v0 * p[k, None, 2:]) * [cw, ch]
        res.append(pts / [sx, sy])
    return res


def targets(model: dict, landmarks: list[str]):
    """(landmark indices, chip-pixel targets) of a model's alignment."""
    import numpy as np

    a = model["align"]
    points = a.get("points") or DLIB
    l, t, r, b = frame(a)
    w, h = model["size"]
    idx = [i for i, n in enumerate(landmarks) if n in points]
    tgt = np.asarray([[(points[landmarks[i]][0] - l) / (r - l) * w, (points[landmarks[i]][1] - t) / (b - t) * h]
                      for i in idx])
    return idx, tgt


def frame(align: dict) -> tuple:
    """The part `[left, top, right, bottom]` of the template's unit frame a chip shows, as
    src/mac/face/align.rs `AlignSpec::frame`: `box` as given, else the frame grown by `padding`
    (default 0.2, dlib's) on every side."""
    if "box" in align and "padding" in align:
        raise SystemExit("bench: an align table gives either padding or box, not both")
    if "box" in align:
        return tuple(float(v) for v in align["box"])
    p = float(align.get("padding", 0.2))
    return -p, -p, 1 + p, 1 + p


def similarity(src, dst):
    """Least-squares similarity mapping src -> dst (2x3)."""
    import numpy as np

    ms, md = src.mean(0), dst.mean(0)
    s, d = src - ms, dst - md
    n = (s ** 2).sum()
    a = (s[:, 0] * d[:, 0] + s[:, 1] * d[:, 1]).sum() / n
    b = (s[:, 0] * d[:, 1] - s[:, 1] * d[:, 0]).sum() / n
    return np.asarray([[a, -b, md[0] - (a * ms[0] - b * ms[1])], [b, a, md[1] - (b * ms[0] + a * ms[1])]])


def level_for(scale: float) -> int:
    return min(12, int(math.floor(math.log2(scale)))) if scale >= 2 else 0


def pyramid(img, chips):
    """macsql's face region (src/mac/face/chip.rs): the union of the chips' footprints plus a margin,
    black past the image's edge, and its 2 x 2 halvings. Returns (origin, levels)."""
    import numpy as np

    depth = max(level_for(math.hypot(m[0, 0], m[1, 0])) for m, _ in chips)
    pts = np.concatenate([(m @ np.array([[0, w, 0, w], [0, 0, h, h], [1, 1, 1, 1]])).T for m, (w, h) in chips])
    margin = 2.0 * 2 ** depth
    iw, ih = img.size
    x0 = int(np.clip(np.floor(pts[:, 0].min() - margin), -16384, iw))
    y0 = int(np.clip(np.floor(pts[:, 1].min() - margin), -16384, ih))
    x1 = int(np.clip(np.ceil(pts[:, 0].max() + margin), x0, min(x0 + 16384, iw + 16384)))
    y1 = int(np.clip(np.ceil(pts[:, 1].max() + margin), y0, min(y0 + 16384, ih + 16384)))
    src = np.asarray(img)
    base = np.zeros((y1 - y0, x1 - x0, 3), np.uint8)
    sx0, sx1, sy0, sy1 = max(x0, 0), min(x1, iw), max(y0, 0), min(y1, ih)
    if sx1 > sx0 and sy1 > sy0:
        base[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = src[sy0:sy1, sx0:sx1]
    levels = [base]
    for _ in range(depth):
        a = levels[-1]
        h, w = a.shape[0] // 2, a.shape[1] // 2
        if h < 1 or w < 1:
            break
        b = a[:2 * h, :2 * w].astype(np.uint16)
        levels.append(((b[0::2, 0::2] + b[0::2, 1::2] + b[1::2, 0::2] + b[1::2, 1::2] + 2) // 4).astype(np.uint8))
    return (x0, y0), levels


def face_chip(origin, levels, m, size):
    """The chip through chip->image map `m`, as macsql cuts it: from the level where it shrinks
    by less than 2, 2 x 2 bilinear samples per pixel (Pillow's affine transform at twice the size,
    then `reduce(2)`), one when it does not shrink; black outside."""
    import numpy as np
    from PIL import Image

    scale = math.hypot(m[0, 0], m[1, 0])
    k = min(level_for(scale), len(levels) - 1)
    s = 2 ** k
    mk = np.array([[m[0, 0] / s, m[0, 1] / s, (m[0, 2] - origin[0]) / s],
                   [m[1, 0] / s, m[1, 1] / s, (m[1, 2] - origin[1]) / s]])
    ss = 2 if scale / s > 1 else 1
    w, h = size
    mm = mk @ np.array([[1 / ss, 0, 0], [0, 1 / ss, 0], [0, 0, 1]])
    big = Image.fromarray(levels[k]).transform((w * ss, h * ss), Image.Transform.AFFINE, tuple(mm.ravel()),
                                               Image.Resampling.BILINEAR)
    return np.asarray(big.reduce(ss) if ss > 1 else big)


def crop_pixels(img, model: dict):
    """Without detection: the model's `crop` box resized (Pillow BILINEAR)."""
    import numpy as np
    from PIL import Image

    w, h = img.size
    l, t, r, b = model.get("crop", (0.0, 0.0, 1.0, 1.0))
    box = (round(l * w), round(t * h), round(r * w), round(b * h))
    return np.asarray(img.crop(box).resize(tuple(model["size"]), Image.Resampling.BILINEAR))


def add_input(tensors: list, pixels, model: dict) -> None:
    """Appends the model's input of `pixels`: once, or as is and mirrored left to right for a
    model with `mirror` (its outputs are averaged, as macsql does)."""
    tensors.append(to_tensor(pixels, model))
    if model.get("mirror"):
        tensors.append(to_tensor(pixels[:, ::-1], model))


def feature_layout(manifest: dict, sess: dict) -> list[dict]:
    """The blocks of the bundle's feature vector, as macsql lays it out: each model's `features`
    output (manifest order, its width from the session), then the regions (23 x 21)."""
    import regions_py

    out = []
    for m in manifest["model"]:
        if m.get("features"):
            o = next((o for o in sess[m["name"]].get_outputs() if o.name == m["features"]), None)
            if o is None or len(o.shape) != 2 or not isinstance(o.shape[1], int):
                raise SystemExit(f"bench: model {m['name']} has no [N, k] output '{m['features']}'")
            out.append({"source": m["name"], "width": o.shape[1]})
    if manifest.get("regions"):
        out.append({"source": "regions", "width": regions_py.WIDTH})
    return out


def load_heads(manifest: dict, layout: list[dict] | None = None):
    """The linear heads of the bundle: {attribute: (bias, weights)}, feature means; or None.
    With `layout` (`feature_layout`), refuses a heads file learned on other features."""
    import json

    import numpy as np
    import polars as pl

    if not manifest.get("heads"):
        return None
    meta = pl.read_parquet_metadata(manifest["heads"])
    want = json.loads(meta["macsql.heads.layout"])
    if layout is not None and [(b["source"], b["width"]) for b in want] != [(b["source"], b["width"]) for b in layout]:
        show = lambda l: ", ".join(f"{b['source']} {b['width']}" for b in l)  # noqa: E731
        raise SystemExit(f"bench: {manifest['heads']} reads features [{show(want)}] but the bundle gives [{show(layout)}]")
    mean = np.asarray(json.loads(meta["macsql.heads.mean"]), np.float32)
    rows = pl.read_parquet(manifest["heads"]).to_dicts()
    return {r["attribute"]: (r["bias"], np.asarray(r["weights"], np.float32)) for r in rows}, mean


def read_attributes(manifest: dict, outputs: dict, features=None, heads=None) -> dict:
    """Attribute probabilities / estimates of a batch from the model outputs (numpy arrays),
    and linear heads over the feature vectors (NaN features read as their training mean)."""
    import numpy as np

    res = {}
    if heads is not None and features is not None:
        table, mean = heads
        x = np.where(np.isnan(features), mean, features)
    for att in manifest["attribute"]:
        if att.get("read") == "linear":
            bias, w = table[att["name"]]
            res[att["name"]] = 1 / (1 + np.exp(-(bias + x.astype(np.float64) @ w.astype(np.float64))))
            continue
        o = outputs[att["model"]]
        read = att.get("read", "index")
        if read in ("index", "value"):
            res[att["name"]] = o[:, att.get("index", 0)]
        elif read == "mass":
            lo, hi = att["bins"]
            res[att["name"]] = o[:, lo:hi].sum(axis=1).clip(0.0, 1.0)
        elif read == "expected":
            res[att["name"]] = o @ np.asarray(att["weights"], dtype=o.dtype)
    return res


def prepare(chunk, manifest, sess, pri):
    """The model inputs of a batch: (kept image indices, {model: [tensors]})."""
    import numpy as np

    det = detector(manifest)
    imgs = [open_rgb(p) for p in chunk]
    good = [i for i, im in enumerate(imgs) if im is not None]
    tensors = {m["name"]: [] for m in manifest["model"]}
    if det is None:
        for i in good:
            for m in manifest["model"]:
                add_input(tensors[m["name"]], crop_pixels(imgs[i], m), m)
        return good, tensors
    boxed = [letterbox(imgs[i], det) for i in good]
    outs = sess["detector"].run(det["outputs"], {det["input"]: np.stack([b[0] for b in boxed])})
    found = largest_faces(outs, det, pri, [b[1] for b in boxed])
    kept = []
    reg = manifest.get("regions")
    for i, pts in zip(good, found):
        if pts is None:
            continue
        kept.append(i)
        chips = []
        for m in manifest["model"] + ([reg] if reg else []):
            idx, tgt = targets(m, det["landmarks"])
            chips.append((similarity(tgt, pts[idx]), m["size"]))
        origin, levels = pyramid(imgs[i], chips)
        for m, (t, size) in zip(manifest["model"], chips):
            add_input(tensors[m["name"]], face_chip(origin, levels, t, size), m)
        if reg:
            import regions_py

            t, size = chips[-1]
            chip = face_chip(origin, levels, t, size)
            inside = regions_py.inside_mask(t, size[0], size[1], *imgs[i].size)
            tensors.setdefault("regions", []).append(regions_py.features(chip, inside, frame(reg["align"])))
    return kept, tensors


def softmax(x):
    """Row-wise softmax of logits (macsql's, for a model without `softmax_in_graph`)."""
    import numpy as np

    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def infer(manifest: dict, sess: dict, tensors: dict):
    """Runs every model on a batch's tensors: ({model: probability rows}, {block: feature rows})
    with the blocks in feature order (models with `features`, then "regions"). A model's output
    is softmaxed unless `softmax_in_graph`; a `mirror` model's two views are averaged (features
    and probabilities), as in macsql's classifier."""
    import numpy as np

    o, feats = {}, {}
    for m in manifest["model"]:
        out = m.get("output") or sess[m["name"]].get_outputs()[0].name
        names = list(dict.fromkeys([out] + ([m["features"]] if m.get("features") else [])))
        r = dict(zip(names, sess[m["name"]].run(names, {m["input"]: np.stack(tensors[m["name"]])})))
        views = 2 if m.get("mirror") else 1
        p = r[out].reshape(r[out].shape[0], -1)
        p = p if m.get("softmax_in_graph") else softmax(p)
        o[m["name"]] = p.reshape(-1, views, p.shape[1]).mean(1)
        if m.get("features"):
            f = r[m["features"]]
            feats[m["name"]] = f.reshape(-1, views, f.shape[1]).mean(1)
    if "regions" in tensors:
        feats["regions"] = np.stack(tensors["regions"])
    return o, feats


def annotate(images: list[Path], manifest: dict, batch: int, threads: int, spinning: bool = False,
             keep_features: bool = False) -> dict:
    """The straightforward pipeline: per batch, decode, detect, align, then infer. With
    `keep_features`, also each image's feature blocks (under "features:<block>")."""
    import numpy as np

    sess = sessions(manifest, threads, spinning)
    det = detector(manifest)
    pri = priors(det) if det else None
    heads = load_heads(manifest, feature_layout(manifest, sess))
    outs: dict[str, list] = {"path": []}
    for i in range(0, len(images), batch):
        chunk = images[i:i + batch]
        kept, tensors = prepare(chunk, manifest, sess, pri)
        if not kept:
            continue
        o, feats = infer(manifest, sess, tensors)
        features = np.concatenate(list(feats.values()), 1) if feats else None
        for k, v in read_attributes(manifest, o, features, heads).items():
            outs.setdefault(k, []).extend(float(x) for x in v)
        if keep_features:
            for k, v in feats.items():
                outs.setdefault("features:" + k, []).extend(row.tolist() for row in v)
        outs["path"].extend(str(chunk[k]) for k in kept)
    return outs


def ceiling(images: list[Path], manifest: dict, batch: int, threads: int) -> float:
    """Seconds for the sessions alone (detector and models) on tensors prepared beforehand."""
    import numpy as np

    sess = sessions(manifest, threads)
    det = detector(manifest)
    pri = priors(det) if det else None
    runs = []
    for i in range(0, len(images), batch):
        chunk = images[i:i + batch]
        det_in = None
        if det:
            det_in = np.stack([letterbox(im, det)[0] for im in map(open_rgb, chunk) if im is not None])
        _, tensors = prepare(chunk, manifest, sess, pri)
        runs.append((det_in, {k: np.stack(v) for k, v in tensors.items() if v}))
    def run(det_in, tensors):
        if det_in is not None:
            sess["detector"].run(None, {det["input"]: det_in})
        for m in manifest["model"]:
            if m["name"] in tensors:
                sess[m["name"]].run(None, {m["input"]: tensors[m["name"]]})
    run(*runs[0])  # warm-up
    t0 = time.perf_counter()
    for r in runs:
        run(*r)
    return time.perf_counter() - t0
