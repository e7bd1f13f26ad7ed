"""The opML side, measured with the project's own commands (the release `opml`):

- `opml bench --json`: one inference natively, in wasmi and in the step machine;
- `opml demo --cheat none`: an honest result posted and finalized (submit, finalize gas),
  for a classifier on a test image or an LLM on a prompt (one generated token);
- `opml demo --cheat middle`: a whole dispute with a real fault (a submitter lying from
  the middle of the run), every move's gas, the whole story's time and peak memory;
- `opml prove --json`: the one-step proof of the disputed step, its size in bytes;
- `opml infer --engine wasmi --json`: the integer guest's class on each fidelity image."""

import json
import re

import bounded

# docs/gas.md: every step of a module that the provable profile accepts is verified on
# chain in at most 1 000 000 gas (the budget; the worst case measured per class is
# 596 530 gas) with a proof of at most 64 KiB.
ONE_STEP_BUDGET_GAS = 1_000_000
ONE_STEP_BUDGET_BYTES = 65_536

MOVE = re.compile(
    r"^(?P<who>[a-z ]+): (?P<what>posts its result|disagrees|round over|first disputed|"
    r"one-step proof of step (?P<step>\d+)|window over).*?gas (?P<gas>\d+)"
)


def _kind(what):
    for prefix, kind in (("posts", "submit"), ("disagrees", "challenge"), ("round", "dissect"),
                         ("first", "pick"), ("one-step", "prove"), ("window", "finalize")):
        if what.startswith(prefix):
            return kind
    raise ValueError(what)


def parse_demo(stdout):
    """The moves (party, kind, gas) of `opml demo`'s story and its time."""
    moves = []
    for line in stdout.splitlines():
        m = MOVE.match(line)
        if m:
            moves.append({"who": m["who"], "kind": _kind(m["what"]), "gas": int(m["gas"]),
                          "step": int(m["step"]) if m["step"] else None})
    t = re.search(r"whole story ([0-9.]+) s", stdout)
    return moves, float(t[1]) if t else None


def _json(run, what):
    if not run.ok:
        raise RuntimeError(f"{what}: {run.why}\n{run.stderr[-2000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def measure(opml, model, images, index, seconds, mem_mb, state_dir):
    """Every opML number for one classifier on test image `index`."""
    m = ["--model", model, "--input", images, "--index", str(index)]
    bench = _json(bounded.run([opml, "bench", *m, "--json"], seconds, mem_mb), "opml bench")
    r = {"bench": bench, "infer_seconds": bench["native_seconds"],
         "infer_text": (f"{bench['native_seconds'] * 1e3:.2f} ms native "
                        f"({bench['vm_seconds'] * 1e3:.1f} ms in the step machine, "
                        f"{bench['steps']:,} steps)")}
    r.update(dispute(opml, m, seconds, mem_mb, state_dir))
    return r


def dispute(opml, m, seconds, mem_mb, state_dir):
    """The chain side of one request (`m`: the model and input arguments of `opml
    demo`/`opml prove`): an honest result's submit and finalize gas, then a whole
    dispute with a real fault, every move's gas, the one-step proof's size."""
    r = {}
    honest = bounded.run([opml, "demo", *m, "--cheat", "none", "--state-dir", state_dir],
                         seconds, mem_mb)
    if not honest.ok:
        raise RuntimeError(f"opml demo --cheat none: {honest.why}\n{honest.stderr[-2000:]}")
    moves, _ = parse_demo(honest.stdout)
    r["submit_gas"] = next(mv["gas"] for mv in moves if mv["kind"] == "submit")
    r["finalize_gas"] = next(mv["gas"] for mv in moves if mv["kind"] == "finalize")
    fault = bounded.run([opml, "demo", *m, "--cheat", "middle", "--state-dir", state_dir],
                        seconds, mem_mb)
    if not fault.ok:
        raise RuntimeError(f"opml demo --cheat middle: {fault.why}\n{fault.stderr[-2000:]}")
    moves, story = parse_demo(fault.stdout)
    r["dispute_moves"] = moves
    r["dispute_story_seconds"] = story
    r["dispute_wall_seconds"] = fault.seconds
    r["dispute_peak_mb"] = fault.peak_mb
    r["peak_mb"] = fault.peak_mb
    r["peak_what"] = "whole dispute, 3 parties in one process"
    r["dispute_won_by_challenger"] = "challenger: done, WON" in fault.stdout
    game = [mv for mv in moves if mv["kind"] in ("challenge", "dissect", "pick", "prove")]
    r["dispute_game_gas"] = sum(mv["gas"] for mv in game)
    rounds = sum(1 for mv in moves if mv["kind"] == "dissect")
    proved = next(mv for mv in moves if mv["kind"] == "prove")
    # Worst case of this model's game: the same number of rounds at their dearest
    # measured move, and a one-step proof at the on-chain budget.
    r["dispute_rounds"] = rounds
    r["dispute_worst_gas"] = (
        next(mv["gas"] for mv in moves if mv["kind"] == "challenge")
        + rounds * max(mv["gas"] for mv in moves if mv["kind"] == "dissect")
        + rounds * max(mv["gas"] for mv in moves if mv["kind"] == "pick")
        + ONE_STEP_BUDGET_GAS
    )
    proof = _json(bounded.run([opml, "prove", *m, "--step", str(proved["step"] - 1), "--json"],
                              seconds, mem_mb), "opml prove")
    r["proof_bytes"] = proof["size"]
    r["proof_op"] = proof["op"]
    return r


def classes(opml, model, images, indices, seconds, mem_mb):
    """The integer guest's class (wasmi) and its time on each image of `indices`."""
    out = []
    for i in indices:
        j = _json(bounded.run([opml, "infer", "--model", model, "--input", images,
                               "--index", str(i), "--engine", "wasmi", "--json"],
                              seconds, mem_mb), "opml infer")
        out.append(j["class"])
    return out
