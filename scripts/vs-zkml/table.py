"""The side-by-side table of main.py's results (plain text, Markdown-compatible)."""


def secs(s):
    if s is None:
        return "-"
    if s < 1e-3:
        return f"{s * 1e6:.0f} µs"
    if s < 1:
        return f"{s * 1e3:.1f} ms"
    return f"{s:.1f} s"


def mb(v):
    return "-" if v is None else (f"{v / 1024:.2f} GB" if v >= 1024 else f"{v:.0f} MB")


def nbytes(n):
    if n is None:
        return "-"
    for unit, k in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= k:
            return f"{n / k:.1f} {unit}"
    return f"{n} B"


def gas(g):
    return "-" if g is None else f"{g:,}"


def ratio(a, b):
    if a is None or b is None or not b:
        return "-"
    r = a / b
    return f"{r:,.0f}x" if r >= 10 else f"{r:.2f}x"


def pct(k, n):
    return "-" if k is None else f"{100 * k / n:.0f} % ({k}/{n})"


def agree(xs, ys):
    return None if xs is None or ys is None else sum(x == y for x, y in zip(xs, ys))


def rows(r):
    """(metric, EZKL, opML, EZKL/opML) rows of one model."""
    ez, op, f = r["ezkl"], r.get("opml"), r.get("fidelity")
    st = ez["stages"]
    failed = ez["failed"]
    stop = f"stopped at {failed['stage']}: {failed['why']}" if failed else None

    def stage_sum(names):
        if any(n not in st or not st[n]["ok"] for n in names):
            return None
        return sum(st[n]["seconds"] for n in names)

    out = []
    proving = stage_sum(["witness", "prove"])
    infer = op.get("infer_seconds") if op else None
    out.append(("time to a result (EZKL: witness + prove; opML: native inference)",
                secs(proving) if proving is not None else stop, op.get("infer_text") or secs(infer)
                if op else "-", ratio(proving, infer)))
    setup = stage_sum(ezkl_side_setup())
    srs_text = ""
    if "srs" in st:
        srs_text = " (local SRS: " + ("cached" if ez.get("srs_cached") else secs(st["srs"]["seconds"])) + ")"
    out.append(("one-time set-up (EZKL: settings, calibrate, compile, SRS, keys)",
                (secs(setup) if setup is not None else stop) + srs_text, "none", "-"))
    peak = max((s["peak_mb"] for s in st.values()), default=None)
    op_peak = op.get("peak_mb") if op else None
    out.append(("peak memory (EZKL: worst stage; opML: " + (op.get("peak_what", "-") if op else "-") + ")",
                mb(peak) + ("" if failed is None else " (at the stop)"), mb(op_peak),
                ("" if failed is None else "≥ ") + ratio(peak, op_peak)))
    b = ez["bytes"]
    keys = sum(v for k, v in b.items() if k in ("srs", "pk", "vk") and v)
    out.append(("prover's files (EZKL: SRS + pk + vk; opML: model image)",
                nbytes(keys or None) + ("" if failed is None else " (at the stop)"),
                nbytes(r.get("image_bytes")),
                ratio(keys or None, r.get("image_bytes")) if failed is None else "-"))
    ev = ez.get("evm")
    verify_gas = ev["verify_gas"] if ev else None
    if op and "submit_gas" in op:
        happy = op["submit_gas"] + op["finalize_gas"]
        out.append(("on-chain gas, honest result (EZKL: verifyProof tx; opML: submit + finalize)",
                    gas(verify_gas) if ev else stop, gas(happy), ratio(verify_gas, happy)))
        disputed, worst = happy + op["dispute_game_gas"], happy + op["dispute_worst_gas"]
        out.append((f"on-chain gas, disputed result (opML: + one game of {op['dispute_rounds']} rounds, "
                    "measured / worst case)", gas(verify_gas) if ev else stop,
                    f"{gas(disputed)} / {gas(worst)}",
                    f"{ratio(verify_gas, disputed)} / {ratio(verify_gas, worst)}"))
        out.append(("on-chain bytes (EZKL: verify calldata; opML: one-step proof)",
                    nbytes(b.get("calldata")) if ev else stop, nbytes(op["proof_bytes"]),
                    ratio(b.get("calldata") if ev else None, op["proof_bytes"])))
        out.append(("whole dispute with a real fault (opML: `opml demo` process, 3 parties, embedded chain; "
                    "EZKL: none, every result is proved)", secs(proving) if proving is not None else stop,
                    secs(op["dispute_wall_seconds"]), ratio(proving, op["dispute_wall_seconds"])))
    elif op:
        out.append(("on-chain gas (EZKL: verifyProof tx)", gas(verify_gas) if ev else stop,
                    op.get("chain_text", "-"), "-"))
    if ev:
        out.append(("EZKL verifier contract (EIP-170 limit 24 576 B)",
                    f"{nbytes(ev['deployed_bytes'])}, deploy {gas(ev['deploy_gas'])} gas", "-", "-"))
    if f:
        n = f["n"]
        ez_f = f.get("ezkl")
        ez_text = pct(agree(ez_f, f["float"]), n) if ez_f else (f.get("ezkl_failed") or stop or "-")
        out.append((f"top-1 agreement with the float model ({f.get('unit', 'test images')})",
                    ez_text, pct(agree(f["opml"], f["float"]), n), "-"))
        out.append(("top-1 agreement of the two sides (EZKL's circuit = opML's integer guest)",
                    pct(agree(ez_f, f["opml"]), n) if ez_f else "-", "", "-"))
        if "labels" in f:
            out.append(("accuracy vs labels (float model: " + pct(agree(f["float"], f["labels"]), n) + ")",
                        pct(agree(ez_f, f["labels"]), n) if ez_f else "-",
                        pct(agree(f["opml"], f["labels"]), n), "-"))
    return out


