//! Semantics of the Wasm numeric instructions on raw value bits.
//!
//! Every value is carried as a `u64`: `i32`/`f32` in the low 32 bits with the high bits
//! zero, `i64`/`f64` in all 64. These functions are the single definition of numeric
//! behaviour, shared by the executor and the one-step verifier.
//!
//! Floats are deterministic: every arithmetic result that is NaN is the canonical NaN
//! (`0x7fc0_0000` / `0x7ff8_0000_0000_0000`); bitwise float ops (`abs`, `neg`,
//! `copysign`, reinterpretations) keep NaN payloads as the spec requires.

use crate::trap::Trap;

/// Result of a numeric instruction: the result bits, or the trap it raises.
pub type NumResult = Result<u64, Trap>;

const F32_CANONICAL_NAN: u32 = 0x7fc0_0000;
const F64_CANONICAL_NAN: u64 = 0x7ff8_0000_0000_0000;

#[inline(always)]
fn i32v(x: u64) -> i32 {
    x as u32 as i32
}
#[inline(always)]
fn u32v(x: u64) -> u32 {
    x as u32
}
#[inline(always)]
fn from_u32(x: u32) -> u64 {
    x as u64
}
#[inline(always)]
fn from_i32(x: i32) -> u64 {
    x as u32 as u64
}
#[inline(always)]
fn from_bool(b: bool) -> u64 {
    b as u64
}
#[inline(always)]
fn f32v(x: u64) -> f32 {
    f32::from_bits(x as u32)
}
#[inline(always)]
fn f64v(x: u64) -> f64 {
    f64::from_bits(x)
}
#[inline(always)]
fn from_f32(x: f32) -> u64 {
    if x.is_nan() {
        F32_CANONICAL_NAN as u64
    } else {
        x.to_bits() as u64
    }
}
#[inline(always)]
fn from_f64(x: f64) -> u64 {
    if x.is_nan() {
        F64_CANONICAL_NAN
    } else {
        x.to_bits()
    }
}

