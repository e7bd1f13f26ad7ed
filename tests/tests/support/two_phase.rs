//! The two-phase game's test arena: the contracts deployed on the embedded chain for a
//! graph model (`TwoPhaseOwner` plays the registry), the honest run, and a driver that
//! plays either phase's dissection between two parties' roots. Used by
//! `two_phase.rs` (the rules, on a toy graph) and `two_phase_llm.rs` (an LLM's
//! generation graph).

use alloy_primitives::{Address, FixedBytes, U256};
use alloy_sol_types::SolCall;
use opml_game::chain::{Chain, ChainError};
use opml_game::contracts::{DisputeGame, TwoPhaseGame, WasmStep};
use opml_game::embedded::EmbeddedChain;
use opml_game::phases::deploy::deploy_game;
use opml_game::phases::duel;
use opml_game::phases::{
    Commitment, Descriptor, GraphModel, GraphRun, NodeProgram, TensorAt, Weight,
};
use opml_vm::commit::region::{bytes_root, Region};
use opml_vm::merkle::Hash;
use opml_vm::Trace;

alloy_sol_types::sol!(
    #[sol(all_derives)]
    TwoPhaseOwner,
    "../arbiter-sol/artifacts/TwoPhaseOwner.json"
);

/// Each party's clock (seconds).
pub const CLOCK: u64 = 3600;
/// Dissection degree.
pub const DEGREE: u64 = 4;

pub fn b(h: Hash) -> FixedBytes<32> {
    FixedBytes(h)
}

pub fn bs(hs: &[Hash]) -> Vec<FixedBytes<32>> {
    hs.iter().map(|h| FixedBytes(*h)).collect()
}

/// The chain with the contracts deployed for `model`, and the honest run.
pub struct Arena {
    pub chain: EmbeddedChain,
    pub owner: Address,
    pub game: Address,
    pub phase1: Address,
    pub phase2: Address,
    pub defender: Address,
    pub challenger: Address,
    pub model: GraphModel,
    pub commitment: Commitment,
    pub honest: GraphRun,
}

impl Arena {
    /// Deploys the contracts for `model`, whose honest run is `honest`.
    pub fn new(model: GraphModel, honest: GraphRun) -> Arena {
        let commitment = model.commitment().expect("the model's trees");
        let mut chain = EmbeddedChain::new(3);
        let accounts = chain.accounts();
        let deployer = accounts[0];
        let verifier = chain
            .deploy(deployer, WasmStep::BYTECODE.to_vec())
            .expect("WasmStep");
        let owner = chain
            .deploy(deployer, TwoPhaseOwner::BYTECODE.to_vec())
            .expect("TwoPhaseOwner");
        let game = deploy_game(
            &mut chain,
            deployer,
            owner,
            verifier,
            &model,
            &commitment,
            DEGREE,
            CLOCK,
        )
        .expect("TwoPhaseGame");
        let set = TwoPhaseOwner::setGameCall { g: game };
        chain
            .send(deployer, owner, set.abi_encode(), U256::ZERO)
            .expect("setGame");
        let mut arena = Arena {
            chain,
            owner,
            game: Address::ZERO,
            phase1: Address::ZERO,
            phase2: Address::ZERO,
            defender: accounts[1],
            challenger: accounts[2],
            model,
            commitment,
            honest,
        };
        arena.game = game;
        arena.phase1 = arena.view(arena.game, TwoPhaseGame::phase1Call {});
        arena.phase2 = arena.view(arena.game, TwoPhaseGame::phase2Call {});
        arena
    }

    pub fn view<C: SolCall>(&mut self, at: Address, call: C) -> C::Return {
        opml_game::onchain::view(&mut self.chain, at, call).expect("view")
    }

    pub fn send<C: SolCall>(
        &mut self,
        from: Address,
        at: Address,
        call: C,
    ) -> Result<u64, ChainError> {
        opml_game::onchain::send(&mut self.chain, from, at, call, U256::ZERO).map(|r| r.gas_used)
    }

