//! The two-phase game's test arena: the contracts deployed on the embedded chain for a
//! graph model (`TwoPhaseOwner` plays the registry), the honest run, and a driver that
//! plays either phase's dissection between two parties' roots. Used by
//! `two_phase.rs` (the rules, on a toy graph) and `two_phase_llm.rs` (an LLM's
//! generation graph).

use alloy_primitives::{Address, FixedBytes, U256};
use alloy_sol_types::{SolCall, SolConstructor, SolEvent};
use opml_game::chain::{Chain, ChainError};
use opml_game::contracts::{DisputeGame, TwoPhaseGame, WasmStep};
use opml_game::embedded::EmbeddedChain;
use opml_game::phases::{Commitment, GraphModel, GraphRun};
use opml_game::trace::past_the_end;
use opml_vm::commit::region::bytes_root;
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
            descriptors: b(commitment.descriptors.root()),
            descriptorsHeight: model.tree_height as u8,
            weights: b(commitment.weights.root()),
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
            commitment,
            honest,
        };
        arena.game = arena.view(owner, TwoPhaseOwner::gameCall {});
        arena.phase1 = arena.view(arena.game, TwoPhaseGame::phase1Call {});
        arena.phase2 = arena.view(arena.game, TwoPhaseGame::phase2Call {});
        arena
    }

    pub fn view<C: SolCall>(&mut self, at: Address, call: C) -> C::Return {
        let out = self.chain.call(at, call.abi_encode()).expect("view");
        C::abi_decode_returns(&out).expect("decoding")
    }

    pub fn send<C: SolCall>(
        &mut self,
        from: Address,
        at: Address,
        call: C,
    ) -> Result<u64, ChainError> {
        self.chain
            .send(from, at, call.abi_encode(), U256::ZERO)
            .map(|r| r.gas_used)
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
        let proof = ours.prove(lo).expect("one-step proof");
        let call = DisputeGame::proveCall {
            gameId: U256::from(g),
            proof: proof.bytes.into(),
        };
        self.send(self.challenger, self.phase2, call)
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
        let region = self.model.nodes[k].out_region().expect("output region");
        let path: Vec<Hash> = c.outPath.iter().map(|h| h.0).collect();
        let memory_root = root_from_path(&out, region.index, &path);
        opml_game::layout::state_root(&c.endPrefix, c.pages, c.limit, memory_root)
    }
}

/// The honest root at position `n` of a node's run (past its end: a root no state has).
pub fn honest_root(trace: &mut Trace, n: u64) -> Hash {
    let end = trace.total_steps();
    if n > end {
        let last = trace.root_at(end);
        return past_the_end(n, &last);
    }
    trace.root_at(n)
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