macro_rules! int_ops {
    ($t:ident, $s:ty, $u:ty, $from_s:ident, $from_u:ident, $sv:ident, $uv:ident,
     $eqz:ident, $eq:ident, $ne:ident, $lt_s:ident, $lt_u:ident, $gt_s:ident, $gt_u:ident,
     $le_s:ident, $le_u:ident, $ge_s:ident, $ge_u:ident, $clz:ident, $ctz:ident,
     $popcnt:ident, $add:ident, $sub:ident, $mul:ident, $div_s:ident, $div_u:ident,
     $rem_s:ident, $rem_u:ident, $and:ident, $or:ident, $xor:ident, $shl:ident,
     $shr_s:ident, $shr_u:ident, $rotl:ident, $rotr:ident) => {
        /// `eqz`.
        pub fn $eqz(a: u64) -> NumResult {
            Ok(from_bool($uv(a) == 0))
        }
        /// `eq`.
        pub fn $eq(a: u64, b: u64) -> NumResult {
            Ok(from_bool($uv(a) == $uv(b)))
        }
        /// `ne`.
        pub fn $ne(a: u64, b: u64) -> NumResult {
            Ok(from_bool($uv(a) != $uv(b)))
        }
        /// `lt_s`.
        pub fn $lt_s(a: u64, b: u64) -> NumResult {
            Ok(from_bool($sv(a) < $sv(b)))
        }
        /// `lt_u`.
        pub fn $lt_u(a: u64, b: u64) -> NumResult {
            Ok(from_bool($uv(a) < $uv(b)))
        }
        /// `gt_s`.
        pub fn $gt_s(a: u64, b: u64) -> NumResult {
            Ok(from_bool($sv(a) > $sv(b)))
        }
        /// `gt_u`.
        pub fn $gt_u(a: u64, b: u64) -> NumResult {
            Ok(from_bool($uv(a) > $uv(b)))
        }
        /// `le_s`.
        pub fn $le_s(a: u64, b: u64) -> NumResult {
            Ok(from_bool($sv(a) <= $sv(b)))
        }
        /// `le_u`.
        pub fn $le_u(a: u64, b: u64) -> NumResult {
            Ok(from_bool($uv(a) <= $uv(b)))
        }
        /// `ge_s`.
        pub fn $ge_s(a: u64, b: u64) -> NumResult {
            Ok(from_bool($sv(a) >= $sv(b)))
        }
        /// `ge_u`.
        pub fn $ge_u(a: u64, b: u64) -> NumResult {
            Ok(from_bool($uv(a) >= $uv(b)))
        }
        /// `clz`.
        pub fn $clz(a: u64) -> NumResult {
            Ok($from_u($uv(a).leading_zeros() as $u))
        }
        /// `ctz`.
        pub fn $ctz(a: u64) -> NumResult {
            Ok($from_u($uv(a).trailing_zeros() as $u))
        }
        /// `popcnt`.
        pub fn $popcnt(a: u64) -> NumResult {
            Ok($from_u($uv(a).count_ones() as $u))
        }
        /// `add` (wrapping).
        pub fn $add(a: u64, b: u64) -> NumResult {
            Ok($from_u($uv(a).wrapping_add($uv(b))))
        }
        /// `sub` (wrapping).
        pub fn $sub(a: u64, b: u64) -> NumResult {
            Ok($from_u($uv(a).wrapping_sub($uv(b))))
        }
        /// `mul` (wrapping).
        pub fn $mul(a: u64, b: u64) -> NumResult {
            Ok($from_u($uv(a).wrapping_mul($uv(b))))
        }
        /// `div_s`: traps on zero divisor and on `MIN / -1`.
        pub fn $div_s(a: u64, b: u64) -> NumResult {
            let (a, b) = ($sv(a), $sv(b));
            if b == 0 {
                return Err(Trap::DivisionByZero);
            }
            a.checked_div(b).map($from_s).ok_or(Trap::IntegerOverflow)
        }
        /// `div_u`: traps on zero divisor.
        pub fn $div_u(a: u64, b: u64) -> NumResult {
            $uv(a)
                .checked_div($uv(b))
                .map($from_u)
                .ok_or(Trap::DivisionByZero)
        }
        /// `rem_s`: traps on zero divisor; `MIN % -1 == 0`.
        pub fn $rem_s(a: u64, b: u64) -> NumResult {
            let (a, b) = ($sv(a), $sv(b));
            if b == 0 {
                return Err(Trap::DivisionByZero);
            }
            Ok($from_s(a.wrapping_rem(b)))
        }
        /// `rem_u`: traps on zero divisor.
        pub fn $rem_u(a: u64, b: u64) -> NumResult {
            $uv(a)
                .checked_rem($uv(b))
                .map($from_u)
                .ok_or(Trap::DivisionByZero)
        }
        /// `and`.
        pub fn $and(a: u64, b: u64) -> NumResult {
            Ok($from_u($uv(a) & $uv(b)))
        }
        /// `or`.
        pub fn $or(a: u64, b: u64) -> NumResult {
            Ok($from_u($uv(a) | $uv(b)))
        }
        /// `xor`.
        pub fn $xor(a: u64, b: u64) -> NumResult {
            Ok($from_u($uv(a) ^ $uv(b)))
        }
        /// `shl` (shift count modulo the width).
        pub fn $shl(a: u64, b: u64) -> NumResult {
            Ok($from_u($uv(a).wrapping_shl($uv(b) as u32)))
        }
        /// `shr_s` (shift count modulo the width).
        pub fn $shr_s(a: u64, b: u64) -> NumResult {
            Ok($from_s($sv(a).wrapping_shr($uv(b) as u32)))
        }
        /// `shr_u` (shift count modulo the width).
        pub fn $shr_u(a: u64, b: u64) -> NumResult {
            Ok($from_u($uv(a).wrapping_shr($uv(b) as u32)))
        }
        /// `rotl`.
        pub fn $rotl(a: u64, b: u64) -> NumResult {
            Ok($from_u($uv(a).rotate_left($uv(b) as u32)))
        }
        /// `rotr`.
        pub fn $rotr(a: u64, b: u64) -> NumResult {
            Ok($from_u($uv(a).rotate_right($uv(b) as u32)))
        }
    };
}

