//! The two-phase game on the embedded chain (`TwoPhaseGame`, docs/dispute-protocol.md
//! "Two phases"): phase 1 bisects the nodes of a small graph (i32 matvec, relu, add over
//! a node program in `tests/data/node_ops.wat`), phase 2 the Wasm steps of the one
//! disputed node, and the hand-over between them is bound: every move that does not
//! follow from the agreed state and the registered model is refused or loses.

use alloy_primitives::{Address, FixedBytes, U256};
use alloy_sol_types::{SolCall, SolConstructor, SolEvent};
use opml_game::chain::{Chain, ChainError};
use opml_game::contracts::{DisputeGame, TwoPhaseGame, WasmStep};
use opml_game::embedded::EmbeddedChain;
use opml_game::phases::{Descriptor, GraphModel, GraphRun, NodeProgram, TensorAt};
use opml_game::trace::past_the_end;
use opml_vm::commit::region::{bytes_root, Region};
use opml_vm::merkle::{root_from_path, Hash};
use opml_vm::Trace;

/// The test owner's bindings (its constructor's struct types included).
mod owner {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        TwoPhaseOwner,
        "../arbiter-sol/artifacts/TwoPhaseOwner.json"
    );
}
use owner::TwoPhaseOwner;

const CLOCK: u64 = 3600;
const DEGREE: u64 = 4;
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
    let program = NodeProgram::load(&wasm, "run", region(0, 11), region(0x1_0000, 5), None).expect("program");
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

fn b(h: Hash) -> FixedBytes<32> {
    FixedBytes(h)
}

fn bs(hs: &[Hash]) -> Vec<FixedBytes<32>> {
    hs.iter().map(|h| FixedBytes(*h)).collect()
}

/// The chain with the contracts deployed for `model`, and the honest run.
struct Arena {
    chain: EmbeddedChain,
    owner: Address,
    game: Address,
    phase1: Address,
    phase2: Address,
    defender: Address,
    challenger: Address,
    model: GraphModel,
    honest: GraphRun,
}

impl Arena {
    fn new() -> Arena {
        let model = model();
        let input = i32_bytes(&pseudo(N as usize, 1));
        let honest = model.run(&[input]).expect("the graph runs");
        let mut chain = EmbeddedChain::new(3);
        let accounts = chain.accounts();
        let deployer = accounts[0];
        let verifier = chain
            .deploy(deployer, WasmStep::BYTECODE.to_vec())
            .expect("WasmStep");
        let p = &model.program;
        let program = owner::TwoPhaseGame::Program {
            prefix: p.prefix.clone().into(),
            pages: p.pages,
            limit: p.limit,
            base: owner::Regions::Part {
                height: p.base.height,
                index: p.base.index,
                root: b(p.base_root),
            },
            descHeight: p.descriptor.height,
            descIndex: p.descriptor.index,
        };
        let graph = owner::TwoPhaseGame::Graph {
            descriptors: b(model.descriptor_tree().expect("descriptors").root()),
            descriptorsHeight: model.tree_height as u8,
            weights: b(model.weight_tree().expect("weights").root()),
            weightsHeight: model.tree_height as u8,
            firstNodeSlot: model.first_node_slot(),
            stateHeight: model.tree_height as u8,
        };
        let mut code = TwoPhaseOwner::BYTECODE.to_vec();
        code.extend(
            TwoPhaseOwner::constructorCall {
                stepVerifier: verifier,
                program,
                graph,
                degree: DEGREE,
                clock: CLOCK,
            }
            .abi_encode(),
        );
        let owner = chain.deploy(deployer, code).expect("TwoPhaseOwner");
        let mut arena = Arena {
            chain,
            owner,
            game: Address::ZERO,
            phase1: Address::ZERO,
            phase2: Address::ZERO,
            defender: accounts[1],
            challenger: accounts[2],
            model,
            honest,
        };
        arena.game = arena.view(owner, TwoPhaseOwner::gameCall {});
        arena.phase1 = arena.view(arena.game, TwoPhaseGame::phase1Call {});
        arena.phase2 = arena.view(arena.game, TwoPhaseGame::phase2Call {});
        arena
    }

    fn view<C: SolCall>(&mut self, at: Address, call: C) -> C::Return {
        let out = self.chain.call(at, call.abi_encode()).expect("view");
        C::abi_decode_returns(&out).expect("decoding")
    }

