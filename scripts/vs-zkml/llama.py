"""EZKL and opML on a tiny random LLaMA (tiny_llama.py): the same float weights as a
GGUF (compiled by `opml compile-model --from gguf`) and as an ONNX next-token circuit
over a window of --llama-ctx tokens (proved by EZKL).

Fidelity: windows of the Apache-2.0 licence text (layout collapsed), tokenized by the GGUF's own
tokenizer; `opml perplexity --ctx T+1` gives the integer model's argmax after the T
tokens of each window, EZKL's circuit and the float ONNX graph give theirs on the same
T tokens. The opML dispute: the first window as a prompt, one generated token, in the
Wasm guest's LLM entry, disputed on the embedded chain (`opml demo --prompt`)."""

import json
import os
import sys

import numpy as np
import onnxruntime as ort

import bounded
import ezkl_side
import opml_side
import tiny_llama

TEXT = "/usr/share/common-licenses/Apache-2.0"


def run(a, root, name="llama", previous=None):
    """`name` is "llama" (the default tiny shape) or "llama:LAYERS:WIDTH"."""
    os.makedirs(a.work, exist_ok=True)
    s = tiny_llama.Shape()
    if name != "llama":
        _, layers, width = name.split(":")
        s = tiny_llama.Shape(n_layers=int(layers), dim=int(width), ffn_dim=2 * int(width))
    w = tiny_llama.weights(s)
    T, n = a.llama_ctx, a.llama_windows
    stem = f"{a.work}/{name.replace(':', '-')}" + ("" if T == 8 else f"-ctx{T}")
    gguf_path, onnx_path, image = f"{stem}.gguf", f"{stem}.onnx", f"{stem}.opml"
    work = f"{stem}-ezkl"
    tiny_llama.write_gguf(s, w, gguf_path)
    tiny_llama.export_onnx(s, w, T, onnx_path)
    r = {"model": f"tiny LLaMA ({s.n_layers} layers, dim {s.dim}, {T}-token window)",
         "params": s.params(), "onnx_bytes": os.path.getsize(onnx_path)}
    print(f"[llama] opML side", file=sys.stderr)
    comp = bounded.run([a.opml, "compile-model", "--from", "gguf", gguf_path, "--out", image],
                       a.time_bound, a.mem_bound)
    if not comp.ok:
        raise RuntimeError(f"opml compile-model: {comp.why}\n{comp.stderr}")
    r["image_bytes"] = os.path.getsize(image)
    # The licence's text with its layout (runs of indentation) collapsed to single spaces.
    text = f"{a.work}/llama-text.txt"
    open(text, "w").write(" ".join(open(TEXT).read().split()))
    ppl = bounded.run([a.opml, "perplexity", "--model", image, "--tokenizer", gguf_path,
                       "--text", text, "--ctx", str(T + 1), "--max-tokens", str(n * (T + 1)),
                       "--json"], a.time_bound, a.mem_bound)
    if not ppl.ok:
        raise RuntimeError(f"opml perplexity: {ppl.why}\n{ppl.stderr}")
    p = json.loads(ppl.stdout.strip().splitlines()[-1])
    ids = p["token_ids"]
    windows = [ids[k * (T + 1): k * (T + 1) + T] for k in range(n)]
    opml_cls = [p["argmax"][k * T + T - 1] for k in range(n)]
    r["opml"] = {
        "infer_seconds": p["seconds"] / n,
        "infer_text": f"{p['seconds'] / n * 1e3:.2f} ms native per window "
                      f"({p['seconds'] / p['positions'] * 1e3:.2f} ms/token)",
        "peak_mb": ppl.peak_mb,
        "peak_what": "opml perplexity, native",
    }
    # The chain side: the first window's text as a prompt, one token generated.
    prompt = " ".join(open(text).read().split()[:T])
    m = ["--model", image, "--tokenizer", gguf_path, "--prompt", prompt, "--max-tokens", "1"]
    print("[llama] opML dispute (one token)", file=sys.stderr)
    chain = opml_side.dispute(a.opml, m, a.time_bound, a.mem_bound, f"{stem}-demo-state")
    chain["peak_what"] = "whole dispute of one token, 3 parties in one process"
    r["opml"].update(chain)
    sess = ort.InferenceSession(onnx_path)
    float_cls = [int(np.argmax(sess.run(None, {"input": tiny_llama.one_hot(x)})[0])) for x in windows]
    ezkl_side.prepare(work, onnx_path, tiny_llama.one_hot(windows[0]),
                      [tiny_llama.one_hot(x) for x in windows[: a.calibration]],
                      [tiny_llama.one_hot(x) for x in windows], resume=previous is not None)
    print(f"[llama] EZKL pipeline (time bound {a.time_bound:.0f} s, memory bound {a.mem_bound:.0f} MB)",
          file=sys.stderr)
    ez, left = ezkl_side.run(work, a.time_bound, a.mem_bound, previous=previous)
    r["ezkl"] = ez
    f = {"n": n, "unit": f"next token after {n} windows of {T} tokens", "float": float_cls,
         "opml": opml_cls, "ezkl": None}
    if ez["failed"] is None:
        outs, res = ezkl_side.fidelity(work, max(left, 60), a.mem_bound)
        f["ezkl"] = [int(np.argmax(o)) for o in outs] if outs else None
        if outs is None:
            f["ezkl_failed"] = res.why
            f["ezkl_stderr"] = res.stderr[-2000:]
    r["fidelity"] = f
    return r
