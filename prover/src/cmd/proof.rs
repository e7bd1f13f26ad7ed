//! Subcommands on one-step proofs: `prove`, `verify`.

use super::module::{record_until, TargetArgs};
use super::{describe_pc, hex, write_atomically};
use anyhow::{bail, Context, Result};
use serde_json::json;
use std::path::PathBuf;

/// Records the run, proves the step and writes the proof.
pub fn cmd_prove(t: &TargetArgs, step: u64, interval: u64, out: Option<&PathBuf>) -> Result<()> {
    let mut trace = record_until(t, step, interval)?;
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
    let op = o.op.map_or("(none: the run has ended)", |op| op.name());
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

/// Runs a proof the Rust verifier accepted through the Solidity verifier in an embedded
/// EVM; fails unless it returns the same post-root. Returns the gas used.
pub fn evm_gas(o: &opml_vm::StepOutcome, proof: &[u8]) -> Result<u64> {
    let mut verifier = opml_prover::evm::EvmVerifier::deploy()?;
    let step = verifier.step(&o.pre_root, proof)?;
    match step.verdict {
        opml_prover::evm::Verdict::Valid(root) if root == o.post_root => Ok(step.gas),
        other => bail!("the Solidity verifier disagrees with the Rust verifier: {other:?}"),
    }
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

/// `opml verify`.
pub fn cmd_verify(file: &PathBuf, pre_root: Option<&str>, evm: bool, json_out: bool) -> Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let expected = pre_root.map(parse_root).transpose().context("--pre-root")?;
    let verdict = opml_vm::verify(&bytes).and_then(|o| match expected {
        Some(root) if root != o.pre_root => Err(opml_vm::ProofError::PreRootMismatch),
        _ => Ok(o),
    });
    match verdict {
        Ok(o) => {
            let op = o.op.map_or("(none: the run has ended)", |op| op.name());
            let gas = if evm {
                Some(evm_gas(&o, &bytes)?)
            } else {
                None
            };
            if json_out {
                println!(
                    "{}",
                    json!({"valid": true, "pre_root": hex(&o.pre_root), "post_root": hex(&o.post_root),
                           "op": op, "trap": o.trap.map(|t| t.message()), "size": bytes.len(),
                           "evm_gas": gas})
                );
            } else {
                println!("valid proof ({} bytes) of {op}", bytes.len());
                println!("pre-root:   {}", hex(&o.pre_root));
                println!("post-root:  {}", hex(&o.post_root));
                if let Some(gas) = gas {
                    println!(
                        "evm:        same post-root, {gas} gas (calldata and intrinsic included)"
                    );
                }
            }
            Ok(())
        }
        Err(e) => {
            if json_out {
                println!("{}", json!({"valid": false, "reason": e.to_string()}));
            }
            bail!("{}: proof rejected: {e}", file.display())
        }
    }
}