    fn send<C: SolCall>(&mut self, from: Address, at: Address, call: C) -> Result<u64, ChainError> {
        self.chain
            .send(from, at, call.abi_encode(), U256::ZERO)
            .map(|r| r.gas_used)
    }

    fn nodes(&self) -> u64 {
        self.model.nodes.len() as u64
    }

    /// Starts a dispute in which the defender claims `claimed` as the final state.
    fn create(&mut self, claimed: Hash) -> u64 {
        let call = TwoPhaseOwner::createCall {
            r#ref: U256::from(7),
            defender: self.defender,
            challenger: self.challenger,
            startRoot: b(self.honest.state(0)),
            endRoot: b(claimed),
            nodes: self.nodes(),
        };
        let from = self.chain.accounts()[0];
        self.send(from, self.owner, call).expect("create");
        let count = self.view(self.phase1, DisputeGame::gameCountCall {});
        count.saturating_to::<u64>() - 1
    }

    fn outcome(&mut self) -> u8 {
        self.view(self.owner, TwoPhaseOwner::outcomeCall(U256::from(7)))
    }

    /// Plays the dissection of game `id` at `at` down to one transition: the defender
    /// posts its roots, the challenger picks the first segment whose end it disputes.
    /// Returns the transition's index.
    fn bisect(
        &mut self,
        at: Address,
        id: u64,
        defender: &mut dyn FnMut(u64) -> Hash,
        challenger: &mut dyn FnMut(u64) -> Hash,
    ) -> u64 {
        let gid = U256::from(id);
        loop {
            let info = self.view(at, DisputeGame::infoCall { gameId: gid });
            if info.hi - info.lo == 1 {
                return info.lo;
            }
            let points = self.view(at, DisputeGame::pointsCall { gameId: gid });
            let inner: Vec<Hash> = points[1..points.len() - 1]
                .iter()
                .map(|&p| defender(p))
                .collect();
            let dissect = DisputeGame::dissectCall {
                gameId: gid,
                inner: bs(&inner),
            };
            self.send(self.defender, at, dissect).expect("dissect");
            let index = (0..points.len() - 1)
                .find(|&i| {
                    let end = points[i + 1];
                    let claimed = if i + 1 == points.len() - 1 {
                        info.hiRoot.0
                    } else {
                        inner[i]
                    };
                    challenger(end) != claimed
                })
                .expect("the challenger disputes some segment");
            let pick = DisputeGame::pickCall {
                gameId: gid,
                index: U256::from(index),
                inner: bs(&inner),
            };
            self.send(self.challenger, at, pick).expect("pick");
        }
    }

    /// What the challenger hands in to open node `k`, from the honest run.
    fn opening(&self, k: usize) -> TwoPhaseGame::Opening {
        let state = self.honest.state_tree(k);
        self.model.opening(k, &state).expect("opening")
    }

    fn open(&mut self, id: u64, o: TwoPhaseGame::Opening) -> Result<u64, ChainError> {
        let call = TwoPhaseGame::openNodeCall {
            gameId: U256::from(id),
            o,
        };
        self.send(self.challenger, self.game, call)
    }

    /// The honest Wasm run of node `k`, recorded.
    fn node_trace(&self, k: usize) -> Trace {
        let machine = self
            .model
            .node_machine(k, &self.honest.tensors)
            .expect("node machine");
        Trace::record(machine, 64, 1 << 30, |_| true).expect("node run")
    }

    /// The defender's close of node `k`: `out` in the output slot (its claimed state
    /// k+1 being state k plus that slot), the final VM state of `trace` with `out` in
    /// the output region, after `steps`.
    fn closing(&self, k: usize, trace: &mut Trace, out: Hash, steps: u64) -> TwoPhaseGame::Closing {
        let state = self.honest.state_tree(k);
        let end = trace.seek(trace.total_steps());
        self.model
            .closing(k, &state, end, out, steps)
            .expect("closing")
    }

    fn close(&mut self, id: u64, c: TwoPhaseGame::Closing) -> Result<u64, ChainError> {
        let call = TwoPhaseGame::closeNodeCall {
            gameId: U256::from(id),
            c,
        };
        self.send(self.defender, self.game, call)
    }

