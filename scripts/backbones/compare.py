# Numerical check for a rebuilt backbone whose bytes differ from the shipped file (tf2onnx numbers
# its generated node and initializer names from a process-wide counter, so faceres.onnx is not
# byte-reproducible). Runs both models with onnxruntime on the same 4 seeded random images, uniform
# in 0..255 minus OFFSET, with every dynamic dimension set to 4, and compares every output.
#
#   compare.py REBUILT.onnx SHIPPED.onnx [OFFSET]     # OFFSET default 0
#
# Prints "numerically equal (max abs diff X on random inputs)" and exits 0 when every output agrees
# within 1e-4; otherwise prints the difference and exits 1.
import sys

import numpy as np
import onnxruntime as ort

TOLERANCE = 1e-4

rebuilt, shipped = sys.argv[1], sys.argv[2]
offset = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
a = ort.InferenceSession(rebuilt, providers=["CPUExecutionProvider"])
b = ort.InferenceSession(shipped, providers=["CPUExecutionProvider"])
ins = a.get_inputs()
if [i.name for i in ins] != [i.name for i in b.get_inputs()]:
    sys.exit(f"inputs differ: {[i.name for i in ins]} vs {[i.name for i in b.get_inputs()]}")
outs = sorted(o.name for o in a.get_outputs())
if outs != sorted(o.name for o in b.get_outputs()):
    sys.exit(f"outputs differ: {outs} vs {sorted(o.name for o in b.get_outputs())}")

rng = np.random.default_rng(0)
feed = {}
for i in ins:
    shape = [d if isinstance(d, int) and d > 0 else 4 for d in i.shape]
    feed[i.name] = (rng.uniform(0, 255, shape) - offset).astype(np.float32)
ra = dict(zip(outs, a.run(outs, feed)))
rb = dict(zip(outs, b.run(outs, feed)))
worst = 0.0
for name in outs:
    if ra[name].shape != rb[name].shape:
        sys.exit(f"output {name}: shape {ra[name].shape} vs {rb[name].shape}")
    worst = max(worst, float(np.max(np.abs(ra[name].astype(np.float64) - rb[name]))))
if worst < TOLERANCE:
    print(f"numerically equal (max abs diff {worst:.3g} on random inputs)")
else:
    print(f"numerically different (max abs diff {worst:.3g} on random inputs, tolerance {TOLERANCE:g})")
    sys.exit(1)