def ezkl_side_setup():
    return ["settings", "calibrate", "compile", "srs", "setup"]


def render(results, args):
    head = ["model", "metric", "EZKL", "opML", "EZKL/opML"]
    body = []
    for r in results:
        label = f"{r['model']} ({r['params']:,} params"
        if r["ezkl"].get("logrows"):
            label += f", EZKL logrows {r['ezkl']['logrows']}"
        bounds = r.get("args", {})
        if bounds and (bounds.get("mem_bound"), bounds.get("time_bound")) != (args.mem_bound, args.time_bound):
            label += f"; bounds {bounds['time_bound']:.0f} s, {bounds['mem_bound']:.0f} MB"
        label += ")"
        for i, row in enumerate(rows(r)):
            body.append([label if i == 0 else ""] + list(row))
    widths = [max(len(str(x[i])) for x in [head] + body) for i in range(len(head))]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    out = [f"bounds: {args.time_bound:.0f} s per model for EZKL's pipeline, "
           f"{args.mem_bound:.0f} MB per stage", "", line(head),
           "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(b) for b in body]
    return "\n".join(out)


def details(results):
    """Markdown: every EZKL stage of every model, and every move of each opML dispute."""
    out = ["### EZKL, stage by stage", "",
           "| model | logrows | " + " | ".join(ezkl_side_setup() + ["witness", "prove", "verify", "evm"]) + " |",
           "|---|---:|" + "---:|" * 9]
    for r in results:
        st = r["ezkl"]["stages"]
        cells = []
        for n in ezkl_side_setup() + ["witness", "prove", "verify", "evm"]:
            if n not in st:
                cells.append("not run")
            else:
                c = f"{secs(st[n]['seconds'])}, {mb(st[n]['peak_mb'])}"
                if n == "srs" and r["ezkl"].get("srs_cached"):
                    c = "cached"
                cells.append(c if st[n]["ok"] else f"**stopped** after {c}")
        out.append(f"| {r['model']} | {r['ezkl'].get('logrows', '-')} | " + " | ".join(cells) + " |")
    failed = [(r["model"], r["ezkl"]["failed"]) for r in results if r["ezkl"]["failed"]]
    for model, f in failed:
        out.append(f"\n{model}: stopped at `{f['stage']}`: {f['why']}.")
    for r in results:
        op = r.get("opml") or {}
        if "dispute_moves" not in op:
            continue
        out += ["", f"### opML dispute, {r['model']} (test image {r['args']['index'] if 'args' in r else 0})", "",
                "| # | party | move | gas |", "|---:|---|---|---:|"]
        for i, mv in enumerate(op["dispute_moves"]):
            what = mv["kind"] + (f" (step {mv['step']}, {op['proof_op']}, {op['proof_bytes']} B proof)"
                                 if mv["kind"] == "prove" else "")
            out.append(f"| {i + 1} | {mv['who']} | {what} | {gas(mv['gas'])} |")
    return "\n".join(out)
