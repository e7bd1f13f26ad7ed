//! The two-phase game on the embedded chain (`TwoPhaseGame`, docs/dispute-protocol.md
//! "Two phases"): phase 1 bisects the nodes of a small graph (i32 matvec, relu, add over
//! a node program in `tests/data/node_ops.wat`), phase 2 the Wasm steps of the one
//! disputed node, and the hand-over between them is bound: every move that does not
//! follow from the agreed state and the registered model is refused or loses.

use alloy_primitives::U256;
use opml_game::chain::{Chain, ChainError};
use opml_game::contracts::{DisputeGame, TwoPhaseGame};
use opml_game::phases::{Descriptor, GraphModel, NodeProgram, TensorAt};
use opml_vm::commit::region::Region;
use opml_vm::Trace;

#[path = "support/two_phase.rs"]
mod support;

use support::{b, honest_root, to_node, Arena, CLOCK};

/// Vector length of the graph's tensors.
const N: u32 = 16;

fn i32_bytes(v: &[i32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn pseudo(len: usize, seed: i32) -> Vec<i32> {
    (0..len as i32)
        .map(|i| ((i * 37 + seed * 11) % 101) - 50)
        .collect()
}

/// The graph: h0 = W0·x, h1 = relu(h0), h2 = h1 + x, h3 = W1·h2, h4 = relu(h3).
fn model() -> GraphModel {
    let wasm = wat::parse_file(concat!(env!("CARGO_MANIFEST_DIR"), "/data/node_ops.wat"))
        .expect("node_ops.wat");
    let region = |addr, h| Region::at(addr, h).expect("aligned");
    let program =
        NodeProgram::load(&wasm, "run", region(0, 11), region(0x1_0000, 5), None).expect("program");
    let vec_h = 1; // 16 i32 = 64 bytes = 2 leaves
    let mat_h = 5; // 16 × 16 i32 = 1 KiB
    let input = |id, addr| TensorAt {
        id,
        addr,
        height: vec_h,
    };
    let weight = |id| TensorAt {
        id,
        addr: 0x3_0000,
        height: mat_h,
    };
    let node = |op, inputs, weights, params| Descriptor {
        op,
        inputs,
        weights,
        out_addr: 0x2_8000,
        out_height: vec_h,
        params,
    };
    GraphModel {
        program,
        nodes: vec![
            node(1, vec![input(0, 0x2_0000)], vec![weight(0)], vec![N, N]),
            node(2, vec![input(1, 0x2_0000)], vec![], vec![N]),
            node(
                0,
                vec![input(2, 0x2_0000), input(0, 0x2_0040)],
                vec![],
                vec![N],
            ),
            node(1, vec![input(3, 0x2_0000)], vec![weight(1)], vec![N, N]),
            node(2, vec![input(4, 0x2_0000)], vec![], vec![N]),
        ],
        weights: vec![
            (i32_bytes(&pseudo((N * N) as usize, 3)), mat_h),
            (i32_bytes(&pseudo((N * N) as usize, 5)), mat_h),
        ],
        inputs: vec![vec_h],
        tree_height: 4,
    }
}

/// The arena for the toy graph on a pseudo-random input.
fn toy_arena() -> Arena {
    let model = model();
    let input = i32_bytes(&pseudo(N as usize, 1));
    let honest = model.run(&[input]).expect("the graph runs");
    Arena::new(model, honest)
}

#[test]
fn a_lie_at_one_node_loses_in_that_nodes_wasm_run() {
    let mut arena = toy_arena();
    let k = 2;
    let lie = arena.wrong_output(k);
    let mut liar = arena.lying_states(k, lie);
    let (id, node) = to_node(&mut arena, &mut liar);
    assert_eq!(node, k, "phase 1 ends at the node where the lie starts");

    let open_gas = arena.open(id, arena.opening(k)).expect("open");
    // The start root the contract derived is the node's real Wasm start state.
    let opened = arena.view(
        arena.game,
        TwoPhaseGame::openedNodeCall {
            gameId: U256::from(id),
        },
    );
    let mut machine = arena
        .model
        .node_machine(k, &arena.honest.tensors)
        .expect("machine");
    assert_eq!(opened.startRoot.0, machine.state_root());

    let mut trace = arena.node_trace(k);
    let steps = trace.total_steps();
    let end = arena.end_root(k, &mut trace, lie);
    let close_gas = arena
        .close(id, arena.closing(k, &mut trace, lie, steps))
        .expect("close");
    let (_, derived) = arena.node_game();
    assert_eq!(derived, end, "the end root the contract derived");
    let mut defender = |t: &mut Trace, n: u64| if n == steps { end } else { honest_root(t, n) };
    arena.play_node(k, &mut defender).expect("prove");
    assert_eq!(arena.outcome(), 2, "the challenger wins");
    eprintln!("openNode {open_gas} gas, closeNode {close_gas} gas, node {k}: {steps} Wasm steps");
}

#[test]
fn an_honest_defender_wins_against_a_false_challenger() {
    let mut arena = toy_arena();
    let k = 3;
    let lie = arena.wrong_output(k);
    let id = arena.create(arena.honest.state(arena.model.nodes.len()));
    let honest = arena.honest.clone();
    let mut defender = |j: u64| honest.state(j as usize);
    let mut false_challenger = arena.lying_states(k, lie);
    let node = arena.bisect(arena.phase1, id, &mut defender, &mut false_challenger) as usize;
    assert_eq!(node, k);
    arena.open(id, arena.opening(k)).expect("open");
    let mut trace = arena.node_trace(k);
    let steps = trace.total_steps();
    let out = arena.honest.roots[arena.model.first_node_slot() as usize + k];
    arena
        .close(id, arena.closing(k, &mut trace, out, steps))
        .expect("close");
    // The false challenger disputes every VM root from step 10 on.
    let (g, _) = arena.node_game();
    let mut ours = arena.node_trace(k);
    let mut theirs = arena.node_trace(k);
    let lo = {
        let mut d = |n| honest_root(&mut ours, n);
        let mut c = |n| {
            let r = honest_root(&mut theirs, n);
            if n >= 10 {
                opml_vm::merkle::keccak(&[b"lie", &r])
            } else {
                r
            }
        };
        arena.bisect(arena.phase2, g, &mut d, &mut c)
    };
    let proof = arena.node_trace(k).prove(lo).expect("proof");
    let call = DisputeGame::proveCall {
        gameId: U256::from(g),
        proof: proof.bytes.into(),
    };
    arena
        .send(arena.challenger, arena.phase2, call)
        .expect("prove");
    assert_eq!(arena.outcome(), 1, "the defender wins");
}

#[test]
fn forged_openings_are_refused() {
    let mut arena = toy_arena();
    let k = 3; // one input, one weight
    let lie = arena.wrong_output(k);
    let mut liar = arena.lying_states(k, lie);
    let (id, _) = to_node(&mut arena, &mut liar);
    let revert = |r: Result<u64, ChainError>| match r {
        Err(e) => e.to_string(),
        Ok(_) => panic!("accepted"),
    };

    let mut o = arena.opening(k);
    o.inputRoots[0] = b(arena.honest.roots[0]);
    assert!(
        revert(arena.open(id, o)).contains("input"),
        "an input root not in state k"
    );

    let mut o = arena.opening(k);
    let mut d = arena.model.nodes[k].clone();
    d.op = 0;
    o.descriptor = d.encode().into();
    assert!(
        revert(arena.open(id, o)).contains("descriptor"),
        "a descriptor not registered"
    );

    let mut o = arena.opening(k);
    o.weightRoots[0] = b(arena.commitment.weights.leaf(0));
    assert!(
        revert(arena.open(id, o)).contains("weight"),
        "a weight not registered at that index"
    );

    let mut o = arena.opening(k);
    o.inputPaths[0].pop();
    assert!(revert(arena.open(id, o)).contains("input"), "a short path");

    let call = TwoPhaseGame::openNodeCall {
        gameId: U256::from(id),
        o: arena.opening(k),
    };
    let by_defender = arena.send(arena.defender, arena.game, call);
    assert!(
        revert(by_defender).contains("NotYourTurn"),
        "the defender opening"
    );

    arena.open(id, arena.opening(k)).expect("the true opening");
    assert!(
        revert(arena.open(id, arena.opening(k))).contains("NotYourTurn"),
        "opening twice"
    );
}

#[test]
fn a_close_that_does_not_match_the_claimed_state_loses() {
    let mut arena = toy_arena();
    let k = 1;
    let lie = arena.wrong_output(k);
    let mut liar = arena.lying_states(k, lie);
    let (id, _) = to_node(&mut arena, &mut liar);
    arena.open(id, arena.opening(k)).expect("open");
    let mut trace = arena.node_trace(k);
    let steps = trace.total_steps();
    let revert = |r: Result<u64, ChainError>| match r {
        Err(e) => e.to_string(),
        Ok(_) => panic!("accepted"),
    };
    // The true output (so the Wasm run would be honest) is not the claimed state k+1's.
    let truth = arena.honest.roots[arena.model.first_node_slot() as usize + k];
    let c = arena.closing(k, &mut trace, truth, steps);
    assert!(revert(arena.close(id, c)).contains("state k+1"));
    // A final VM state that has not halted.
    let mut c = arena.closing(k, &mut trace, lie, steps);
    let mut prefix = c.endPrefix.to_vec();
    prefix[1] = 0;
    c.endPrefix = prefix.into();
    assert!(revert(arena.close(id, c)).contains("not halted"));
    // Only the defender closes.
    let call = TwoPhaseGame::closeNodeCall {
        gameId: U256::from(id),
        c: arena.closing(k, &mut trace, lie, steps),
    };
    assert!(revert(arena.send(arena.challenger, arena.game, call)).contains("NotDefender"));
    // Not closing in time loses.
    let early = TwoPhaseGame::closeTimeoutCall {
        gameId: U256::from(id),
    };
    assert!(revert(arena.send(arena.challenger, arena.game, early.clone())).contains("BadClose"));
    arena.chain.advance(CLOCK + 1).expect("clock");
    arena
        .send(arena.challenger, arena.game, early)
        .expect("timeout");
    assert_eq!(arena.outcome(), 2, "the challenger wins");
}

#[test]
fn a_state_that_fills_more_than_one_slot_cannot_be_closed() {
    let mut arena = toy_arena();
    let k = 1;
    let first = arena.model.first_node_slot() as usize;
    let honest = arena.honest.clone();
    let height = arena.model.tree_height as usize;
    // State k+1 = state k + node k's true output + a forged output of node k+1.
    let mut liar = move |j: u64| {
        let j = j as usize;
        if j <= k {
            return honest.state(j);
        }
        let mut roots = honest.roots[..(first + j).max(first + k + 2)].to_vec();
        roots[first + k + 1] = [9u8; 32];
        opml_vm::merkle::root_of(&roots, height)
    };
    let (id, node) = to_node(&mut arena, &mut liar);
    assert_eq!(node, k);
    arena.open(id, arena.opening(k)).expect("open");
    let mut trace = arena.node_trace(k);
    let steps = trace.total_steps();
    let truth = arena.honest.roots[first + k];
    let c = arena.closing(k, &mut trace, truth, steps);
    assert!(
        arena.close(id, c).is_err(),
        "no slot path proves a two-slot change"
    );
    arena.chain.advance(CLOCK + 1).expect("clock");
    let call = TwoPhaseGame::closeTimeoutCall {
        gameId: U256::from(id),
    };
    arena
        .send(arena.challenger, arena.game, call)
        .expect("timeout");
    assert_eq!(arena.outcome(), 2);
}

#[test]
fn a_wrong_step_count_inside_the_node_loses() {
    for extra in [-1i64, 1] {
        let mut arena = toy_arena();
        let k = 0;
        let lie = arena.wrong_output(k);
        let mut liar = arena.lying_states(k, lie);
        let (id, _) = to_node(&mut arena, &mut liar);
        arena.open(id, arena.opening(k)).expect("open");
        let mut trace = arena.node_trace(k);
        let real = trace.total_steps();
        let steps = (real as i64 + extra) as u64;
        let end = arena.end_root(k, &mut trace, lie);
        arena
            .close(id, arena.closing(k, &mut trace, lie, steps))
            .expect("close");
        // The defender's roots: the honest run, its claimed end at `steps`.
        let mut defender = |t: &mut Trace, n: u64| {
            if n == steps {
                end
            } else if n > real {
                t.root_at(real)
            } else {
                honest_root(t, n)
            }
        };
        arena.play_node(k, &mut defender).expect("prove");
        assert_eq!(arena.outcome(), 2, "{extra:+} steps: the challenger wins");
    }
}

/// Anyone ends a game whose party to move has run out of time.
fn time_out(arena: &mut Arena, at: alloy_primitives::Address, id: u64) {
    arena.chain.advance(CLOCK + 1).expect("clock");
    let call = DisputeGame::timeoutCall {
        gameId: U256::from(id),
    };
    let anyone = arena.chain.accounts()[0];
    arena.send(anyone, at, call).expect("timeout");
}

#[test]
fn a_silent_party_loses_in_either_phase() {
    // The defender never posts phase-1 roots.
    let mut arena = toy_arena();
    let k = 2;
    let lie = arena.wrong_output(k);
    let claimed = arena.lying_states(k, lie)(arena.nodes());
    let id = arena.create(claimed);
    let phase1 = arena.phase1;
    time_out(&mut arena, phase1, id);
    assert_eq!(arena.outcome(), 2, "a silent defender loses");

    // The challenger reaches the node and never opens it.
    let mut arena = toy_arena();
    let mut liar = arena.lying_states(k, lie);
    let (id, _) = to_node(&mut arena, &mut liar);
    let phase1 = arena.phase1;
    time_out(&mut arena, phase1, id);
    assert_eq!(arena.outcome(), 1, "a silent challenger loses");

    // The defender closes the node and never posts phase-2 roots.
    let mut arena = toy_arena();
    let mut liar = arena.lying_states(k, lie);
    let (id, _) = to_node(&mut arena, &mut liar);
    arena.open(id, arena.opening(k)).expect("open");
    let mut trace = arena.node_trace(k);
    let steps = trace.total_steps();
    arena
        .close(id, arena.closing(k, &mut trace, lie, steps))
        .expect("close");
    let (g, _) = arena.node_game();
    let phase2 = arena.phase2;
    time_out(&mut arena, phase2, g);
    assert_eq!(arena.outcome(), 2, "a defender silent in phase 2 loses");
}
