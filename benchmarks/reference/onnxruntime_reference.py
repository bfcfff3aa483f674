#!/usr/bin/env python3
# Reference outputs from an independent implementation (onnxruntime) for the ONNX reader tests.
# Needs: python3 -m pip install onnxruntime numpy onnx   (this script installs nothing itself)
# Builds the synthetic models tests/fixtures/onnx/synth_*.onnx (operators and attributes the
# public files lack) and refuse_*.onnx (inputs the reader must refuse), copies the small public
# models into tests/fixtures/onnx/ (the whole layer zoo into onnx/layer-zoo/), runs every model
# with a ReLU-network meaning on seeded random float32 inputs and writes
# tests/fixtures/reference/<model>.txt:
#   model <path>      relative to tests/fixtures/, or shared:<path> relative to ../shared
#   in <n values>     one input, flattened row-major (batch dimension dropped)
#   out <m values>    onnxruntime's output for it, %.17g
# Run from the repository root: python3 benchmarks/reference/onnxruntime_reference.py
# (--refused-only: only the refuse_*.onnx files, seed 7 as in a full run)
import os
import shutil
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
ZOO = "benchmarks/marabou-resources/onnx/layer-zoo"

# Layer-zoo models without a ReLU-network meaning (the reader refuses them; tests check that).
ZOO_REFUSED = {"maxpool", "sigmoid", "tanh", "leakyRelu", "dropout_training_mode_true"}

def uniform(lo, hi):
    return lambda rng, shape: rng.uniform(lo, hi, size=shape).astype(np.float32)


# (name, where, input sampler); where is copy:<path in ../shared> (copied into tests/fixtures/onnx),
# shared:<path> (read in place: too large to copy) or synth:<name> (built here).
def models():
    out = [
        ("acasxu_1_1", "copy:benchmarks/vnncomp2021/acasxu/ACASXU_run2a_1_1_batch_2000.onnx", uniform(-0.5, 0.5)),
        ("acasxu_4_5", "shared:benchmarks/vnncomp2021/acasxu/ACASXU_run2a_4_5_batch_2000.onnx", uniform(-0.5, 0.5)),
        ("mnist-net_256x2", "shared:benchmarks/vnncomp2021/mnistfc/mnist-net_256x2.onnx", uniform(0.0, 1.0)),
    ]
    for f in sorted(os.listdir(os.path.join(SHARED, ZOO))):
        name = f[: -len(".onnx")]
        if f.endswith(".onnx") and name not in ZOO_REFUSED:
            out.append(("zoo_" + name, "zoo:" + f, uniform(-1.0, 1.0)))
    for name in SYNTHETIC:
        out.append((name, "synth:" + name, uniform(-1.0, 1.0)))
    return out


# ---------------------------------------------------------------- synthetic models

def const(rng, name, shape):
    return numpy_helper.from_array(rng.normal(size=shape).astype(np.float32), name)


def ints(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def save(name, nodes, inputs, output, inits, check=True, opset=13):
    graph = helper.make_graph(nodes, name, inputs, [output], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="prunecert-reference")
    model.ir_version = 8
    if check:
        onnx.checker.check_model(model)
    path = os.path.join(FIXTURES, "onnx", name + ".onnx")
    onnx.save(model, path)
    return path


def synth_conv(rng):
    # Conv with group/strides/dilations/asymmetric pads, BatchNormalization folded into it,
    # per-channel Add, SAME_LOWER and SAME_UPPER padding, Transpose, Flatten, Gemm(alpha, beta).
    n = helper.make_node
    nodes = [
        n("Conv", ["x", "w1", "b1"], ["c1"], group=2, strides=[2, 1], dilations=[1, 2], pads=[1, 0, 2, 1]),
        n("BatchNormalization", ["c1", "bn_s", "bn_b", "bn_m", "bn_v"], ["n1"], epsilon=1e-3),
        n("Relu", ["n1"], ["r1"]),
        n("Conv", ["r1", "w2"], ["c2"], auto_pad="SAME_LOWER", strides=[2, 2]),
        n("Add", ["c2", "a2"], ["s2"]),
        n("Relu", ["s2"], ["r2"]),
        n("Conv", ["r2", "w3", "b3"], ["c3"], auto_pad="SAME_UPPER"),
        n("Relu", ["c3"], ["r3"]),
        n("Transpose", ["r3"], ["t"], perm=[0, 2, 3, 1]),
        n("Flatten", ["t"], ["f"]),
        n("Gemm", ["f", "g", "gc"], ["y"], alpha=0.5, beta=2.0),
    ]
    inits = [const(rng, "w1", [4, 1, 3, 2]), const(rng, "b1", [4]), const(rng, "bn_s", [4]), const(rng, "bn_b", [4]),
             const(rng, "bn_m", [4]),
             numpy_helper.from_array(rng.uniform(0.5, 2, size=4).astype(np.float32), "bn_v"),
             const(rng, "w2", [3, 4, 3, 3]), const(rng, "a2", [1, 3, 1, 1]), const(rng, "w3", [2, 3, 2, 2]),
             const(rng, "b3", [2]), const(rng, "g", [12, 5]), const(rng, "gc", [1, 5])]
    return save("synth_conv", nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 7, 6])],
                helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5]), inits)


