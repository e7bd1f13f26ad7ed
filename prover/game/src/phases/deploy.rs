//! A graph model on chain: its `TwoPhaseGame` deployed with the model's commitment, and
//! registered with a registry for one request shape.

use super::{Commitment, GraphModel};
use crate::chain::{Chain, ChainError};
use crate::contracts::{Registry, TwoPhaseGame};
use alloy_primitives::{Address, FixedBytes, U256};
use alloy_sol_types::{SolCall, SolConstructor, SolEvent};

/// The program and graph of `model` as `TwoPhaseGame`'s constructor takes them.
pub fn registration(
    model: &GraphModel,
    commitment: &Commitment,
) -> (TwoPhaseGame::Program, TwoPhaseGame::Graph) {
    let p = &model.program;
    let h = model.tree_height as u8;
    let program = TwoPhaseGame::Program {
        prefix: p.prefix.clone().into(),
        pages: p.pages,
        limit: p.limit,
        base: crate::contracts::Regions::Part {
            height: p.base.height,
            index: p.base.index,
            root: FixedBytes(p.base_root),
        },
        descHeight: p.descriptor.height,
        descIndex: p.descriptor.index,
    };
    let graph = TwoPhaseGame::Graph {
        descriptors: FixedBytes(commitment.descriptors.root()),
        descriptorsHeight: h,
        weights: FixedBytes(commitment.weights.root()),
        weightsHeight: h,
        firstNodeSlot: model.first_node_slot(),
        stateHeight: h,
    };
    (program, graph)
}

/// Deploys the `TwoPhaseGame` of `model` from `from`, reporting to `owner`, with the
/// one-step `verifier` and the dissection `degree` and `clock`.
#[allow(clippy::too_many_arguments)]
pub fn deploy_game(
    chain: &mut dyn Chain,
    from: Address,
    owner: Address,
    verifier: Address,
    model: &GraphModel,
    commitment: &Commitment,
    degree: u64,
    clock: u64,
) -> Result<Address, ChainError> {
    let (program, graph) = registration(model, commitment);
    let mut code = TwoPhaseGame::BYTECODE.to_vec();
    code.extend(
        TwoPhaseGame::constructorCall {
            owner_: owner,
            stepVerifier: verifier,
            program_: program,
            graph_: graph,
            degree_: degree,
            clock_: clock,
        }
        .abi_encode(),
    );
    chain.deploy(from, code)
}

/// Registers `game` (the `TwoPhaseGame` of `model`, owned by `registry`) for inputs of
/// exactly `input_len` bytes starting with `head`; returns the model id.
pub fn register_graph(
    chain: &mut dyn Chain,
    from: Address,
    registry: Address,
    game: Address,
    model: &GraphModel,
    input_len: u32,
    head: &[u8],
) -> Result<u64, ChainError> {
    let out_height = model.nodes.last().map_or(0, |d| d.out_height);
    let call = Registry::registerGraphCall {
        g: game,
        nodes: model.nodes.len() as u64,
        inputLength: input_len,
        head: head.to_vec().into(),
        inputHeight: model.inputs.first().copied().unwrap_or(0) as u8,
        outputHeight: out_height as u8,
    };
    chain.send(from, registry, call.abi_encode(), U256::ZERO)?;
    let logs = chain.logs(registry, &[Registry::Registered::SIGNATURE_HASH])?;
    let last = logs
        .last()
        .ok_or_else(|| ChainError::Backend("no Registered event".into()))?;
    let event = Registry::Registered::decode_log_data(&last.data)
        .map_err(|e| ChainError::Backend(format!("bad Registered event: {e}")))?;
    Ok(event.model.saturating_to())
}
