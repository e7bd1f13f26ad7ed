//! Typed Wasm values on the command line: `i32:1,i64:-2,f32:1.5,f64:0x1p-3`.

use opml_vm::ValType;
use std::fmt;

/// A typed value as raw bits (the machine's representation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TypedValue {
    /// Type.
    pub ty: ValType,
    /// Bits: i32/f32 in the low 32 bits.
    pub bits: u64,
}

/// A malformed `--args` list.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "argument {index} `{text}`: {reason} (expected TYPE:VALUE with TYPE one of i32, i64, f32, f64)"
)]
pub struct ArgError {
    /// Position in the list, from 1.
    pub index: usize,
    /// The offending item.
    pub text: String,
    /// What is wrong.
    pub reason: String,
}

/// Parses a comma-separated list of `TYPE:VALUE`. Integers may be negative or `0x` hex.
pub fn parse_args(list: &str) -> Result<Vec<TypedValue>, ArgError> {
    if list.trim().is_empty() {
        return Ok(Vec::new());
    }
    list.split(',')
        .enumerate()
        .map(|(i, item)| parse_one(i + 1, item.trim()))
        .collect()
}

fn parse_int(s: &str) -> Option<i128> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let v = match digits.strip_prefix("0x") {
        Some(hex) => i128::from_str_radix(hex, 16).ok()?,
        None => digits.parse::<i128>().ok()?,
    };
    Some(if neg { -v } else { v })
}

fn parse_one(index: usize, item: &str) -> Result<TypedValue, ArgError> {
    let err = |reason: &str| ArgError {
        index,
        text: item.to_string(),
        reason: reason.to_string(),
    };
    let (ty, value) = item.split_once(':').ok_or_else(|| err("missing `:`"))?;
    let (ty, bits) = match ty {
        "i32" => {
            let v = parse_int(value).ok_or_else(|| err("not an integer"))?;
            if !(i32::MIN as i128..=u32::MAX as i128).contains(&v) {
                return Err(err("out of range for i32"));
            }
            (ValType::I32, v as u32 as u64)
        }
        "i64" => {
            let v = parse_int(value).ok_or_else(|| err("not an integer"))?;
            if !(i64::MIN as i128..=u64::MAX as i128).contains(&v) {
                return Err(err("out of range for i64"));
            }
            (ValType::I64, v as u64)
        }
        "f32" => (
            ValType::F32,
            value
                .parse::<f32>()
                .map_err(|_| err("not a number"))?
                .to_bits() as u64,
        ),
        "f64" => (
            ValType::F64,
            value
                .parse::<f64>()
                .map_err(|_| err("not a number"))?
                .to_bits(),
        ),
        _ => return Err(err("unknown type")),
    };
    Ok(TypedValue { ty, bits })
}

impl fmt::Display for TypedValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ty {
            ValType::I32 => write!(f, "i32:{}", self.bits as u32 as i32),
            ValType::I64 => write!(f, "i64:{}", self.bits as i64),
            ValType::F32 => write!(f, "f32:{}", f32::from_bits(self.bits as u32)),
            ValType::F64 => write!(f, "f64:{}", f64::from_bits(self.bits)),
        }
    }
}

/// The largest checkpoint memory budget accepted (1 TiB).
pub const MAX_CHECKPOINT_BYTES: u64 = 1 << 40;

/// Parses a checkpoint interval in steps: 1 to 2^40 ([`opml_vm::checkpoint::MAX_INTERVAL`]).
pub fn parse_interval(text: &str) -> Result<u64, String> {
    let n: u64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number of steps"))?;
    let max = opml_vm::checkpoint::MAX_INTERVAL;
    match n {
        0 => Err("the checkpoint interval must be at least 1 step".into()),
        n if n > max => Err(format!(
            "a checkpoint interval of {n} steps is past the limit of 2^40 = {max} steps"
        )),
        n => Ok(n),
    }
}

/// Parses a memory size: a whole number with an optional unit `B`, `KB`, `MB`, `GB`
/// (powers of 1000), `KiB`, `MiB`, `GiB`, `TiB` (powers of 1024), e.g. `2GiB`; between
/// 1 MiB and 1 TiB.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{text}` is not a size (e.g. 512MiB, 2GiB)"))?;
    let scale: u64 = match unit.trim() {
        "" | "B" => 1,
        "KB" | "kB" => 1000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "TiB" => 1 << 40,
        other => {
            return Err(format!(
                "unknown unit `{other}` in `{text}` (B, KB, MB, GB, KiB, MiB, GiB, TiB)"
            ))
        }
    };
    let bytes = n
        .checked_mul(scale)
        .filter(|&b| b <= MAX_CHECKPOINT_BYTES)
        .ok_or_else(|| format!("`{text}` is more than the limit of 1 TiB"))?;
    if bytes < 1 << 20 {
        return Err(format!("`{text}` is less than the minimum of 1 MiB"));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_type_and_reports_position() {
        let v = parse_args("i32:-1,i64:0x10,f32:1.5,f64:2").unwrap();
        assert_eq!(v[0].bits, 0xffff_ffff);
        assert_eq!(v[1].bits, 16);
        assert_eq!(v[2].to_string(), "f32:1.5");
        let e = parse_args("i32:1,i33:2").unwrap_err();
        assert_eq!(e.index, 2);
        assert!(parse_args("i32:4294967296").is_err());
        assert!(parse_args("").unwrap().is_empty());
    }

    #[test]
    fn checkpoint_interval_and_size() {
        assert_eq!(parse_interval("1"), Ok(1));
        assert_eq!(parse_interval("1099511627776"), Ok(1 << 40));
        assert!(parse_interval("0").unwrap_err().contains("at least 1 step"));
        assert!(parse_interval("1099511627777")
            .unwrap_err()
            .contains("past the limit"));
        assert!(parse_interval("-3").is_err());
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("64MB"), Ok(64_000_000));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert!(parse_size("0").unwrap_err().contains("minimum"));
        assert!(parse_size("2PiB").unwrap_err().contains("unknown unit"));
        assert!(parse_size("2TiB").unwrap_err().contains("limit"));
        assert!(parse_size("99999999999999999999GiB").is_err());
        assert!(parse_size("GiB").is_err());
    }
}
