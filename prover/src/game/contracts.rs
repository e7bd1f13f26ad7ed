//! ABI bindings of the arbiter contracts (from the committed artifacts, so building
//! needs no Node) and their deployment.

use super::chain::{Chain, ChainError};
use alloy_primitives::{Address, U256};
use alloy_sol_types::{sol, SolConstructor, SolInterface};

sol!(
    #[sol(all_derives)]
    Registry,
    "../arbiter-sol/artifacts/Registry.json"
);
sol!(
    #[sol(all_derives)]
    DisputeGame,
    "../arbiter-sol/artifacts/DisputeGame.json"
);
sol!(
    #[sol(all_derives)]
    StateRoots,
    "../arbiter-sol/artifacts/StateRoots.json"
);

/// Protocol parameters fixed at deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Params {
    /// Bond of a result and of a challenge, in wei.
    pub bond: u128,
    /// Challenge window in seconds.
    pub window: u64,
    /// Dissection degree.
    pub degree: u64,
    /// Each party's total time in a game, in seconds.
    pub clock: u64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            bond: 10u128.pow(18),
            window: 3_600,
            degree: 8,
            clock: 3_600,
        }
    }
}

/// Addresses of a deployed arbiter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Deployment {
    /// The one-step verifier.
    pub verifier: Address,
    /// The dispute game.
    pub game: Address,
    /// The registry.
    pub registry: Address,
}

/// Deploys WasmStep, DisputeGame and Registry from `from`.
pub fn deploy(chain: &mut dyn Chain, from: Address, p: Params) -> Result<Deployment, ChainError> {
    let verifier = chain.deploy(from, crate::evm::WasmStep::BYTECODE.to_vec())?;
    let mut code = DisputeGame::BYTECODE.to_vec();
    code.extend(
        DisputeGame::constructorCall {
            verifier_: verifier,
        }
        .abi_encode(),
    );
    let game = chain.deploy(from, code)?;
    let mut code = Registry::BYTECODE.to_vec();
    code.extend(
        Registry::constructorCall {
            game_: game,
            bond_: U256::from(p.bond),
            window_: p.window,
            degree_: p.degree,
            clock_: p.clock,
        }
        .abi_encode(),
    );
    let registry = chain.deploy(from, code)?;
    Ok(Deployment {
        verifier,
        game,
        registry,
    })
}

/// A revert's data as the name of the contract error it encodes, when known.
pub fn describe_revert(data: &[u8]) -> String {
    if let Ok(e) = Registry::RegistryErrors::abi_decode(data) {
        return format!("Registry::{e:?}");
    }
    if let Ok(e) = DisputeGame::DisputeGameErrors::abi_decode(data) {
        return format!("DisputeGame::{e:?}");
    }
    if let Ok(e) = StateRoots::StateRootsErrors::abi_decode(data) {
        return format!("StateRoots::{e:?}");
    }
    if let Ok(e) = crate::evm::VerifierError::abi_decode(data) {
        return format!("WasmStep::{}", crate::evm::describe(&e));
    }
    let hex: String = data.iter().map(|b| format!("{b:02x}")).collect();
    format!("0x{hex}")
}