    /// The phase-2 game the last close started, and its end root.
    fn node_game(&mut self) -> (u64, Hash) {
        let logs = self
            .chain
            .logs(self.game, &[TwoPhaseGame::NodeClosed::SIGNATURE_HASH])
            .expect("logs");
        let last = logs.last().expect("a NodeClosed event");
        let e = TwoPhaseGame::NodeClosed::decode_log_data(&last.data).expect("NodeClosed");
        (e.nodeGame.saturating_to(), e.endRoot.0)
    }

    /// Phase 2 of node `k` down to one step, then the challenger proves it: the
    /// challenger's VM roots are the honest run's, the defender's are `defender(n)`.
    fn play_node(
        &mut self,
        k: usize,
        defender: &mut dyn FnMut(&mut Trace, u64) -> Hash,
    ) -> Result<u64, ChainError> {
        let (g, _) = self.node_game();
        let mut ours = self.node_trace(k);
        let mut theirs = self.node_trace(k);
        let lo = {
            let mut d = |n| defender(&mut theirs, n);
            let mut c = |n| honest_root(&mut ours, n);
            self.bisect(self.phase2, g, &mut d, &mut c)
        };
        let proof = ours.prove(lo).expect("one-step proof");
        let call = DisputeGame::proveCall {
            gameId: U256::from(g),
            proof: proof.bytes.into(),
        };
        self.send(self.challenger, self.phase2, call)
    }

    /// The phase-1 roots of a party that claims `lie` as node `k`'s output (and the
    /// honest roots of every other slot).
    fn lying_states(&self, k: usize, lie: Hash) -> impl FnMut(u64) -> Hash + use<> {
        let honest = self.honest.clone();
        let first = self.model.first_node_slot() as usize;
        let height = self.model.tree_height as usize;
        move |j| {
            let j = j as usize;
            if j <= k {
                return honest.state(j);
            }
            let mut roots = honest.roots[..first + j].to_vec();
            roots[first + k] = lie;
            opml_vm::merkle::root_of(&roots, height)
        }
    }

    /// A root for node `k`'s output that differs from the honest one (one element + 1).
    fn wrong_output(&self, k: usize) -> Hash {
        let slot = self.model.first_node_slot() as usize + k;
        let mut bytes = self.honest.tensors[slot].clone();
        bytes[0] = bytes[0].wrapping_add(1);
        bytes_root(&bytes, self.model.nodes[k].out_height).expect("fits")
    }

    /// The end root the contract derives when the defender closes node `k` of `trace`
    /// with `out` in the output region.
    fn end_root(&self, k: usize, trace: &mut Trace, out: Hash) -> Hash {
        let c = self.closing(k, trace, out, 1);
        let region = self.model.nodes[k].out_region().expect("output region");
        let path: Vec<Hash> = c.outPath.iter().map(|h| h.0).collect();
        let memory_root = root_from_path(&out, region.index, &path);
        opml_game::layout::state_root(&c.endPrefix, c.pages, c.limit, memory_root)
    }
}

/// The honest root at position `n` of a node's run (past its end: a root no state has).
fn honest_root(trace: &mut Trace, n: u64) -> Hash {
    let end = trace.total_steps();
    if n > end {
        let last = trace.root_at(end);
        return past_the_end(n, &last);
    }
    trace.root_at(n)
}

/// Phase 1 between a defender claiming `defender` states and an honest challenger, down
/// to one node; returns it.
fn to_node(arena: &mut Arena, defender: &mut dyn FnMut(u64) -> Hash) -> (u64, usize) {
    let claimed = defender(arena.nodes());
    let id = arena.create(claimed);
    let honest = arena.honest.clone();
    let mut challenger = |j: u64| honest.state(j as usize);
    let k = arena.bisect(arena.phase1, id, defender, &mut challenger);
    (id, k as usize)
}

#[test]
fn a_lie_at_one_node_loses_in_that_nodes_wasm_run() {
    let mut arena = Arena::new();
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
    let mut arena = Arena::new();
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
    let mut arena = Arena::new();
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
    o.weightRoots[0] = b(arena.model.weight_tree().expect("weights").leaf(0));
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
    let mut arena = Arena::new();
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
    let mut arena = Arena::new();
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
        let mut arena = Arena::new();
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
