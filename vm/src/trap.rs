//! Trap kinds: the ways a Wasm execution can stop abnormally.
//!
//! A trap is a final machine state, not a Rust error: the trapping step is a step like
//! any other, whose post-state has `Status::Trapped(kind)` and is otherwise equal to its
//! pre-state. The numeric codes are committed in the state root and are stable.

use core::fmt;

/// Why execution trapped. `repr(u8)`: the discriminant is the committed trap code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Trap {
    /// `unreachable` was executed.
    Unreachable = 1,
    /// A load or store outside linear memory.
    MemoryOutOfBounds = 2,
    /// Integer division or remainder by zero.
    DivisionByZero = 3,
    /// Signed division overflow, or a float-to-int conversion out of range.
    IntegerOverflow = 4,
    /// A float-to-int conversion of NaN.
    InvalidConversion = 5,
    /// `call_indirect` with an index outside the table.
    UndefinedElement = 6,
    /// `call_indirect` on an empty table slot.
    UninitializedElement = 7,
    /// `call_indirect` whose callee has another signature.
    IndirectCallTypeMismatch = 8,
    /// The call-depth limit or the value-stack capacity was reached.
    CallStackExhausted = 9,
    /// A host function reported an error.
    HostError = 10,
}

impl Trap {
    /// The committed one-byte trap code.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The trap with committed code `code`, if any.
    pub fn from_code(code: u8) -> Option<Trap> {
        Some(match code {
            1 => Trap::Unreachable,
            2 => Trap::MemoryOutOfBounds,
            3 => Trap::DivisionByZero,
            4 => Trap::IntegerOverflow,
            5 => Trap::InvalidConversion,
            6 => Trap::UndefinedElement,
            7 => Trap::UninitializedElement,
            8 => Trap::IndirectCallTypeMismatch,
            9 => Trap::CallStackExhausted,
            10 => Trap::HostError,
            _ => return None,
        })
    }

    /// The wording the Wasm spec test suite uses for this trap.
    pub fn message(self) -> &'static str {
        match self {
            Trap::Unreachable => "unreachable",
            Trap::MemoryOutOfBounds => "out of bounds memory access",
            Trap::DivisionByZero => "integer divide by zero",
            Trap::IntegerOverflow => "integer overflow",
            Trap::InvalidConversion => "invalid conversion to integer",
            Trap::UndefinedElement => "undefined element",
            Trap::UninitializedElement => "uninitialized element",
            Trap::IndirectCallTypeMismatch => "indirect call type mismatch",
            Trap::CallStackExhausted => "call stack exhausted",
            Trap::HostError => "host error",
        }
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}