    pub fn nodes(&self) -> u64 {
        self.model.nodes.len() as u64
    }

    /// Starts a dispute in which the defender claims `claimed` as the final state.
    pub fn create(&mut self, claimed: Hash) -> u64 {
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

    pub fn outcome(&mut self) -> u8 {
        self.view(self.owner, TwoPhaseOwner::outcomeCall(U256::from(7)))
    }

    /// Plays the dissection of game `id` at `at` down to one transition: the defender
    /// posts its roots, the challenger picks the first segment whose end it disputes.
    /// Returns the transition's index.
    pub fn bisect(
        &mut self,
        at: Address,
        id: u64,
        defender: &mut dyn FnMut(u64) -> Hash,
        challenger: &mut dyn FnMut(u64) -> Hash,
    ) -> u64 {
        duel::bisect(
            &mut self.chain,
            at,
            id,
            (self.defender, defender),
            (self.challenger, challenger),
        )
        .expect("dissection")
        .leaf
    }

    /// What the challenger hands in to open node `k`, from the honest run.
    pub fn opening(&self, k: usize) -> TwoPhaseGame::Opening {
        let state = self.honest.state_tree(k);
        self.model
            .opening(k, &state, &self.commitment)
            .expect("opening")
    }

    pub fn open(&mut self, id: u64, o: TwoPhaseGame::Opening) -> Result<u64, ChainError> {
        let call = TwoPhaseGame::openNodeCall {
            gameId: U256::from(id),
            o,
        };
        self.send(self.challenger, self.game, call)
    }

    /// The honest Wasm run of node `k`, recorded.
    pub fn node_trace(&self, k: usize) -> Trace {
        self.model
            .node_trace(k, &self.honest.tensors, 1024)
            .expect("node run")
    }

    /// The defender's close of node `k`: `out` in the output slot (its claimed state
    /// k+1 being state k plus that slot), the final VM state of `trace` with `out` in
    /// the output region, after `steps`.
    pub fn closing(
        &self,
        k: usize,
        trace: &mut Trace,
        out: Hash,
        steps: u64,
    ) -> TwoPhaseGame::Closing {
        let state = self.honest.state_tree(k);
        let end = trace.seek(trace.total_steps());
        self.model
            .closing(k, &state, end, out, steps)
            .expect("closing")
    }

    pub fn close(&mut self, id: u64, c: TwoPhaseGame::Closing) -> Result<u64, ChainError> {
        let call = TwoPhaseGame::closeNodeCall {
            gameId: U256::from(id),
            c,
        };
        self.send(self.defender, self.game, call)
    }

    /// The phase-2 game the last close started, and its end root.
    pub fn node_game(&mut self) -> (u64, Hash) {
        duel::node_game(&mut self.chain, self.game).expect("NodeClosed")
    }

    /// Phase 2 of node `k` down to one step, then the challenger proves it: the
    /// challenger's VM roots are the honest run's, the defender's are `defender(n)`.
    pub fn play_node(
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
        duel::prove_step(
            &mut self.chain,
            self.phase2,
            g,
            self.challenger,
            &mut ours,
            lo,
        )
        .map_err(|e| match e {
            opml_game::phases::PhaseError::Chain(c) => c,
            other => panic!("{other}"),
        })
    }

    /// The phase-1 roots of a party that claims `lie` as node `k`'s output (and the
    /// honest roots of every other slot).
    pub fn lying_states(&self, k: usize, lie: Hash) -> impl FnMut(u64) -> Hash + use<> {
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
    pub fn wrong_output(&self, k: usize) -> Hash {
        let slot = self.model.first_node_slot() as usize + k;
        let mut bytes = self.honest.tensors[slot].clone();
        bytes[0] = bytes[0].wrapping_add(1);
        bytes_root(&bytes, self.model.nodes[k].out_height).expect("fits")
    }

    /// The end root the contract derives when the defender closes node `k` of `trace`
    /// with `out` in the output region.
    pub fn end_root(&self, k: usize, trace: &mut Trace, out: Hash) -> Hash {
        let c = self.closing(k, trace, out, 1);
        duel::end_root(&self.model, k, &c).expect("end root")
    }
}

/// The honest root at position `n` of a node's run (past its end: a root no state has).
pub fn honest_root(trace: &mut Trace, n: u64) -> Hash {
    duel::honest_vm_root(trace, n)
}

/// Phase 1 between a defender claiming `defender` states and an honest challenger, down
/// to one node; returns it.
pub fn to_node(arena: &mut Arena, defender: &mut dyn FnMut(u64) -> Hash) -> (u64, usize) {
    let claimed = defender(arena.nodes());
    let id = arena.create(claimed);
    let honest = arena.honest.clone();
    let mut challenger = |j: u64| honest.state(j as usize);
    let k = arena.bisect(arena.phase1, id, defender, &mut challenger);
    (id, k as usize)
}

/// What a dispute with a lie at one node cost.
pub struct Defeated {
    /// Wasm steps of the node.
    pub steps: u64,
    /// Gas of `openNode`.
    pub open_gas: u64,
    /// Gas of `closeNode`.
    pub close_gas: u64,
}

/// Plays a whole dispute in which the defender lies about node `k`'s output (from node
/// `k` on) and backs the lie with a fabricated final VM state, against an honest
/// challenger; checks that phase 1 ends at node `k`, that the start and end roots the
/// contract derives are the node's real start state and the defender's claimed end,
/// and that the challenger wins.
pub fn defeat_lie_at(arena: &mut Arena, k: usize) -> Defeated {
    let lie = arena.wrong_output(k);
    let mut liar = arena.lying_states(k, lie);
    let (id, node) = to_node(arena, &mut liar);
    assert_eq!(node, k, "phase 1 ends at the node where the lie starts");
    let open_gas = arena.open(id, arena.opening(k)).expect("open");
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
    assert_eq!(
        opened.startRoot.0,
        machine.state_root(),
        "the derived start root"
    );
    let mut trace = arena.node_trace(k);
    let steps = trace.total_steps();
    let end = arena.end_root(k, &mut trace, lie);
    let close_gas = arena
        .close(id, arena.closing(k, &mut trace, lie, steps))
        .expect("close");
    assert_eq!(
        arena.node_game().1,
        end,
        "the end root the contract derived"
    );
    let mut defender = |t: &mut Trace, n: u64| if n == steps { end } else { honest_root(t, n) };
    arena.play_node(k, &mut defender).expect("prove");
    assert_eq!(arena.outcome(), 2, "the challenger wins");
    Defeated {
        steps,
        open_gas,
        close_gas,
    }
}

/// Vector length of the graph's tensors.
pub const N: u32 = 16;

pub fn i32_bytes(v: &[i32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

pub fn pseudo(len: usize, seed: i32) -> Vec<i32> {
    (0..len as i32)
        .map(|i| ((i * 37 + seed * 11) % 101) - 50)
        .collect()
}

/// The graph: h0 = W0·x, h1 = relu(h0), h2 = h1 + x, h3 = W1·h2, h4 = relu(h3).
pub fn toy_model() -> GraphModel {
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
            Weight::owned(i32_bytes(&pseudo((N * N) as usize, 3)), mat_h),
            Weight::owned(i32_bytes(&pseudo((N * N) as usize, 5)), mat_h),
        ],
        inputs: vec![vec_h],
        tree_height: 4,
    }
}

/// The arena for the toy graph on a pseudo-random input.
pub fn toy_arena() -> Arena {
    let model = toy_model();
    let input = i32_bytes(&pseudo(N as usize, 1));
    let honest = model.run(&[input]).expect("the graph runs");
    Arena::new(model, honest)
}
