//! The whole protocol on one chain: deploy, register, request, then let the agents
//! move until every one is done, moving the chain's clock when nobody can.

use super::agent::{Action, Agent};
use super::chain::Chain;
use super::contracts::{self, Deployment, Params, Registry};
use super::layout::ModelLayout;
use super::onchain;
use super::GameError;
use alloy_primitives::{Address, Bytes, FixedBytes, U256};

/// A deployed arbiter with a registered model and one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setup {
    /// Contract addresses.
    pub deployment: Deployment,
    /// The model id.
    pub model: u64,
    /// The request id.
    pub request: u64,
    /// The start root the registry derived from the input.
    pub start_root: [u8; 32],
}

/// Deploys the arbiter from `from`, registers `layout` and requests `input`.
pub fn setup(
    chain: &mut dyn Chain,
    from: Address,
    params: Params,
    layout: &ModelLayout,
    input: &[u8],
) -> Result<Setup, GameError> {
    let deployment = contracts::deploy(chain, from, params)?;
    let model = register(chain, from, deployment.registry, layout)?;
    let (request, start_root) = request(chain, from, deployment.registry, model, input)?;
    Ok(Setup {
        deployment,
        model,
        request,
        start_root,
    })
}

/// Registers a model with `layout` in `registry`; returns its id.
pub fn register(
    chain: &mut dyn Chain,
    from: Address,
    registry: Address,
    layout: &ModelLayout,
) -> Result<u64, GameError> {
    let model = onchain::view(chain, registry, Registry::modelCountCall {})?;
    let call = Registry::registerCall {
        prefix: Bytes::copy_from_slice(&layout.prefix),
        pages: layout.pages,
        limit: layout.limit,
        inputPage: layout.input_page,
        outputPage: layout.output_page,
        inputPath: layout.input_path.map(FixedBytes),
    };
    onchain::send(chain, from, registry, call, U256::ZERO)?;
    Ok(model.saturating_to())
}

/// Requests an inference of `model` on `input`; returns the request id and the start
/// root the registry derived.
pub fn request(
    chain: &mut dyn Chain,
    from: Address,
    registry: Address,
    model: u64,
    input: &[u8],
) -> Result<(u64, [u8; 32]), GameError> {
    request_with_terms(chain, from, registry, model, input, None)
}

/// What a paying request offers (`Registry.requestWithFee`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Terms {
    /// Fee in wei, paid to the answer's submitter when it finalizes by `deadline`.
    pub fee: U256,
    /// Chain time by which the answer must finalize to earn the fee.
    pub deadline: u64,
    /// Contract called back with the answer (zero: none).
    pub consumer: Address,
    /// Gas of that callback.
    pub callback_gas: u64,
}

/// Requests an inference of `model` on `input`, with `terms` when given; returns the
/// request id and the start root the registry derived.
pub fn request_with_terms(
    chain: &mut dyn Chain,
    from: Address,
    registry: Address,
    model: u64,
    input: &[u8],
    terms: Option<Terms>,
) -> Result<(u64, [u8; 32]), GameError> {
    let request = onchain::view(chain, registry, Registry::requestCountCall {})?;
    let input = Bytes::copy_from_slice(input);
    let model = U256::from(model);
    match terms {
        None => {
            let call = Registry::requestCall { model, input };
            onchain::send(chain, from, registry, call, U256::ZERO)?
        }
        Some(t) => {
            let call = Registry::requestWithFeeCall {
                model,
                input,
                deadline: t.deadline,
                consumer: t.consumer,
                callbackGas: t.callback_gas,
            };
            onchain::send(chain, from, registry, call, t.fee)?
        }
    };
    let request: u64 = request.saturating_to();
    let start_root = onchain::request(chain, registry, request)?.start_root;
    Ok((request, start_root))
}

/// Polls the agents in turn until all are done, calling `on_action(agent, action)` for
/// every move. When no agent can move, the clock advances by `idle` seconds. Fails
/// after `max_moves` polls that moved nothing or something.
pub fn drive(
    chain: &mut dyn Chain,
    agents: &mut [&mut Agent],
    idle: u64,
    max_moves: usize,
    mut on_action: impl FnMut(usize, &Action),
) -> Result<(), GameError> {
    for _ in 0..max_moves {
        if opml_host::interrupt::requested() {
            return Err(GameError::Interrupted);
        }
        if agents.iter().all(|a| a.state.done) {
            return Ok(());
        }
        let mut moved = false;
        for (i, agent) in agents.iter_mut().enumerate() {
            if let Some(action) = agent.poll(chain)? {
                on_action(i, &action);
                moved = true;
            }
        }
        if !moved {
            chain.advance(idle)?;
        }
    }
    Err(GameError::Stuck(max_moves))
}

/// Sends every account in `who` its credited ether; returns the amounts.
pub fn settle(
    chain: &mut dyn Chain,
    registry: Address,
    who: &[Address],
) -> Result<Vec<U256>, GameError> {
    let mut paid = Vec::with_capacity(who.len());
    for &a in who {
        let credit = onchain::view(chain, registry, Registry::creditCall(a))?;
        if credit > U256::ZERO {
            onchain::send(chain, a, registry, Registry::withdrawCall {}, U256::ZERO)?;
        }
        paid.push(credit);
    }
    Ok(paid)
}
