#!/usr/bin/env python3
"""Rewrite the default bundle's ONNX models so that they also output internal feature tensors.

    python3 scripts/expose_features.py [--models models] [--out DIR] [--suffix -features] [--screen]

For each model below, writes `<stem><suffix>.onnx` (default: next to the original, e.g.
models/gender-v1-features.onnx) and prints its sha256. The graph is unchanged: the original
outputs stay first and in their order, followed by one flat `features` output [N, k] that the
bundle's manifest names (`features = "features"`): the internal tensor below, flattened (after
a global average pool for the FER model; faceres: its pooled feature and three pooled blocks). With `--screen` the layer-screen tensors are appended
as outputs too (float32, with the shapes that onnx.shape_inference gives). The files are written
with deterministic protobuf serialisation, so the same input gives the same bytes.

Exposed tensors (default set), used by linear attribute heads on top of the models that macsql
runs anyway (see the report these heads were measured in: linear heads on these features reach
cross-validated ROC AUC >= 0.85 for several MAAD-Face attributes on FFHQ / FairFace):

  gender-v1.onnx  `layer_4_flatten`        [N, 4096]      the input of the first Gemm: the last
                                                          conv stage (64 ch, 8x8, after the 2x2
                                                          average pool and the scalar Mul),
                                                          flattened; used as is.
  age-v1.onnx     `layer_13_averagepool`   [N, 128, 3, 3] the 128-channel stage (`layer_22_relu`,
                                                          7x7) after the graph's own 2x2 / stride 2
                                                          average pool (the residual shortcut of
                                                          the next stage): 1,152 values, used as
                                                          is (flattened C, H, W order).
  emotion-fer-minixception.onnx
                  `model_1/add_4/add:0`    [N, 128, 4, 4] the last residual block's output, the
                                                          input of the 7-class 1x1 conv; global
                                                          average over the 4x4 grid (a node added
                                                          to the graph) gives 128 features.
  faceres.onnx    `global_pooling/Mean`    [N, 1024]      the face-recognition feature, then the
                  `conv_pw_7_relu/...`     [N, 512, 14, 14]  global averages of three mid-level
                  `conv_pw_9_relu/...`     [N, 512, 14, 14]  MobileNet blocks (texture and colour
                  `conv_pw_11_relu/...`    [N, 512, 14, 14]  that the identity feature averages
                                                          away: grey hair, baldness, facial hair),
                                                          concatenated: 2,560 features.

Why faceres' mid-level blocks: linear heads on them find the attributes that its last layer,
trained to tell people apart, keeps least of. Measured on 8,359 LFW, CelebA and FFHQ images
(person-grouped 5-fold, two splits; models/README.md "Tried for more heads"): AUC of Sideburns
0.907 -> 0.919, Gray_Hair 0.953 -> 0.958, Bald 0.959 -> 0.964, and the precision of the top 20% of
the ranking, which decides the positive band side, up 3-6 points on Sideburns, Mustache, Bald and
Gray_Hair; blocks 3 and 5 or block 12 added less, spatial 3 x 3 grids of the last block nothing.

Why the others: they are the widest tensors nearest the models' outputs that are still spatial or
not yet collapsed into the models' own classes (gender's 16-unit hidden layer and age's 256
pooled features lose most of the non-gender / non-age information), and they cost nothing to
read: the models compute them anyway.

`--screen` adds the tensors compared in the layer screen (more outputs, same graph):
  gender-v1: layer_14_relu [N,32,32,32], layer_7_relu [N,64,16,16], layer_3_relu [N,16], logits
  age-v1:    layer_41_relu [N,64,14,14], layer_22_relu [N,128,7,7], layer_3_relu [N,256,3,3],
             layer_1_flatten [N,256], logits
  FER:       model_1/add_2/add:0 [N,32,15,15], model_1/add_3/add:0 [N,64,8,8],
             model_1/conv2d_7/BiasAdd:0 [N,7,4,4]
"""
from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

DEFAULT = {
    "gender-v1.onnx": ["layer_4_flatten"],
    "age-v1.onnx": ["layer_13_averagepool"],
    "emotion-fer-minixception.onnx": ["model_1/add_4/add:0"],
}
# How the first exposed tensor becomes the flat `features` output the manifest names.
POOL = {"emotion-fer-minixception.onnx": "global"}
# faceres: its own pooled feature followed by the global averages of these blocks.
FACERES = "faceres.onnx"
FACERES_BLOCKS = [f"conv_pw_{k}_relu/clip_by_value:0" for k in (7, 9, 11)]
SCREEN = {
    "gender-v1.onnx": ["layer_14_relu", "layer_7_relu", "layer_3_relu", "logits"],
    "age-v1.onnx": ["layer_41_relu", "layer_22_relu", "layer_3_relu", "layer_1_flatten", "logits"],
    "emotion-fer-minixception.onnx": ["model_1/add_2/add:0", "model_1/add_3/add:0",
                                      "model_1/conv2d_7/BiasAdd:0"],
}


