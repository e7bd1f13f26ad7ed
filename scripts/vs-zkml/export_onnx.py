"""ONNX graphs of the committed Fashion-MNIST models, built with onnx.helper from the
same float weights (safetensors) and the same architecture description (arch JSON) that
`opml compile-model` quantizes: flatten, dense (Gemm), relu, conv2d, max/avg pool."""

import json

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from safetensors.numpy import load_file


def export_classifier(weights_path, arch_path, out_path):
    """Writes the ONNX graph of a classifier and returns (input_scale, parameter count)."""
    arch = json.load(open(arch_path))
    w = load_file(weights_path)
    c, h, wd = arch["input"]
    nodes, inits = [], []
    x, params = "input", 0

    def const(name, array):
        nonlocal params
        params += array.size
        inits.append(numpy_helper.from_array(np.asarray(array, dtype=np.float32), name))
        return name

    for i, layer in enumerate(arch["layers"]):
        y = f"t{i}"
        op = layer["op"]
        if op == "flatten":
            nodes.append(helper.make_node("Flatten", [x], [y], axis=1))
        elif op == "dense":
            wt = const(layer["weight"], w[layer["weight"]])
            b = const(layer["bias"], w[layer["bias"]])
            nodes.append(helper.make_node("Gemm", [x, wt, b], [y], transB=1))
        elif op == "relu":
            nodes.append(helper.make_node("Relu", [x], [y]))
        elif op == "conv2d":
            k = w[layer["weight"]]
            wt = const(layer["weight"], k)
            b = const(layer["bias"], w[layer["bias"]])
            s, p = layer.get("stride", 1), layer.get("padding", 0)
            nodes.append(
                helper.make_node(
                    "Conv", [x, wt, b], [y], kernel_shape=list(k.shape[2:]),
                    strides=[s, s], pads=[p, p, p, p],
                )
            )
        elif op in ("max_pool", "avg_pool"):
            k, s = layer["size"], layer["stride"]
            kind = "MaxPool" if op == "max_pool" else "AveragePool"
            nodes.append(helper.make_node(kind, [x], [y], kernel_shape=[k, k], strides=[s, s]))
        else:
            raise ValueError(f"layer {i}: op {op!r} has no ONNX export here")
        x = y
    nodes[-1].output[0] = "output"
    outputs = w[arch["layers"][-1]["bias"]].size
    graph = helper.make_graph(
        nodes, "fmnist",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, c, h, wd])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, outputs])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, out_path)
    return arch["input_scale"], params
