//! A two-phase dispute told from request to payout on one chain (`opml demo --phases
//! 2`): the registry and the graph model's `TwoPhaseGame` deployed, a request, the
//! scenario's results and challenge, both phases played, the window waited out and the
//! honest answer finalized.

use super::deploy::{deploy_game, register_graph};
use super::duel::{self, send, view, Bisection};
use super::{GraphModel, GraphRun, PhaseError};
use crate::chain::{Chain, ChainError};
use crate::contracts::{self, Params, Registry, TwoPhaseGame};
use alloy_primitives::{Address, FixedBytes, U256};
use alloy_sol_types::SolEvent;
use opml_vm::commit::region::bytes_root;
use opml_vm::merkle::{keccak, Hash, Tree};

/// Who lies, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// The submitter posts a wrong output at one node of one token (and a wrong text).
    WrongNode,
    /// As `WrongNode`, the submitter backing its wrong output with a Wasm run of that
    /// node that goes wrong from its middle step on.
    WrongRun,
    /// The submitter posts the honest final state with another text.
    WrongText,
    /// An honest submitter, a challenger that lies from one node on.
    FalseChallenger,
    /// The submitter posts a wrong result and then never moves.
    SilentDefender,
}

impl Scenario {
    /// Every scenario with its command-line name and what it shows.
    pub const ALL: [(Scenario, &'static str, &'static str); 5] = [
        (
            Scenario::WrongNode,
            "wrong-node",
            "a wrong output at one node of one token, defeated in that node's Wasm run",
        ),
        (
            Scenario::WrongRun,
            "wrong-run",
            "a wrong output at one node backed by a Wasm run that goes wrong from its middle",
        ),
        (
            Scenario::WrongText,
            "wrong-text",
            "the honest final state with another text: refused when posted",
        ),
        (
            Scenario::FalseChallenger,
            "false-challenger",
            "an honest submitter against a challenger that lies from one node on",
        ),
        (
            Scenario::SilentDefender,
            "silent",
            "a wrong result whose submitter never moves: it loses on time",
        ),
    ];
}

/// What happened, for the narration.
#[derive(Clone, Debug, Default)]
pub struct Told {
    /// Lines of the story, in order.
    pub lines: Vec<String>,
    /// Phase 1's dissection (when played).
    pub phase1: Option<Bisection>,
    /// Phase 2's dissection (when played).
    pub phase2: Option<Bisection>,
    /// The disputed node, its op and its Wasm steps (when phase 2 was reached).
    pub node: Option<(usize, u32, u64)>,
    /// Gas of `openNode`, `closeNode` and the one-step proof.
    pub handover_gas: (u64, u64, u64),
    /// Whether the challenger won the dispute (when there was one).
    pub challenger_won: Option<bool>,
    /// The request's answer after finalization.
    pub answer: Vec<u8>,
    /// Credits at the end: submitter (the liar where one lies), challenger, honest
    /// submitter.
    pub credits: [U256; 3],
}

/// The accounts of the story.
struct Cast {
    deployer: Address,
    submitter: Address,
    challenger: Address,
    honest: Address,
}

