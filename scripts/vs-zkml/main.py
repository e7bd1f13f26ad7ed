"""opML against zkML (EZKL), measured side by side on the same models and machine.

    python main.py --opml PATH [--models mlp,cnn,llama,llama:LAYERS:WIDTH]
                   [--time-bound S] [--mem-bound MB] [--fidelity N] [--index I]
                   [--llama-ctx T] [--llama-windows N] [--work DIR] [--resume]
    python main.py --opml PATH --table-only

Prints one table and writes every number to DIR/results.json, one entry per model
(see docs/vs-zkml.md). scripts/vs-zkml.sh sets up the virtualenv and runs this."""

import argparse
import json
import os
import sys

import numpy as np
import onnxruntime as ort

import export_onnx
import ezkl_side
import fmnist
import opml_side
import table

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
CLASSIFIERS = ("mlp", "cnn")


def argmax(v):
    return int(np.argmax(np.asarray(v, dtype=np.float64)))


def classifier(name, a, previous=None):
    """EZKL and opML on a committed Fashion-MNIST classifier."""
    base = f"{ROOT}/guest-ml/models/fmnist-{name}"
    work = f"{a.work}/{name}"
    os.makedirs(a.work, exist_ok=True)
    onnx_path = f"{a.work}/{name}.onnx"
    scale, params = export_onnx.export_classifier(f"{base}.safetensors", f"{base}.json", onnx_path)
    images, labels = fmnist.read_idx(fmnist.IMAGES), fmnist.read_idx(fmnist.LABELS)
    train = fmnist.read_idx(fmnist.CALIBRATION)
    fid = list(range(a.fidelity))
    ezkl_side.prepare(
        work, onnx_path, fmnist.float_input(images, a.index, scale),
        [fmnist.float_input(train, i, scale) for i in range(a.calibration)],
        [fmnist.float_input(images, i, scale) for i in fid], resume=previous is not None,
    )
    r = {"model": name, "params": params, "onnx_bytes": os.path.getsize(onnx_path)}
    print(f"[{name}] EZKL pipeline (time bound {a.time_bound:.0f} s, memory bound {a.mem_bound:.0f} MB)",
          file=sys.stderr)
    ez, left = ezkl_side.run(work, a.time_bound, a.mem_bound, previous=previous)
    r["ezkl"] = ez
    print(f"[{name}] opML side", file=sys.stderr)
    image = f"{base}.opml"
    r["image_bytes"] = os.path.getsize(image)
    r["opml"] = opml_side.measure(a.opml, image, fmnist.IMAGES, a.index, a.time_bound,
                                  a.mem_bound, f"{a.work}/{name}-demo-state")
    print(f"[{name}] fidelity on test images 0..{a.fidelity - 1}", file=sys.stderr)
    sess = ort.InferenceSession(onnx_path)
    float_cls = [argmax(sess.run(None, {"input": fmnist.float_input(images, i, scale)})[0])
                 for i in fid]
    opml_cls = opml_side.classes(a.opml, image, fmnist.IMAGES, fid, a.time_bound, a.mem_bound)
    f = {"n": len(fid), "labels": [int(labels[i]) for i in fid], "float": float_cls,
         "opml": opml_cls, "ezkl": None}
    if ez["failed"] is None:
        outs, res = ezkl_side.fidelity(work, max(left, 60), a.mem_bound)
        f["ezkl"] = [argmax(o) for o in outs] if outs else None
        f["ezkl_seconds"] = res.seconds
        if outs is None:
            f["ezkl_failed"] = res.why
            f["ezkl_stderr"] = res.stderr[-2000:]
    r["fidelity"] = f
    return r


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--opml", required=True, help="the release opml binary")
    p.add_argument("--models", default="mlp,cnn,llama",
                   help="comma-separated: mlp, cnn, llama (2 layers, width 64) or "
                        "llama:LAYERS:WIDTH (a bigger random LLaMA, FFN 2x width)")
    p.add_argument("--time-bound", type=float, default=1800,
                   help="seconds EZKL's whole pipeline may take per model (default 1800)")
    p.add_argument("--mem-bound", type=float, default=12000,
                   help="MB of resident memory one EZKL stage may use (default 12000)")
    p.add_argument("--fidelity", type=int, default=100, help="test images for fidelity")
    p.add_argument("--calibration", type=int, default=20, help="training images for calibration")
    p.add_argument("--index", type=int, default=0, help="the test image proved and disputed")
    p.add_argument("--llama-ctx", type=int, default=8, help="tokens in the LLaMA's window")
    p.add_argument("--llama-windows", type=int, default=20, help="LLaMA fidelity windows")
    p.add_argument("--work", default=f"{ROOT}/target/vs-zkml/run")
    p.add_argument("--resume", action="store_true",
                   help="keep the EZKL stages that succeeded in the last run of each model "
                        "(their files and measurements) and run the rest")
    p.add_argument("--table-only", action="store_true",
                   help="print the table of the last run's results.json, run nothing")
    a = p.parse_args()
    if a.table_only:
        results = json.load(open(f"{a.work}/results.json"))["results"]
        print(table.render(results, a))
        print()
        print(table.details(results))
        return
    # Results of earlier runs of other models are kept (a run of one model replaces
    # only that model's entry), so that one table covers every model.
    path = f"{a.work}/results.json"
    results = json.load(open(path))["results"] if os.path.exists(path) else []
    for x in results:
        x.setdefault("key", x["model"] if x["model"] in CLASSIFIERS else "llama")
    for name in a.models.split(","):
        key = name
        if name.startswith("llama") and a.llama_ctx != 8:
            key = f"{name}@{a.llama_ctx}"  # another window: another entry
        prev = next((x["ezkl"] for x in results if x["key"] == key), None) if a.resume else None
        if name in CLASSIFIERS:
            r = classifier(name, a, prev)
        elif name == "llama" or name.startswith("llama:"):
            import llama
            r = llama.run(a, ROOT, name, prev)
        else:
            sys.exit(f"unknown model {name!r}")
        r["key"], r["args"] = key, {k: v for k, v in vars(a).items() if k != "table_only"}
        results = [x for x in results if x.get("key") != key] + [r]
        order = {"mlp": 0, "cnn": 1, "llama": 2}
        results.sort(key=lambda x: (order.get(x["key"].split("@")[0], 3), x["params"],
                                    x.get("args", {}).get("llama_ctx", 0)))
        os.makedirs(a.work, exist_ok=True)
        json.dump({"results": results}, open(path, "w"), indent=1)
    print(table.render(results, a))


if __name__ == "__main__":
    main()
