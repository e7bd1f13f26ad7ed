//! The example dApp `FashionGate` (arbiter-sol/contracts/examples/): deploy it, ask it
//! about an image with a fee, and read what it was called back with.

use super::chain::{Chain, ChainError};
use super::contracts::{Params, Registry};
use super::onchain;
use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::{sol, SolConstructor, SolEvent};

sol!(
    #[sol(all_derives)]
    FashionGate,
    "../../arbiter-sol/artifacts/FashionGate.json"
);

/// What the gate was told about one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Classified {
    /// The request.
    pub request: u64,
    /// Who asked.
    pub asker: Address,
    /// The final answer's class.
    pub class: u32,
    /// Whether the asker was admitted.
    pub admitted: bool,
}

/// Deploys a gate over `registry`'s classifier `model` admitting class `admitted`.
pub fn deploy_gate(
    chain: &mut dyn Chain,
    from: Address,
    registry: Address,
    model: u64,
    admitted: u32,
) -> Result<Address, ChainError> {
    let mut code = FashionGate::BYTECODE.to_vec();
    code.extend(
        FashionGate::constructorCall {
            registry_: registry,
            model_: U256::from(model),
            admitted_: admitted,
        }
        .abi_encode(),
    );
    chain.deploy(from, code)
}

/// `from` asks `gate` about `image`, paying `fee` wei, with the answer wanted one hour
/// after the least deadline the registry accepts; returns the request id.
pub fn ask(
    chain: &mut dyn Chain,
    from: Address,
    gate: Address,
    registry: Address,
    image: &[u8],
    fee: U256,
) -> Result<u64, ChainError> {
    let p = Params::read(chain, registry)?;
    let deadline = chain.now()? + p.finality_bound() + 3_600;
    let id = onchain::view(chain, registry, Registry::requestCountCall {})?;
    let call = FashionGate::askCall {
        image: Bytes::copy_from_slice(image),
        deadline,
    };
    onchain::send(chain, from, gate, call, fee)?;
    Ok(id.saturating_to())
}

/// Every `Classified` event of `gate`, oldest first.
pub fn classified(chain: &mut dyn Chain, gate: Address) -> Result<Vec<Classified>, ChainError> {
    chain
        .logs(gate, &[FashionGate::Classified::SIGNATURE_HASH])?
        .iter()
        .map(|l| {
            let e = FashionGate::Classified::decode_log_data(&l.data)
                .map_err(|e| ChainError::Backend(format!("bad Classified event: {e}")))?;
            Ok(Classified {
                request: e.request.saturating_to(),
                asker: e.asker,
                class: e.class,
                admitted: e.admitted,
            })
        })
        .collect()
}
