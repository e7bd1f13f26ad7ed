//! Errors of loading and linking modules. Execution never errors: it traps.

use thiserror::Error;

/// Where in a module a problem was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The section being read (`"code"`, `"import"`, ...).
    pub section: &'static str,
    /// The function index (in the module's function index space), for code problems.
    pub func: Option<u32>,
    /// Byte offset in the module binary.
    pub offset: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} section", self.section)?;
        if let Some(func) = self.func {
            write!(f, ", function {func}")?;
        }
        write!(f, ", byte offset {:#x}", self.offset)
    }
}

/// A module that cannot be loaded.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum LoadError {
    /// The text format could not be parsed (only for `.wat` input).
    #[error("cannot parse text module: {0}")]
    Text(String),
    /// The binary is malformed or fails validation.
    #[error("invalid module ({at}): {message}")]
    Invalid {
        /// Where.
        at: Location,
        /// What wasmparser or the lowering reported.
        message: String,
    },
    /// A feature outside Wasm 1.0 + sign-extension + mutable globals.
    #[error("unsupported ({at}): {what}")]
    Unsupported {
        /// Where.
        at: Location,
        /// What is not supported.
        what: String,
    },
    /// The provable profile forbids float instructions.
    #[error("float instruction `{op}` is not allowed by the provable profile ({at})")]
    FloatInProvableProfile {
        /// Where.
        at: Location,
        /// The instruction's name.
        op: &'static str,
    },
    /// The provable profile bounds the operand values one step's proof carries (see
    /// [`MAX_PROOF_OPERANDS`](crate::proof::MAX_PROOF_OPERANDS)); this instruction's
    /// proof would carry more.
    #[error(
        "{at}: {op} {what}, so its one-step proof carries {count} operands; the provable \
         profile allows at most {limit}"
    )]
    TooManyProofOperands {
        /// Where: the function index and the instruction's byte offset.
        at: Location,
        /// The instruction's name.
        op: &'static str,
        /// What makes up the count, e.g. `drops 20000 operands and keeps 1`.
        what: String,
        /// Operand values the instruction's proof carries.
        count: u32,
        /// The profile's limit.
        limit: u32,
    },
}

/// A module that loaded but cannot be instantiated.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum LinkError {
    /// No host module or registered instance provides this import.
    #[error("unknown import `{module}.{name}`: no registered host module or instance provides it")]
    UnknownImport {
        /// Import module name.
        module: String,
        /// Import field name.
        name: String,
    },
    /// The provided extern has another kind or type than the import declares.
    #[error("incompatible import type for `{module}.{name}`: {reason}")]
    IncompatibleImport {
        /// Import module name.
        module: String,
        /// Import field name.
        name: String,
        /// What differs.
        reason: String,
    },
    /// An element or data segment does not fit its table or memory.
    #[error("{0} segment does not fit")]
    SegmentDoesNotFit(&'static str),
    /// The start function trapped.
    #[error("start function trapped: {0}")]
    StartTrapped(crate::Trap),
    /// The start function did not finish within the step limit.
    #[error("start function did not finish within the step limit")]
    StartStepLimit,
}
