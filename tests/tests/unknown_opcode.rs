//! Every byte that is the opcode of no op, in an otherwise valid proof, is rejected by
//! both verifiers with `UnknownOpcode(byte)`: the Rust reference verifier and the
//! Solidity one (on the embedded chain, through `opml_game::evm`).
//!
//! The proof is a real proof of a `nop` step whose code word gets another opcode byte;
//! the code root, the program root and the pre-state root are recomputed from the
//! proof's own items (with the layout constants of `opml_vm::commit::layout`), so every
//! commitment matches and only the opcode is wrong.

use opml_game::evm::{EvmStep, EvmVerifier, Verdict, VerifierError};
use opml_vm::commit::layout::{
    read_u32, PROGRAM_LEN, STATE_DEPTH_AT, STATE_FP_AT, STATE_FUNC_AT, STATE_LEN, STATE_PC_AT,
    STATE_PROGRAM_AT, STATE_SP_AT, STATE_STATUS_AT, STATE_TRAP_AT, U32, WORD,
};
use opml_vm::commit::{ProgramFields, StateFields};
use opml_vm::merkle::{height_for, root_from_path, Hash};
use opml_vm::proof::codec::HEADER_LEN;
use opml_vm::proof::verify_from;
use opml_vm::{Config, Extern, LoadOptions, Machine, Module, Op, ProofError};

/// The Solidity verifier's answer: `Ok(post-root)`, or the opcode of an
/// `UnknownOpcode` revert as `Err(Some(op))` (`Err(None)` for any other rejection).
fn solidity(evm: &mut EvmVerifier, pre: &Hash, proof: &[u8]) -> Result<Hash, Option<u8>> {
    match evm.step(pre, proof).expect("the EVM runs the call") {
        EvmStep {
            verdict: Verdict::Valid(root),
            ..
        } => Ok(root),
        EvmStep {
            verdict: Verdict::Rejected(VerifierError::UnknownOpcode(e)),
            ..
        } => Err(Some(e.opcode)),
        EvmStep { .. } => Err(None),
    }
}

/// A valid proof of a `nop` step and its pre-root.
fn nop_proof() -> (Hash, Vec<u8>) {
    let wat = r#"(module (func (export "f") nop nop))"#;
    let bytes = wat::parse_str(wat).expect("parses");
    let module = Module::load(&bytes, LoadOptions { provable: true }).expect("loads");
    let mut m = Machine::new(Config::default());
    let id = m.instantiate(&module).expect("instantiates");
    let Some(Extern::Func(f)) = m.instance(id).and_then(|i| i.exports.get("f")).copied() else {
        panic!("no export f");
    };
    m.invoke(f, &[]).expect("invokes");
    let pre = m.state_root();
    let proof = m.prove_step().expect("proves");
    assert_eq!(proof.outcome.op, Some(Op::Nop));
    (pre, proof.bytes)
}

fn word_at(bytes: &[u8], at: usize) -> Hash {
    let mut w = [0u8; WORD];
    w.copy_from_slice(&bytes[at..at + WORD]);
    w
}

/// `proof` (of a step whose code word is the last item) with opcode byte `op`, every
/// commitment recomputed; and its pre-root.
fn with_opcode(proof: &[u8], op: u8) -> (Hash, Vec<u8>) {
    let state_at = HEADER_LEN;
    let program_at = state_at + STATE_LEN;
    let code_at = program_at + PROGRAM_LEN;
    let p = &proof[program_at..code_at];
    let mut program = ProgramFields {
        code_len: read_u32(p, 0),
        code_root: word_at(p, U32),
        br_len: read_u32(p, U32 + WORD),
        br_root: word_at(p, 2 * U32 + WORD),
        funcs_len: read_u32(p, 2 * U32 + 2 * WORD),
        funcs_root: word_at(p, 3 * U32 + 2 * WORD),
        tables: word_at(p, 3 * U32 + 3 * WORD),
    };
    let height = height_for(program.code_len as usize);
    assert_eq!(
        proof.len(),
        code_at + WORD * (1 + height),
        "the code word is the last item"
    );
    let mut word = word_at(proof, code_at);
    word[0] = op;
    let path: Vec<Hash> = (0..height)
        .map(|h| word_at(proof, code_at + WORD * (1 + h)))
        .collect();
    let s = &proof[state_at..program_at];
    let pc = read_u32(s, STATE_PC_AT);
    program.code_root = root_from_path(&word, pc as u64, &path);
    let field = |i: usize| word_at(s, STATE_PROGRAM_AT + i * WORD);
    let state = StateFields {
        status: (s[STATE_STATUS_AT], s[STATE_TRAP_AT]),
        pc,
        func: read_u32(s, STATE_FUNC_AT),
        fp: read_u32(s, STATE_FP_AT),
        sp: read_u32(s, STATE_SP_AT),
        depth: read_u32(s, STATE_DEPTH_AT),
        program: program.root(),
        locals: field(1),
        operands: field(2),
        frames: field(3),
        globals: field(4),
        memories: field(5),
    };
    let pre = state.root();
    let mut out = proof.to_vec();
    out[1..HEADER_LEN].copy_from_slice(&pre);
    out[state_at + STATE_PROGRAM_AT..][..WORD].copy_from_slice(&state.program);
    out[program_at + U32..][..WORD].copy_from_slice(&program.code_root);
    out[code_at] = op;
    (pre, out)
}

#[test]
fn both_verifiers_reject_every_byte_that_is_no_opcode() {
    let (pre, proof) = nop_proof();
    let mut evm = EvmVerifier::deploy().expect("deploying WasmStep");
    // The reconstruction itself is right: with the nop's own opcode it is the proof.
    let (same_pre, same) = with_opcode(&proof, Op::Nop.opcode());
    assert_eq!((same_pre, &same), (pre, &proof));
    assert_eq!(
        solidity(&mut evm, &pre, &proof),
        Ok(verify_from(&pre, &proof).expect("valid"))
    );

    let mut unknown = 0;
    for byte in 0..=u8::MAX {
        let (pre, bad) = with_opcode(&proof, byte);
        let rust = verify_from(&pre, &bad);
        let sol = solidity(&mut evm, &pre, &bad);
        let sol_unknown = sol.err().flatten();
        let is_op = Op::from_parts(byte, [0; 3], 0).is_ok();
        if is_op {
            // An op: neither verifier calls it unknown (it runs, or lacks its items).
            assert_ne!(rust, Err(ProofError::UnknownOpcode(byte)), "0x{byte:02x}");
            assert_eq!(sol_unknown, None, "0x{byte:02x}: {sol:?}");
        } else {
            unknown += 1;
            assert_eq!(
                rust,
                Err(ProofError::UnknownOpcode(byte)),
                "Rust on 0x{byte:02x}"
            );
            assert_eq!(sol_unknown, Some(byte), "Solidity on 0x{byte:02x}: {sol:?}");
        }
    }
    // 26 control, 128 numeric and 23 memory ops: 79 bytes are no opcode.
    assert_eq!(unknown, 256 - 26 - 128 - 23);
}
