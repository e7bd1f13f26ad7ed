"""One stage of EZKL's pipeline on the files of one work directory, in its own process
(so that the driver can bound and measure each stage). Usage:

    python ezkl_stage.py STAGE DIR

DIR holds network.onnx, input.json (the proved input) and calibration.json; every
stage writes its product there under a fixed name. `witnesses` runs the circuit (no
proof) on every input of fidelity.json and writes the circuit's outputs, rescaled to
floats, to fidelity-out.json."""

import asyncio
import json
import os
import sys

import ezkl


def settings(d):
    args = ezkl.PyRunArgs()
    # The input and the output are public: the verifier checks the proof against
    # them, as opML's contract derives its start root from the posted input.
    args.input_visibility = "public"
    args.output_visibility = "public"
    args.param_visibility = "fixed"
    return ezkl.gen_settings(f"{d}/network.onnx", f"{d}/settings.json", py_run_args=args)


def calibrate(d):
    # target "resources": EZKL's default, the smallest circuit that keeps the error low.
    return ezkl.calibrate_settings(
        f"{d}/calibration.json", f"{d}/network.onnx", f"{d}/settings.json", "resources"
    )


def compile(d):
    return ezkl.compile_circuit(f"{d}/network.onnx", f"{d}/network.compiled", f"{d}/settings.json")


def srs(d):
    """A local, insecure SRS of the right size (a real deployment downloads a public
    ceremony's). Kept in ../srs/ by size and reused by later runs: it depends on
    nothing but logrows."""
    logrows = json.load(open(f"{d}/settings.json"))["run_args"]["logrows"]
    cache = os.path.abspath(f"{d}/../../srs/kzg-{logrows}.srs")
    if not os.path.exists(cache):
        os.makedirs(os.path.dirname(cache), exist_ok=True)
        ezkl.gen_srs(f"{cache}.tmp", logrows)  # returns None
        os.rename(f"{cache}.tmp", cache)
        print("generated")
    else:
        print("cached")
    os.symlink(cache, f"{d}/kzg.srs")
    return True


def setup(d):
    ezkl.setup(f"{d}/network.compiled", f"{d}/vk.key", f"{d}/pk.key", f"{d}/kzg.srs")
    return os.path.exists(f"{d}/pk.key")


def witness(d):
    ezkl.gen_witness(f"{d}/input.json", f"{d}/network.compiled", f"{d}/witness.json",
                     f"{d}/vk.key", f"{d}/kzg.srs")
    return True


def prove(d):
    ezkl.prove(f"{d}/witness.json", f"{d}/network.compiled", f"{d}/pk.key", f"{d}/proof.json",
               f"{d}/kzg.srs")
    return True


def verify(d):
    return ezkl.verify(f"{d}/proof.json", f"{d}/settings.json", f"{d}/vk.key", f"{d}/kzg.srs")


def evm(d):
    """The Solidity verifier and the verify call's calldata. EZKL renders the verifier,
    then tries to download a native solc to check it, which fails offline: the file is
    complete by then, and evm_gas.cjs compiles it with the repository's solc-js."""
    sol = f"{d}/Verifier.sol"
    if os.path.exists(sol):
        os.remove(sol)

    async def render():
        r = ezkl.create_evm_verifier(f"{d}/vk.key", f"{d}/settings.json", sol,
                                     f"{d}/Verifier.abi", f"{d}/kzg.srs")
        return await r if asyncio.iscoroutine(r) or asyncio.isfuture(r) else r

    try:
        asyncio.run(render())
    except RuntimeError as e:
        if not (os.path.exists(sol) and ("solc" in str(e) or "svm" in str(e))):
            raise
    if not os.path.exists(sol) or not open(sol).read().rstrip().endswith("}"):
        raise RuntimeError("EZKL wrote no complete Verifier.sol")
    ezkl.encode_evm_calldata(f"{d}/proof.json", f"{d}/calldata.bin")
    return True


def witnesses(d):
    """Circuit outputs (dequantized) for every input of fidelity.json."""
    inputs = json.load(open(f"{d}/fidelity.json"))["inputs"]
    outs = []
    for i, x in enumerate(inputs):
        path = f"{d}/fidelity-input.json"
        json.dump({"input_data": [x]}, open(path, "w"))
        ezkl.gen_witness(path, f"{d}/network.compiled", f"{d}/fidelity-witness.json",
                         f"{d}/vk.key", f"{d}/kzg.srs")
        w = json.load(open(f"{d}/fidelity-witness.json"))
        outs.append([float(v) for v in w["pretty_elements"]["rescaled_outputs"][0]])
    json.dump(outs, open(f"{d}/fidelity-out.json", "w"))
    return True


STAGES = {f.__name__: f for f in
          (settings, calibrate, compile, srs, setup, witness, prove, verify, evm, witnesses)}

if __name__ == "__main__":
    stage, d = sys.argv[1], sys.argv[2]
    if not STAGES[stage](d):
        sys.exit(f"ezkl {stage} failed")
    # After create_evm_verifier's failed solc download, the interpreter's teardown can
    # crash in EZKL's native code (SIGSEGV) once the work is done: skip the teardown.
    sys.stdout.flush()
    os._exit(0)
