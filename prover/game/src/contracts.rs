//! ABI bindings of the arbiter contracts (from the committed artifacts, so building
//! needs no Node) and their deployment.

use super::chain::{Chain, ChainError};
use alloy_primitives::{Address, U256};
use alloy_sol_types::{sol, SolConstructor, SolInterface};

sol!(
    #[sol(all_derives)]
    Registry,
    "../../arbiter-sol/artifacts/Registry.json"
);
sol!(
    #[sol(all_derives)]
    DisputeGame,
    "../../arbiter-sol/artifacts/DisputeGame.json"
);
sol!(
    #[sol(all_derives)]
    StateRoots,
    "../../arbiter-sol/artifacts/StateRoots.json"
);
sol!(
    #[sol(all_derives)]
    TwoPhaseGame,
    "../../arbiter-sol/artifacts/TwoPhaseGame.json"
);
sol!(
    #[sol(all_derives)]
    WasmStep,
    "../../arbiter-sol/artifacts/WasmStep.json"
);

/// The one-step verifier's errors.
pub use WasmStep::WasmStepErrors as VerifierError;

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

/// A parameter outside the bounds the registry accepts, or too tight for an agent to
/// play safely.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParamError {
    /// Outside the registry's bounds (its constructor reverts with `BadParameter`).
    #[error("{name} = {value} is outside [{min}, {max}]")]
    OutOfRange {
        /// The parameter.
        name: &'static str,
        /// Its value.
        value: u128,
        /// Smallest accepted.
        min: u128,
        /// Largest accepted.
        max: u128,
    },
    /// The clock does not cover the moves an agent must make in one game.
    #[error(
        "clock {clock} s cannot cover {moves} moves at {per_move} s each (a game over {steps} \
         steps at degree {degree}): an honest party could lose on time"
    )]
    ClockTooShort {
        /// The clock, seconds.
        clock: u64,
        /// Moves one party makes in the longest game.
        moves: u64,
        /// Seconds the agent allows for one move.
        per_move: u64,
        /// Steps of the execution.
        steps: u64,
        /// Dissection degree.
        degree: u64,
    },
    /// The window is shorter than one move: a wrong result could finalize before an
    /// honest challenger gets its challenge in.
    #[error("window {window} s is shorter than one move ({per_move} s): a challenge may not land in time")]
    WindowTooShort {
        /// The window, seconds.
        window: u64,
        /// Seconds the agent allows for one move.
        per_move: u64,
    },
}

impl Params {
    /// Dissection degree bounds (`Registry.MIN_DEGREE`, `MAX_DEGREE`).
    pub const DEGREE: (u64, u64) = (2, 64);
    /// Window bounds in seconds (`Registry.MIN_WINDOW`, `MAX_WINDOW`).
    pub const WINDOW: (u64, u64) = (1, 365 * 86_400);
    /// Clock bounds in seconds (`Registry.MIN_CLOCK`, `MAX_CLOCK`).
    pub const CLOCK: (u64, u64) = (1, 365 * 86_400);

    /// Checks the bounds the registry's constructor enforces.
    pub fn check(&self) -> Result<(), ParamError> {
        let range = |name, value: u128, (min, max): (u64, u64)| {
            if value < u128::from(min) || value > u128::from(max) {
                return Err(ParamError::OutOfRange {
                    name,
                    value,
                    min: min.into(),
                    max: max.into(),
                });
            }
            Ok(())
        };
        if self.bond == 0 {
            return Err(ParamError::OutOfRange {
                name: "bond",
                value: 0,
                min: 1,
                max: u128::MAX,
            });
        }
        range("window", self.window.into(), Params::WINDOW)?;
        range("degree", self.degree.into(), Params::DEGREE)?;
        range("clock", self.clock.into(), Params::CLOCK)
    }

    /// Seconds within which a right result finalizes whatever colluders do, counted from
    /// its posting: the window plus both clocks of one game
    /// (docs/dispute-protocol.md, "the bound on delay").
    pub fn finality_bound(&self) -> u64 {
        self.window.saturating_add(self.clock.saturating_mul(2))
    }

    /// Moves one party makes at most in a game over `steps` steps: one per round of
    /// dissection plus the last one.
    pub fn moves(&self, steps: u64) -> u64 {
        crate::dissection::rounds(steps.max(1), self.degree) + 1
    }

