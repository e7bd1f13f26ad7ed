"""EZKL's pipeline on one ONNX model, each stage in its own bounded process
(ezkl_stage.py), then its Solidity verifier deployed and called in an EVM (evm_gas.cjs).

The time bound is the whole pipeline's (each stage gets what is left of it), except the
local SRS: it stands for a public ceremony's file that a real deployment downloads, so
its generation gets a bound of its own (the same number of seconds) and does not eat
into the pipeline's. The memory bound is each stage's. A stage that passes a bound
stops the pipeline; the result says which stage and which bound."""

import json
import os
import shutil
import subprocess
import sys

import bounded

HERE = os.path.dirname(os.path.abspath(__file__))
# One-time stages (per model), then per-proof stages.
SETUP_STAGES = ["settings", "calibrate", "compile", "srs", "setup"]
PROOF_STAGES = ["witness", "prove", "verify", "evm"]


def prepare(work, onnx_path, proved_input, calibration_inputs, fidelity_inputs, resume=False):
    """Fills the work directory: the model, the proved input, calibration and fidelity
    data. With `resume`, an existing work directory is kept as it is."""
    if resume and os.path.exists(f"{work}/network.onnx"):
        return
    if os.path.exists(work):
        shutil.rmtree(work)
    os.makedirs(work)
    shutil.copy(onnx_path, f"{work}/network.onnx")
    flat = lambda x: [float(v) for v in x.flatten()]  # noqa: E731
    json.dump({"input_data": [flat(proved_input)]}, open(f"{work}/input.json", "w"))
    # EZKL takes a batch of calibration inputs as one long flat list.
    cal = [v for x in calibration_inputs for v in flat(x)]
    json.dump({"input_data": [cal]}, open(f"{work}/calibration.json", "w"))
    json.dump({"inputs": [flat(x) for x in fidelity_inputs]}, open(f"{work}/fidelity.json", "w"))


def _size(path):
    return os.path.getsize(path) if os.path.exists(path) else None


def run(work, seconds, mem_mb, python=sys.executable, previous=None):
    """Runs every stage; returns per-stage measurements, sizes, gas, or where it stopped.
    With `previous` (this model's EZKL entry of an earlier run on the same work
    directory), the stages that succeeded then are not run again: their measurements
    are kept."""
    r = {"stages": {}, "failed": None}
    left = seconds
    for key in ("logrows", "scales", "num_rows", "srs_cached"):
        if previous and key in previous:
            r[key] = previous[key]
    for stage in SETUP_STAGES + PROOF_STAGES:
        done = (previous or {}).get("stages", {}).get(stage)
        if done and done["ok"]:
            r["stages"][stage] = dict(done, resumed=True)
            left -= 0 if stage == "srs" else done["seconds"]
            continue
        previous = None  # a stage ran again: every later one runs again too
        bound = seconds if stage == "srs" else left
        res = bounded.run([python, f"{HERE}/ezkl_stage.py", stage, work], bound, mem_mb)
        r["stages"][stage] = {"seconds": res.seconds, "peak_mb": res.peak_mb, "ok": res.ok}
        if stage == "srs":
            r["srs_cached"] = "cached" in res.stdout
        if stage != "srs":
            left -= res.seconds
        if not res.ok:
            r["failed"] = {"stage": stage, "why": res.why, "stderr": res.stderr[-3000:]}
            break
        if stage == "calibrate":
            s = json.load(open(f"{work}/settings.json"))
            r["logrows"] = s["run_args"]["logrows"]
            r["scales"] = [s["run_args"]["input_scale"], s["run_args"]["param_scale"]]
            r["num_rows"] = s.get("num_rows")
    r["bytes"] = {name: _size(f"{work}/{f}") for name, f in
                  (("srs", "kzg.srs"), ("pk", "pk.key"), ("vk", "vk.key"),
                   ("proof_json", "proof.json"), ("calldata", "calldata.bin"))}
    if os.path.exists(f"{work}/proof.json"):
        r["bytes"]["proof"] = len(json.load(open(f"{work}/proof.json"))["proof"])
    if r["failed"] is None:
        node = subprocess.run(["node", f"{HERE}/evm_gas.cjs", f"{work}/Verifier.sol",
                               f"{work}/calldata.bin"], capture_output=True, text=True)
        if node.returncode != 0:
            r["failed"] = {"stage": "evm gas", "why": "evm_gas.cjs failed", "stderr": node.stderr}
        else:
            r["evm"] = json.loads(node.stdout)
    return r, left


def fidelity(work, seconds, mem_mb, python=sys.executable):
    """The circuit's (dequantized) outputs on every fidelity input, or why not."""
    res = bounded.run([python, f"{HERE}/ezkl_stage.py", "witnesses", work], seconds, mem_mb)
    if not res.ok:
        return None, res
    return json.load(open(f"{work}/fidelity-out.json")), res