#[inline(always)]
fn i64v(x: u64) -> i64 {
    x as i64
}
#[inline(always)]
fn u64v(x: u64) -> u64 {
    x
}
#[inline(always)]
fn from_i64(x: i64) -> u64 {
    x as u64
}
#[inline(always)]
fn from_u64(x: u64) -> u64 {
    x
}

int_ops!(
    i32, i32, u32, from_i32, from_u32, i32v, u32v, i32_eqz, i32_eq, i32_ne, i32_lt_s, i32_lt_u,
    i32_gt_s, i32_gt_u, i32_le_s, i32_le_u, i32_ge_s, i32_ge_u, i32_clz, i32_ctz, i32_popcnt,
    i32_add, i32_sub, i32_mul, i32_div_s, i32_div_u, i32_rem_s, i32_rem_u, i32_and, i32_or,
    i32_xor, i32_shl, i32_shr_s, i32_shr_u, i32_rotl, i32_rotr
);
int_ops!(
    i64, i64, u64, from_i64, from_u64, i64v, u64v, i64_eqz, i64_eq, i64_ne, i64_lt_s, i64_lt_u,
    i64_gt_s, i64_gt_u, i64_le_s, i64_le_u, i64_ge_s, i64_ge_u, i64_clz, i64_ctz, i64_popcnt,
    i64_add, i64_sub, i64_mul, i64_div_s, i64_div_u, i64_rem_s, i64_rem_u, i64_and, i64_or,
    i64_xor, i64_shl, i64_shr_s, i64_shr_u, i64_rotl, i64_rotr
);