/// Plays `scenario` for request `input` on `model`, whose honest run is `honest`, with
/// the lie (where there is one) at node `seed % nodes`.
pub fn play(
    chain: &mut dyn Chain,
    model: &GraphModel,
    honest: &GraphRun,
    input: &[u8],
    scenario: Scenario,
    seed: u64,
) -> Result<Told, PhaseError> {
    let a = chain.accounts();
    if a.len() < 4 {
        return Err(ChainError::Backend("the story needs four funded accounts".into()).into());
    }
    let cast = Cast {
        deployer: a[0],
        submitter: a[1],
        challenger: a[2],
        honest: a[3],
    };
    let mut told = Told::default();
    let params = Params::default();
    let commitment = model.commitment()?;
    let d = contracts::deploy(chain, cast.deployer, params)?;
    let game = deploy_game(
        chain,
        cast.deployer,
        d.registry,
        d.verifier,
        model,
        &commitment,
        params.degree,
        params.clock,
    )?;
    let head = &input[..input.len().min(4)];
    let id = register_graph(
        chain,
        cast.deployer,
        d.registry,
        game,
        model,
        input.len() as u32,
        head,
    )?;
    send(
        chain,
        cast.deployer,
        d.registry,
        Registry::requestCall {
            model: U256::from(id),
            input: input.to_vec().into(),
        },
        0,
    )?;
    let nodes = model.nodes.len();
    told.lines.push(format!(
        "registered the graph ({nodes} nodes, {} weight tensors) with its TwoPhaseGame at {game}; request 0 posted",
        model.weights.len()
    ));

    let first = model.first_node_slot() as usize;
    let last = first + nodes - 1;
    let height = model.tree_height as usize;
    let out_height = model.nodes[nodes - 1].out_height;
    let k = (seed as usize) % nodes.max(1);
    let honest_final = honest.state(nodes);
    let honest_path = honest.state_tree(nodes).path(last);
    let honest_out = honest.tensors[last].clone();
    let wrong_text = corrupt(&honest_out);
    // A wrong output at node k, and the wrong text it leads to.
    let lie_bytes = corrupt(&honest.tensors[first + k]);
    let lie =
        bytes_root(&lie_bytes, model.nodes[k].out_height).map_err(|source| PhaseError::Region {
            node: k as u32,
            source,
        })?;
    let text_root = bytes_root(&wrong_text, out_height).map_err(|source| PhaseError::Region {
        node: last as u32,
        source,
    })?;
    let lying_tree = |j: usize| -> Tree {
        if j <= k {
            return honest.state_tree(j);
        }
        let mut roots = honest.roots[..first + j].to_vec();
        roots[first + k] = lie;
        if j == nodes && k + 1 < nodes {
            roots[last] = text_root;
        }
        Tree::new(roots, height)
    };
    let lying_state = |j: usize| lying_tree(j).root();
    let liar_tree = lying_tree(nodes);
    let (liar_final, liar_path) = (liar_tree.root(), liar_tree.path(last));
    let liar_out = if k + 1 == nodes {
        lie_bytes
    } else {
        wrong_text.clone()
    };
    let submit = |output: &[u8], root: Hash, path: &[Hash]| Registry::submitGraphCall {
        id: U256::ZERO,
        output: output.to_vec().into(),
        finalRoot: FixedBytes(root),
        outputPath: path.iter().map(|h| FixedBytes(*h)).collect(),
    };
    let bond = params.bond;
    let post = |chain: &mut dyn Chain, who: Address, output: &[u8], root: Hash, path: &[Hash]| {
        send(chain, who, d.registry, submit(output, root, path), bond)
    };

    match scenario {
        Scenario::WrongText => {
            let refused = post(
                chain,
                cast.submitter,
                &wrong_text,
                honest_final,
                &honest_path,
            );
            told.lines.push(match refused {
                Err(e) => format!(
                    "the submitter posts the honest final state with another text: refused ({e})"
                ),
                Ok(_) => "the submitter's wrong text was accepted (it should not be)".into(),
            });
            post(chain, cast.honest, &honest_out, honest_final, &honest_path)?;
            told.lines
                .push("the honest submitter posts the answer; nobody challenges it".into());
        }
        Scenario::WrongNode
        | Scenario::WrongRun
        | Scenario::SilentDefender
        | Scenario::FalseChallenger => {
            let liar_posts = scenario != Scenario::FalseChallenger;
            if liar_posts {
                post(chain, cast.submitter, &liar_out, liar_final, &liar_path)?;
                told.lines.push(format!(
                    "the submitter posts a result with a wrong output at node {k} (op {})",
                    model.nodes[k].op
                ));
            } else {
                post(
                    chain,
                    cast.submitter,
                    &honest_out,
                    honest_final,
                    &honest_path,
                )?;
                told.lines
                    .push("the submitter posts the honest result".into());
            }
            if liar_posts {
                post(chain, cast.honest, &honest_out, honest_final, &honest_path)?;
                told.lines
                    .push("the honest submitter posts the answer too".into());
            }
            send(
                chain,
                cast.challenger,
                d.registry,
                Registry::challengeCall {
                    resultId: U256::ZERO,
                },
                bond,
            )?;
            let logs = chain.logs(d.registry, &[Registry::Challenged::SIGNATURE_HASH])?;
            let e = logs
                .last()
                .map(|l| Registry::Challenged::decode_log_data(&l.data))
                .transpose()
                .map_err(|e| ChainError::Backend(format!("bad Challenged event: {e}")))?
                .ok_or_else(|| ChainError::Backend("no Challenged event".into()))?;
            let g: u64 = e.game.saturating_to();
            told.lines.push(format!(
                "the challenger challenges result 0: two-phase dispute {g} over {nodes} nodes"
            ));
            let phase1 = view(chain, game, TwoPhaseGame::phase1Call {})?;
            let phase2 = view(chain, game, TwoPhaseGame::phase2Call {})?;
            if scenario == Scenario::SilentDefender {
                chain.advance(params.clock + 1)?;
                send(
                    chain,
                    cast.challenger,
                    phase1,
                    contracts::DisputeGame::timeoutCall {
                        gameId: U256::from(g),
                    },
                    0,
                )?;
                told.lines.push(
                    "the submitter never moves; after its clock the challenger calls timeout"
                        .into(),
                );
            } else {
                let defender_lies = liar_posts;
                let mut liar = |j: u64| lying_state(j as usize);
                let mut truth = |j: u64| honest.state(j as usize);
                let (dr, cr): (&mut dyn FnMut(u64) -> Hash, &mut dyn FnMut(u64) -> Hash) =
                    if defender_lies {
                        (&mut liar, &mut truth)
                    } else {
                        (&mut truth, &mut liar)
                    };
                let b1 = duel::bisect(
                    chain,
                    phase1,
                    g,
                    (cast.submitter, dr),
                    (cast.challenger, cr),
                )?;
                let node = b1.leaf as usize;
                told.lines.push(format!(
                    "phase 1: {} rounds over node indices end at node {node} (op {}), where the states first differ",
                    b1.rounds, model.nodes[node].op
                ));
                told.phase1 = Some(b1);
                let state = honest.state_tree(node);
                let open = model.opening(node, &state, &commitment)?;
                let open_gas = send(
                    chain,
                    cast.challenger,
                    game,
                    TwoPhaseGame::openNodeCall {
                        gameId: U256::from(g),
                        o: open,
                    },
                    0,
                )?;
                let mut trace = model.node_trace(node, &honest.tensors, 1024)?;
                let steps = trace.total_steps();
                let out = if defender_lies {
                    lie
                } else {
                    honest.roots[first + node]
                };
                let end_machine = trace.seek(steps);
                let closing = model.closing(node, &state, end_machine, out, steps)?;
                let claimed_end = duel::end_root(model, node, &closing)?;
                let close_gas = send(
                    chain,
                    cast.submitter,
                    game,
                    TwoPhaseGame::closeNodeCall {
                        gameId: U256::from(g),
                        c: closing,
                    },
                    0,
                )?;
                told.lines.push(format!(
                    "the challenger opens node {node} (start root derived on chain, {open_gas} gas); the submitter closes it: {steps} Wasm steps ({close_gas} gas)"
                ));
                let (g2, _) = duel::node_game(chain, game)?;
                // Both parties' roots are read at once during phase 2, so the liar's
                // claims come from a second recording; the honest run recorded above
                // serves the challenger and its proof.
                let mut theirs = model.node_trace(node, &honest.tensors, 1024)?;
                // Where the liar's Wasm run leaves the honest one: its last step, or (a
                // run that goes wrong inside the node) its middle.
                let wrong_from = if scenario == Scenario::WrongRun {
                    steps / 2
                } else {
                    steps
                };
                let b2 = {
                    let mut lying_vm = |n: u64| {
                        if defender_lies {
                            let r = duel::honest_vm_root(&mut theirs, n);
                            match n {
                                n if n == steps => claimed_end,
                                n if n >= wrong_from => keccak(&[b"wrong run", &r]),
                                _ => r,
                            }
                        } else {
                            let r = duel::honest_vm_root(&mut theirs, n);
                            if n >= steps / 2 {
                                keccak(&[b"false challenger", &r])
                            } else {
                                r
                            }
                        }
                    };
                    let mut honest_vm = |n: u64| duel::honest_vm_root(&mut trace, n);
                    let (dr, cr): (&mut dyn FnMut(u64) -> Hash, &mut dyn FnMut(u64) -> Hash) =
                        if defender_lies {
                            (&mut lying_vm, &mut honest_vm)
                        } else {
                            (&mut honest_vm, &mut lying_vm)
                        };
                    duel::bisect(
                        chain,
                        phase2,
                        g2,
                        (cast.submitter, dr),
                        (cast.challenger, cr),
                    )?
                };
                let prove_gas =
                    duel::prove_step(chain, phase2, g2, cast.challenger, &mut trace, b2.leaf)?;
                told.lines.push(format!(
                    "phase 2: {} rounds over the node's Wasm steps end at step {}; the one-step proof ({prove_gas} gas) decides",
                    b2.rounds, b2.leaf
                ));
                told.phase2 = Some(b2);
                told.node = Some((node, model.nodes[node].op, steps));
                told.handover_gas = (open_gas, close_gas, prove_gas);
            }
            let verdict = view(
                chain,
                d.registry,
                Registry::resultInfoCall {
                    resultId: U256::ZERO,
                },
            )?
            .verdict;
            told.challenger_won = Some(verdict == 1);
            told.lines.push(format!(
                "result 0 is {}",
                match verdict {
                    1 => "rejected",
                    2 => "final",
                    _ => "pending (its dispute is over, its window is not)",
                }
            ));
        }
    }
    chain.advance(params.window + 1)?;
    let finals = view(chain, d.registry, Registry::infoCall { id: U256::ZERO })?.resultIds;
    for r in finals {
        let info = view(chain, d.registry, Registry::resultInfoCall { resultId: r })?;
        if info.verdict == 0 {
            send(
                chain,
                cast.deployer,
                d.registry,
                Registry::finalizeCall { resultId: r },
                0,
            )?;
        }
    }
    told.answer = view(chain, d.registry, Registry::outputOfCall { id: U256::ZERO })?.to_vec();
    for (i, who) in [cast.submitter, cast.challenger, cast.honest]
        .into_iter()
        .enumerate()
    {
        told.credits[i] = view(chain, d.registry, Registry::creditCall(who))?;
    }
    Ok(told)
}

/// `bytes` with the lowest bit of its first byte flipped (a different id or value).
fn corrupt(bytes: &[u8]) -> Vec<u8> {
    let mut v = bytes.to_vec();
    if let Some(b) = v.first_mut() {
        *b ^= 1;
    }
    v
}