def synth_mlp(rng):
    # Symbolic batch, constant-first Sub, Div, Unsqueeze, Reshape with 0 and -1, Transpose,
    # MatMul + Add + Mul folded into one Dense, Gemm(transB) without C, Gather, Identity, Dropout.
    n = helper.make_node
    nodes = [
        n("Sub", ["c0", "x"], ["a"]),
        n("Div", ["a", "d0"], ["b"]),
        n("Unsqueeze", ["b", "ax"], ["u"]),
        n("Reshape", ["u", "sh1"], ["r"]),
        n("Transpose", ["r"], ["t"], perm=[0, 2, 1]),
        n("Reshape", ["t", "sh2"], ["f"]),
        n("MatMul", ["f", "w1"], ["m1"]),
        n("Add", ["m1", "b1"], ["h1"]),
        n("Mul", ["h1", "s1"], ["k1"]),
        n("Relu", ["k1"], ["z1"]),
        n("Gemm", ["z1", "w2"], ["h2"], alpha=1.5, transB=1),
        n("Identity", ["h2"], ["i2"]),
        n("Dropout", ["i2", "ratio", "mode"], ["o2"]),
        n("Relu", ["o2"], ["z2"]),
        n("Gather", ["z2", "idx"], ["g"], axis=1),
        n("Sub", ["g", "c3"], ["y"]),
    ]
    inits = [const(rng, "c0", [6]), numpy_helper.from_array(rng.uniform(0.5, 2, size=6).astype(np.float32), "d0"),
             ints("ax", [1]), ints("sh1", [0, 2, -1]), ints("sh2", [1, -1]), const(rng, "w1", [6, 8]),
             const(rng, "b1", [8]), const(rng, "s1", [8]), const(rng, "w2", [4, 8]),
             numpy_helper.from_array(np.array(0.3, dtype=np.float32), "ratio"),
             numpy_helper.from_array(np.array(False), "mode"), ints("idx", [3, 0, 2, 2, 1]), const(rng, "c3", [5])]
    return save("synth_mlp", nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 6])],
                helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 5]), inits)


def synth_gemm_transa(rng):
    # An input without batch dimension: Gemm(transA) with a broadcast C, then a constant-first MatMul.
    n = helper.make_node
    nodes = [
        n("Gemm", ["x", "w", "c"], ["h"], transA=1),
        n("Relu", ["h"], ["r"]),
        n("MatMul", ["a", "r"], ["y"]),
    ]
    inits = [const(rng, "w", [3, 2]), const(rng, "c", [2]), const(rng, "a", [5, 4])]
    return save("synth_gemm_transa", nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 4])],
                helper.make_tensor_value_info("y", TensorProto.FLOAT, [5, 2]), inits)


SYNTHETIC = {"synth_conv": synth_conv, "synth_mlp": synth_mlp, "synth_gemm_transa": synth_gemm_transa}