macro_rules! float_ops {
    ($f:ty, $bits:ty, $fv:ident, $from:ident, $sign:expr,
     $eq:ident, $ne:ident, $lt:ident, $gt:ident, $le:ident, $ge:ident,
     $abs:ident, $neg:ident, $ceil:ident, $floor:ident, $trunc:ident, $nearest:ident,
     $sqrt:ident, $add:ident, $sub:ident, $mul:ident, $div:ident, $min:ident, $max:ident,
     $copysign:ident) => {
        /// `eq`.
        pub fn $eq(a: u64, b: u64) -> NumResult {
            Ok(from_bool($fv(a) == $fv(b)))
        }
        /// `ne`.
        pub fn $ne(a: u64, b: u64) -> NumResult {
            Ok(from_bool($fv(a) != $fv(b)))
        }
        /// `lt`.
        pub fn $lt(a: u64, b: u64) -> NumResult {
            Ok(from_bool($fv(a) < $fv(b)))
        }
        /// `gt`.
        pub fn $gt(a: u64, b: u64) -> NumResult {
            Ok(from_bool($fv(a) > $fv(b)))
        }
        /// `le`.
        pub fn $le(a: u64, b: u64) -> NumResult {
            Ok(from_bool($fv(a) <= $fv(b)))
        }
        /// `ge`.
        pub fn $ge(a: u64, b: u64) -> NumResult {
            Ok(from_bool($fv(a) >= $fv(b)))
        }
        /// `abs`: clears the sign bit, NaN payload kept.
        pub fn $abs(a: u64) -> NumResult {
            Ok((a as $bits & !$sign) as u64)
        }
        /// `neg`: flips the sign bit, NaN payload kept.
        pub fn $neg(a: u64) -> NumResult {
            Ok((a as $bits ^ $sign) as u64)
        }
        /// `ceil`.
        pub fn $ceil(a: u64) -> NumResult {
            Ok($from($fv(a).ceil()))
        }
        /// `floor`.
        pub fn $floor(a: u64) -> NumResult {
            Ok($from($fv(a).floor()))
        }
        /// `trunc`.
        pub fn $trunc(a: u64) -> NumResult {
            Ok($from($fv(a).trunc()))
        }
        /// `nearest`: round half to even.
        pub fn $nearest(a: u64) -> NumResult {
            Ok($from($fv(a).round_ties_even()))
        }
        /// `sqrt`.
        pub fn $sqrt(a: u64) -> NumResult {
            Ok($from($fv(a).sqrt()))
        }
        /// `add`.
        pub fn $add(a: u64, b: u64) -> NumResult {
            Ok($from($fv(a) + $fv(b)))
        }
        /// `sub`.
        pub fn $sub(a: u64, b: u64) -> NumResult {
            Ok($from($fv(a) - $fv(b)))
        }
        /// `mul`.
        pub fn $mul(a: u64, b: u64) -> NumResult {
            Ok($from($fv(a) * $fv(b)))
        }
        /// `div`.
        pub fn $div(a: u64, b: u64) -> NumResult {
            Ok($from($fv(a) / $fv(b)))
        }
        /// `min`: NaN if either is NaN; `min(-0, +0) == -0`.
        pub fn $min(a: u64, b: u64) -> NumResult {
            let (x, y) = ($fv(a), $fv(b));
            Ok(if x.is_nan() || y.is_nan() {
                $from(<$f>::NAN)
            } else if x == y {
                // Equal values: only the zeros differ, and the negative one wins.
                ((a as $bits) | (b as $bits)) as u64
            } else {
                $from(x.min(y))
            })
        }
        /// `max`: NaN if either is NaN; `max(-0, +0) == +0`.
        pub fn $max(a: u64, b: u64) -> NumResult {
            let (x, y) = ($fv(a), $fv(b));
            Ok(if x.is_nan() || y.is_nan() {
                $from(<$f>::NAN)
            } else if x == y {
                ((a as $bits) & (b as $bits)) as u64
            } else {
                $from(x.max(y))
            })
        }
        /// `copysign`: magnitude of `a`, sign of `b`, bitwise.
        pub fn $copysign(a: u64, b: u64) -> NumResult {
            Ok(((a as $bits & !$sign) | (b as $bits & $sign)) as u64)
        }
    };
}

float_ops!(
    f32,
    u32,
    f32v,
    from_f32,
    0x8000_0000u32,
    f32_eq,
    f32_ne,
    f32_lt,
    f32_gt,
    f32_le,
    f32_ge,
    f32_abs,
    f32_neg,
    f32_ceil,
    f32_floor,
    f32_trunc,
    f32_nearest,
    f32_sqrt,
    f32_add,
    f32_sub,
    f32_mul,
    f32_div,
    f32_min,
    f32_max,
    f32_copysign
);
float_ops!(
    f64,
    u64,
    f64v,
    from_f64,
    0x8000_0000_0000_0000u64,
    f64_eq,
    f64_ne,
    f64_lt,
    f64_gt,
    f64_le,
    f64_ge,
    f64_abs,
    f64_neg,
    f64_ceil,
    f64_floor,
    f64_trunc,
    f64_nearest,
    f64_sqrt,
    f64_add,
    f64_sub,
    f64_mul,
    f64_div,
    f64_min,
    f64_max,
    f64_copysign
);

/// Checked float-to-int truncation: NaN is `InvalidConversion`; a truncated value
/// outside `(lo_exclusive, hi_exclusive)` is `IntegerOverflow`.
#[inline(always)]
fn trunc_checked(x: f64, lo_exclusive: f64, hi_exclusive: f64) -> Result<f64, Trap> {
    if x.is_nan() {
        return Err(Trap::InvalidConversion);
    }
    let t = x.trunc();
    if t > lo_exclusive && t < hi_exclusive {
        Ok(t)
    } else {
        Err(Trap::IntegerOverflow)
    }
}

