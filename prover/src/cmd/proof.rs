//! Subcommands on one-step proofs: `prove`, `verify`.

use super::module::{record_until, CheckpointArgs, TargetArgs};
use super::{describe_pc, hex, write_atomically};
use anyhow::{bail, Context, Result};
use opml_game::evm::{describe, EvmStep, EvmVerifier, Verdict, Verdicts};
use serde_json::json;
use std::path::PathBuf;

/// Records the run, proves the step and writes the proof.
pub fn cmd_prove(
    t: &TargetArgs,
    step: u64,
    c: &CheckpointArgs,
    out: Option<&PathBuf>,
) -> Result<()> {
    let mut trace = record_until(t, step, c)?;
    let total = trace.total_steps();
    let start = std::time::Instant::now();
    let at = describe_pc(trace.seek(step));
    let at_text = format!("pc {}, wasm offset {}", at["pc"], at["wasm_offset"]);
    let proof = trace
        .prove(step)
        .with_context(|| format!("cannot prove the step after step {step}"))?;
    let seconds = start.elapsed().as_secs_f64();
    if let Some(path) = out {
        write_atomically(path, &proof.bytes)?;
    }
    let o = &proof.outcome;
    let op = o.op.map_or(NO_OP, |op| op.name());
    let trap = o.trap.map(|t| t.message());
    if t.json {
        let out_json = json!({
            "step": step, "total_steps": total, "pre_root": hex(&o.pre_root),
            "post_root": hex(&o.post_root), "op": op, "at": at, "trap": trap,
            "size": proof.bytes.len(), "seconds": seconds,
            "out": out.map(|p| p.display().to_string()),
        });
        println!("{out_json}");
    } else {
        println!("step:       {step} -> {} (of {total})", step + 1);
        println!("pre-root:   {}", hex(&o.pre_root));
        println!("post-root:  {}", hex(&o.post_root));
        println!("op:         {op} ({at_text})");
        if let Some(trap) = trap {
            println!("trap:       {trap}");
        }
        println!("size:       {} bytes", proof.bytes.len());
        println!("time:       {seconds:.3} s (seek from checkpoint + prove)");
        if let Some(path) = out {
            println!("written:    {}", path.display());
        }
    }
    Ok(())
}

/// Parses a 0x-prefixed 32-byte hex root.
pub fn parse_root(s: &str) -> Result<[u8; 32]> {
    let digits = s.strip_prefix("0x").unwrap_or(s);
    if digits.len() != 64 {
        bail!(
            "a root is 32 bytes (64 hex digits), got {} digits",
            digits.len()
        );
    }
    let mut root = [0u8; 32];
    for (i, byte) in root.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&digits[2 * i..2 * i + 2], 16)
            .with_context(|| format!("bad hex digit in root at byte {i}"))?;
    }
    Ok(root)
}

/// The pre-root a proof claims (bytes 1..33), when it is long enough to claim one.
fn claimed_pre_root(proof: &[u8]) -> Option<[u8; 32]> {
    proof.get(1..33)?.try_into().ok()
}

/// `opml verify`: the Rust verifier, and with `evm` the Solidity verifier too, whatever
/// the Rust verifier says; fails when the proof is rejected or the two disagree.
pub fn cmd_verify(file: &PathBuf, pre_root: Option<&str>, evm: bool, json_out: bool) -> Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let expected = pre_root.map(parse_root).transpose().context("--pre-root")?;
    let verdict = opml_vm::verify(&bytes).and_then(|o| match expected {
        Some(root) if root != o.pre_root => Err(opml_vm::ProofError::PreRootMismatch),
        _ => Ok(o),
    });
    let both = if evm {
        // The EVM checks the proof against the expected pre-root, else the claimed one.
        let pre = expected
            .or_else(|| claimed_pre_root(&bytes))
            .unwrap_or_default();
        let mut verifier = EvmVerifier::deploy()?;
        Some(Verdicts::check(&mut verifier, &pre, &bytes))
    } else {
        None
    };
    let disagreement = both.as_ref().and_then(Verdicts::disagreement);
    if json_out {
        let mut out = match &verdict {
            Ok(o) => json!({"valid": true, "pre_root": hex(&o.pre_root),
                "post_root": hex(&o.post_root), "op": o.op.map_or(NO_OP, |op| op.name()),
                "trap": o.trap.map(|t| t.message()), "size": bytes.len()}),
            Err(e) => json!({"valid": false, "reason": e.to_string()}),
        };
        if let Some(both) = &both {
            out["evm"] = evm_json(both);
            out["evm_gas"] = json!(both.evm.as_ref().ok().map(|s| s.gas));
            out["disagreement"] = json!(disagreement);
        }
        println!("{out}");
    } else {
        if let Ok(o) = &verdict {
            let op = o.op.map_or(NO_OP, |op| op.name());
            println!("valid proof ({} bytes) of {op}", bytes.len());
            println!("pre-root:   {}", hex(&o.pre_root));
            println!("post-root:  {}", hex(&o.post_root));
        }
        for line in both.iter().flat_map(Verdicts::report) {
            println!("{line}");
        }
    }
    if let Some(d) = disagreement {
        bail!(
            "{}: the Rust and Solidity verifiers disagree: {d}",
            file.display()
        );
    }
    match verdict {
        Ok(_) => Ok(()),
        Err(e) => bail!("{}: proof rejected: {e}", file.display()),
    }
}

const NO_OP: &str = "(none: the run has ended)";

/// The Solidity verifier's side of `verdicts` for `--json`.
fn evm_json(verdicts: &Verdicts) -> serde_json::Value {
    match &verdicts.evm {
        Ok(EvmStep {
            verdict: Verdict::Valid(root),
            gas,
        }) => json!({"valid": true, "post_root": hex(root), "gas": gas}),
        Ok(EvmStep {
            verdict: Verdict::Rejected(e),
            gas,
        }) => json!({"valid": false, "reason": describe(e), "gas": gas}),
        Err(e) => json!({"valid": false, "reason": e.to_string(), "gas": null}),
    }
}