    /// Checks that an agent allowing `per_move` seconds per move can play a game over
    /// `steps` steps under these parameters without losing on time, and get a challenge
    /// in within the window.
    pub fn check_playable(&self, steps: u64, per_move: u64) -> Result<(), ParamError> {
        self.check()?;
        let moves = self.moves(steps);
        if self.clock < moves.saturating_mul(per_move) {
            return Err(ParamError::ClockTooShort {
                clock: self.clock,
                moves,
                per_move,
                steps,
                degree: self.degree,
            });
        }
        if self.window < per_move {
            return Err(ParamError::WindowTooShort {
                window: self.window,
                per_move,
            });
        }
        Ok(())
    }

    /// The parameters of the registry at `registry`.
    pub fn read(chain: &mut dyn Chain, registry: Address) -> Result<Params, ChainError> {
        use super::onchain::view;
        let bond = view(chain, registry, Registry::bondCall {})?;
        Ok(Params {
            bond: bond.saturating_to(),
            window: view(chain, registry, Registry::windowCall {})?,
            degree: view(chain, registry, Registry::degreeCall {})?,
            clock: view(chain, registry, Registry::clockCall {})?,
        })
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

/// Deploys WasmStep and the Registry (which creates its DisputeGame) from `from`.
pub fn deploy(chain: &mut dyn Chain, from: Address, p: Params) -> Result<Deployment, ChainError> {
    let verifier = chain.deploy(from, WasmStep::BYTECODE.to_vec())?;
    let mut code = Registry::BYTECODE.to_vec();
    code.extend(
        Registry::constructorCall {
            verifier_: verifier,
            bond_: U256::from(p.bond),
            window_: p.window,
            degree_: p.degree,
            clock_: p.clock,
        }
        .abi_encode(),
    );
    let registry = chain.deploy(from, code)?;
    let game = super::onchain::view(chain, registry, Registry::gameCall {})?;
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
    if let Ok(e) = TwoPhaseGame::TwoPhaseGameErrors::abi_decode(data) {
        return format!("TwoPhaseGame::{e:?}");
    }
    if let Ok(e) = StateRoots::StateRootsErrors::abi_decode(data) {
        return format!("StateRoots::{e:?}");
    }
    if let Ok(e) = VerifierError::abi_decode(data) {
        return format!("WasmStep::{}", describe(&e));
    }
    let hex: String = data.iter().map(|b| format!("{b:02x}")).collect();
    format!("0x{hex}")
}

/// The verifier error in the words of the Rust `ProofError` it mirrors (its variant and
/// the fields both sides report), for display and for comparing the two verifiers.
pub fn describe(e: &VerifierError) -> String {
    match e {
        VerifierError::Version(x) => format!("Version({})", x.version),
        VerifierError::Truncated(x) => format!("Truncated(offset {})", x.offset),
        VerifierError::TrailingBytes(x) => format!("TrailingBytes(offset {})", x.offset),
        VerifierError::PathTooLong(x) => format!("PathTooLong({})", x.len),
        VerifierError::PreRootMismatch(_) => "PreRootMismatch".into(),
        VerifierError::Mismatch(x) => format!("Mismatch({})", x.item),
        VerifierError::OutOfRange(x) => format!("OutOfRange({})", x.item),
        VerifierError::UnknownOpcode(x) => format!("UnknownOpcode({})", x.opcode),
        VerifierError::FloatNotProvable(x) => format!("FloatNotProvable({})", x.opcode),
        VerifierError::HostCallNotProvable(x) => format!("HostCallNotProvable({})", x.func),
        VerifierError::NoMemory(_) => "NoMemory".into(),
    }
}

/// [`describe`] for the Rust verifier's error.
pub fn describe_rust(e: &opml_vm::ProofError) -> String {
    use opml_vm::ProofError as E;
    match e {
        E::Version(v) => format!("Version({v})"),
        E::Truncated { offset, .. } => format!("Truncated(offset {offset})"),
        E::TrailingBytes { offset, .. } => format!("TrailingBytes(offset {offset})"),
        E::PathTooLong { len, .. } => format!("PathTooLong({len})"),
        E::PreRootMismatch => "PreRootMismatch".into(),
        E::Mismatch(item) => format!("Mismatch({item})"),
        E::OutOfRange(item) => format!("OutOfRange({item})"),
        E::UnknownOpcode(op) => format!("UnknownOpcode({op})"),
        E::FloatNotProvable(op) => format!("FloatNotProvable({op})"),
        E::HostCallNotProvable(f) => format!("HostCallNotProvable({f})"),
        E::NoMemory => "NoMemory".into(),
        E::Inconsistent(what) => format!("Inconsistent({what})"),
        E::NonStandardConfig => "NonStandardConfig".into(),
    }
}