// Exclusive bounds of the representable truncated values, exact in f64.
const I32_LO: f64 = -2147483649.0;
const I32_HI: f64 = 2147483648.0;
const U32_HI: f64 = 4294967296.0;
const I64_LO_INCL: f64 = -9223372036854775808.0;
const I64_HI: f64 = 9223372036854775808.0;
const U64_HI: f64 = 18446744073709551616.0;

/// `i32.wrap_i64`.
pub fn i32_wrap_i64(a: u64) -> NumResult {
    Ok(a as u32 as u64)
}
/// `i32.trunc_f32_s`.
pub fn i32_trunc_f32_s(a: u64) -> NumResult {
    trunc_checked(f32v(a) as f64, I32_LO, I32_HI).map(|t| from_i32(t as i32))
}
/// `i32.trunc_f32_u`.
pub fn i32_trunc_f32_u(a: u64) -> NumResult {
    trunc_checked(f32v(a) as f64, -1.0, U32_HI).map(|t| from_u32(t as u32))
}
/// `i32.trunc_f64_s`.
pub fn i32_trunc_f64_s(a: u64) -> NumResult {
    trunc_checked(f64v(a), I32_LO, I32_HI).map(|t| from_i32(t as i32))
}
/// `i32.trunc_f64_u`.
pub fn i32_trunc_f64_u(a: u64) -> NumResult {
    trunc_checked(f64v(a), -1.0, U32_HI).map(|t| from_u32(t as u32))
}
/// `i64.extend_i32_s`.
pub fn i64_extend_i32_s(a: u64) -> NumResult {
    Ok(i32v(a) as i64 as u64)
}
/// `i64.extend_i32_u`.
pub fn i64_extend_i32_u(a: u64) -> NumResult {
    Ok(u32v(a) as u64)
}
/// Signed 64-bit truncation: the lower bound `-2^63` is itself representable.
fn trunc_i64_s(x: f64) -> NumResult {
    if x.is_nan() {
        return Err(Trap::InvalidConversion);
    }
    let t = x.trunc();
    if (I64_LO_INCL..I64_HI).contains(&t) {
        Ok(t as i64 as u64)
    } else {
        Err(Trap::IntegerOverflow)
    }
}
/// `i64.trunc_f32_s`.
pub fn i64_trunc_f32_s(a: u64) -> NumResult {
    trunc_i64_s(f32v(a) as f64)
}
/// `i64.trunc_f32_u`.
pub fn i64_trunc_f32_u(a: u64) -> NumResult {
    trunc_checked(f32v(a) as f64, -1.0, U64_HI).map(|t| t as u64)
}
/// `i64.trunc_f64_s`.
pub fn i64_trunc_f64_s(a: u64) -> NumResult {
    trunc_i64_s(f64v(a))
}
/// `i64.trunc_f64_u`.
pub fn i64_trunc_f64_u(a: u64) -> NumResult {
    trunc_checked(f64v(a), -1.0, U64_HI).map(|t| t as u64)
}
/// `f32.convert_i32_s`.
pub fn f32_convert_i32_s(a: u64) -> NumResult {
    Ok(from_f32(i32v(a) as f32))
}
/// `f32.convert_i32_u`.
pub fn f32_convert_i32_u(a: u64) -> NumResult {
    Ok(from_f32(u32v(a) as f32))
}
/// `f32.convert_i64_s`.
pub fn f32_convert_i64_s(a: u64) -> NumResult {
    Ok(from_f32(a as i64 as f32))
}
/// `f32.convert_i64_u`.
pub fn f32_convert_i64_u(a: u64) -> NumResult {
    Ok(from_f32(a as f32))
}
/// `f32.demote_f64`.
pub fn f32_demote_f64(a: u64) -> NumResult {
    Ok(from_f32(f64v(a) as f32))
}
/// `f64.convert_i32_s`.
pub fn f64_convert_i32_s(a: u64) -> NumResult {
    Ok(from_f64(i32v(a) as f64))
}
/// `f64.convert_i32_u`.
pub fn f64_convert_i32_u(a: u64) -> NumResult {
    Ok(from_f64(u32v(a) as f64))
}
/// `f64.convert_i64_s`.
pub fn f64_convert_i64_s(a: u64) -> NumResult {
    Ok(from_f64(a as i64 as f64))
}
/// `f64.convert_i64_u`.
pub fn f64_convert_i64_u(a: u64) -> NumResult {
    Ok(from_f64(a as f64))
}
/// `f64.promote_f32`.
pub fn f64_promote_f32(a: u64) -> NumResult {
    Ok(from_f64(f32v(a) as f64))
}
/// `i32.reinterpret_f32`, `f32.reinterpret_i32`, `i64.reinterpret_f64`,
/// `f64.reinterpret_i64`: the bits are unchanged.
pub fn reinterpret(a: u64) -> NumResult {
    Ok(a)
}
/// `i32.extend8_s`.
pub fn i32_extend8_s(a: u64) -> NumResult {
    Ok(from_i32(a as u8 as i8 as i32))
}
/// `i32.extend16_s`.
pub fn i32_extend16_s(a: u64) -> NumResult {
    Ok(from_i32(a as u16 as i16 as i32))
}
/// `i64.extend8_s`.
pub fn i64_extend8_s(a: u64) -> NumResult {
    Ok(a as u8 as i8 as i64 as u64)
}
/// `i64.extend16_s`.
pub fn i64_extend16_s(a: u64) -> NumResult {
    Ok(a as u16 as i16 as i64 as u64)
}
/// `i64.extend32_s`.
pub fn i64_extend32_s(a: u64) -> NumResult {
    Ok(a as u32 as i32 as i64 as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_division_edge_cases_trap() {
        assert_eq!(
            i32_div_s(0x8000_0000, 0xffff_ffff),
            Err(Trap::IntegerOverflow)
        );
        assert_eq!(i32_div_s(1, 0), Err(Trap::DivisionByZero));
        assert_eq!(i32_rem_s(0x8000_0000, 0xffff_ffff), Ok(0));
        assert_eq!(i64_div_u(7, 0), Err(Trap::DivisionByZero));
    }

    #[test]
    fn i32_results_keep_high_bits_zero() {
        assert_eq!(i32_sub(0, 1), Ok(0xffff_ffff));
        assert_eq!(i32_shr_s(0x8000_0000, 31), Ok(0xffff_ffff));
        assert_eq!(i32_extend8_s(0x80), Ok(0xffff_ff80));
    }

    #[test]
    fn float_nans_are_canonical_and_zero_signs_respected() {
        let inf = f32::INFINITY.to_bits() as u64;
        let ninf = f32::NEG_INFINITY.to_bits() as u64;
        assert_eq!(f32_add(inf, ninf), Ok(F32_CANONICAL_NAN as u64));
        let (pz, nz) = (0u64, 0x8000_0000u64);
        assert_eq!(f32_min(pz, nz), Ok(nz));
        assert_eq!(f32_max(nz, pz), Ok(pz));
        // neg keeps the payload of a non-canonical NaN.
        assert_eq!(f32_neg(0x7fa0_0001), Ok(0xffa0_0001));
    }

    #[test]
    fn truncation_bounds() {
        assert_eq!(
            i32_trunc_f32_s((-2147483648.0f32).to_bits() as u64),
            Ok(0x8000_0000)
        );
        assert_eq!(
            i32_trunc_f32_s((2147483648.0f32).to_bits() as u64),
            Err(Trap::IntegerOverflow)
        );
        assert_eq!(i32_trunc_f64_u((-0.9f64).to_bits()), Ok(0));
        assert_eq!(
            i64_trunc_f64_s(f64::NAN.to_bits()),
            Err(Trap::InvalidConversion)
        );
        assert_eq!(
            i64_trunc_f64_s((-9223372036854775808.0f64).to_bits()),
            Ok(i64::MIN as u64)
        );
    }
}