def refused_models(rng):
    n, info, F = helper.make_node, helper.make_tensor_value_info, TensorProto.FLOAT
    save("refuse_maxpool_named", [n("Relu", ["x"], ["r"], name="relu_0"),
                                  n("MaxPool", ["r"], ["y"], name="pool_1", kernel_shape=[2, 2])],
         [info("x", F, [1, 1, 4, 4])], info("y", F, [1, 1, 3, 3]), [])
    save("refuse_two_inputs", [n("Add", ["x1", "x2"], ["y"], name="add")],
         [info("x1", F, [1, 3]), info("x2", F, [1, 3])], info("y", F, [1, 3]), [])
    save("refuse_skip_connection", [n("Gemm", ["x", "w", "b"], ["h"], name="dense"), n("Relu", ["h"], ["r"], name="relu"),
                                    n("Add", ["r", "x"], ["y"], name="skip")],
         [info("x", F, [1, 4])], info("y", F, [1, 4]), [const(rng, "w", [4, 4]), const(rng, "b", [4])])
    save("refuse_missing_initializer", [n("MatMul", ["x", "w_missing"], ["y"], name="matmul")],
         [info("x", F, [1, 3])], info("y", F, [1, 2]), [], check=False)
    # Half precision would round 0.1 to 0.0999755859375; the reader refuses it rather than
    # truncating the weights to integers (as it did before 2026-12-07).
    save("refuse_cast_float16", [n("Cast", ["w"], ["w16"], name="cast", to=TensorProto.FLOAT16),
                                 n("Cast", ["w16"], ["w32"], name="cast_back", to=TensorProto.FLOAT),
                                 n("MatMul", ["x", "w32"], ["y"], name="matmul")],
         [info("x", F, [1, 2])], info("y", F, [1, 1]),
         [numpy_helper.from_array(np.array([[0.1], [0.1]], dtype=np.float32), "w")])
    # Opset 6: Add broadcasts by attributes (broadcast=1, axis) there, not numpy-style.
    save("refuse_opset6", [n("Gemm", ["x", "w", "b"], ["h"], name="dense"),
                           n("Add", ["h", "c"], ["y"], name="add", broadcast=1, axis=1)],
         [info("x", F, [1, 2])], info("y", F, [1, 2]),
         [const(rng, "w", [2, 2]), const(rng, "b", [2]), const(rng, "c", [2])], check=False, opset=6)

# ---------------------------------------------------------------- reference values


def model_file(name, where, rng):
    kind, path = where.split(":", 1)
    if kind == "synth":
        return SYNTHETIC[path](rng), "onnx/" + name + ".onnx"
    if kind == "zoo":
        return os.path.join(FIXTURES, "onnx", "layer-zoo", path), "onnx/layer-zoo/" + path
    if kind == "copy":
        dest = os.path.join(FIXTURES, "onnx", os.path.basename(path))
        shutil.copyfile(os.path.join(SHARED, path), dest)
        return dest, "onnx/" + os.path.basename(path)
    return os.path.join(SHARED, path), "shared:" + path


def main():
    if "--refused-only" in sys.argv[1:]:
        refused_models(np.random.default_rng(7))
        return 0
    ort.set_default_logger_severity(3)  # the layer zoo declares some output shapes wrongly; ORT warns
    zoo = os.path.join(FIXTURES, "onnx", "layer-zoo")
    os.makedirs(zoo, exist_ok=True)
    for f in os.listdir(os.path.join(SHARED, ZOO)):
        shutil.copyfile(os.path.join(SHARED, ZOO, f), os.path.join(zoo, f))
    refused_models(np.random.default_rng(7))
    cases = 5
    for index, (name, where, sample) in enumerate(models()):
        rng = np.random.default_rng(2024 + index)
        path, ref = model_file(name, where, rng)
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        inp = sess.get_inputs()[0]
        shape = [d if isinstance(d, int) else 1 for d in inp.shape]
        lines = ["# onnxruntime %s on %s, seed %d (benchmarks/reference/onnxruntime_reference.py)"
                 % (ort.__version__, ref, 2024 + index), "model " + ref]
        for _ in range(cases):
            x = sample(rng, shape)
            y = sess.run(None, {inp.name: x})[0]
            lines.append("in " + " ".join("%.17g" % v for v in x.ravel()))
            lines.append("out " + " ".join("%.17g" % v for v in np.asarray(y, dtype=np.float64).ravel()))
        with open(os.path.join(FIXTURES, "reference", name + ".txt"), "w") as f:
            f.write("\n".join(lines) + "\n")
        print("%-28s %s -> %s" % (name, shape, list(y.shape)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