def expose(model, source: str, names: list[str], pool: str | None):
    """A copy of `model` with the internal tensor `source` as a flat `features` output [N, k]
    (global average pooled first when `pool` is "global"), and the internal tensors `names`
    appended as graph outputs as they are."""
    import onnx
    from onnx import helper, shape_inference

    out = onnx.ModelProto()
    out.CopyFrom(model)
    inferred = shape_inference.infer_shapes(model)
    info = {v.name: v for v in inferred.graph.value_info}
    produced = {o for n in model.graph.node for o in n.output}
    have = {o.name for o in out.graph.output}
    if source not in produced:
        raise SystemExit(f"expose_features: no node produces tensor {source!r}")
    for name in names:
        if name not in produced:
            raise SystemExit(f"expose_features: no node produces tensor {name!r}")
        if name in have:
            continue
        vi = onnx.ValueInfoProto()
        if name in info:
            vi.CopyFrom(info[name])
        else:  # no inferred shape: float32 of unknown shape
            vi.CopyFrom(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
        out.graph.output.append(vi)
        have.add(name)
    if pool == "global":
        out.graph.node.append(helper.make_node("GlobalAveragePool", [source], ["features_pooled"],
                                               name="macsql_features_pool"))
        source = "features_pooled"
    out.graph.node.append(helper.make_node("Flatten", [source], ["features"], axis=1,
                                           name="macsql_features_flatten"))
    out.graph.output.append(helper.make_tensor_value_info("features", onnx.TensorProto.FLOAT, None))
    out = shape_inference.infer_shapes(out)
    onnx.checker.check_model(out)
    return out


def expose_pooled(model, first: str, blocks: list[str]):
    """A copy of `model` with a flat `features` output [N, k]: the tensor `first` ([N, c]) and the
    global average of each tensor of `blocks` ([N, c, h, w]), concatenated in that order."""
    import onnx
    from onnx import helper, shape_inference

    out = onnx.ModelProto()
    out.CopyFrom(model)
    produced = {o for n in model.graph.node for o in n.output}
    missing = [name for name in [first] + blocks if name not in produced]
    if missing:
        raise SystemExit(f"expose_features: no node produces tensor {missing[0]!r}")
    parts = [first]
    for i, name in enumerate(blocks, 1):
        out.graph.node.append(helper.make_node("GlobalAveragePool", [name], [f"features_pool_{i}"],
                                               name=f"macsql_features_pool_{i}"))
        out.graph.node.append(helper.make_node("Flatten", [f"features_pool_{i}"], [f"features_part_{i}"],
                                               axis=1, name=f"macsql_features_flatten_{i}"))
        parts.append(f"features_part_{i}")
    out.graph.node.append(helper.make_node("Concat", parts, ["features"], axis=1,
                                           name="macsql_features_concat"))
    out.graph.output.append(helper.make_tensor_value_info("features", onnx.TensorProto.FLOAT, None))
    out = shape_inference.infer_shapes(out)
    onnx.checker.check_model(out)
    return out


def write(m, src: Path, out_dir: Path, suffix: str) -> None:
    data = m.SerializeToString(deterministic=True)
    dst = out_dir / f"{src.stem}{suffix}.onnx"
    if dst.resolve() == src.resolve():
        raise SystemExit("expose_features: refusing to overwrite the original model")
    dst.write_bytes(data)
    outs = ", ".join(o.name for o in m.graph.output)
    print(f"{hashlib.sha256(data).hexdigest()}  {dst}  ({len(data):,} bytes; outputs: {outs})")


def main() -> int:
    import onnx

    here = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=Path, default=here / "models", help="folder with the original ONNX files")
    ap.add_argument("--out", type=Path, default=None, help="output folder (default: --models)")
    ap.add_argument("--suffix", default="-features", help="added to each file stem")
    ap.add_argument("--screen", action="store_true", help="also expose the layer-screen tensors")
    args = ap.parse_args()
    out_dir = args.out or args.models
    out_dir.mkdir(parents=True, exist_ok=True)
    for file, names in DEFAULT.items():
        src = args.models / file
        m = expose(onnx.load(str(src)), names[0], SCREEN[file] if args.screen else [], POOL.get(file))
        write(m, src, out_dir, args.suffix)
    src = args.models / FACERES
    write(expose_pooled(onnx.load(str(src)), "global_pooling/Mean", FACERES_BLOCKS), src, out_dir, args.suffix)
    return 0


if __name__ == "__main__":
    sys.exit(main())
