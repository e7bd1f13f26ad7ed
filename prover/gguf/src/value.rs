//! Metadata values: the 13 GGUF value types, read from and written to bytes.

use crate::cursor::{Cursor, ReadResult};

/// Arrays nested deeper than this are rejected (GGUF allows nesting; real files use
/// none, and the limit keeps recursion bounded on hostile input).
const MAX_ARRAY_DEPTH: u32 = 4;

/// One metadata value.
#[derive(Debug, Clone, PartialEq)]
pub enum MetaValue {
    /// Type 0.
    U8(u8),
    /// Type 1.
    I8(i8),
    /// Type 2.
    U16(u16),
    /// Type 3.
    I16(i16),
    /// Type 4.
    U32(u32),
    /// Type 5.
    I32(i32),
    /// Type 6.
    F32(f32),
    /// Type 7 (one byte, 0 or 1).
    Bool(bool),
    /// Type 8 (u64 length + UTF-8 bytes).
    String(String),
    /// Type 9 (element type u32, count u64, elements).
    Array(MetaArray),
    /// Type 10.
    U64(u64),
    /// Type 11.
    I64(i64),
    /// Type 12.
    F64(f64),
}

/// A typed array value (all elements of one type).
#[derive(Debug, Clone, PartialEq)]
pub enum MetaArray {
    /// Of u8.
    U8(Vec<u8>),
    /// Of i8.
    I8(Vec<i8>),
    /// Of u16.
    U16(Vec<u16>),
    /// Of i16.
    I16(Vec<i16>),
    /// Of u32.
    U32(Vec<u32>),
    /// Of i32.
    I32(Vec<i32>),
    /// Of f32.
    F32(Vec<f32>),
    /// Of bool.
    Bool(Vec<bool>),
    /// Of strings.
    String(Vec<String>),
    /// Of u64.
    U64(Vec<u64>),
    /// Of i64.
    I64(Vec<i64>),
    /// Of f64.
    F64(Vec<f64>),
    /// Of arrays.
    Array(Vec<MetaArray>),
}

const TYPE_NAMES: [&str; 13] = [
    "u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64",
];

/// The smallest encoding of one value of each type, for count checks.
const MIN_SIZE: [usize; 13] = [1, 1, 2, 2, 4, 4, 4, 1, 8, 12, 8, 8, 8];

impl MetaValue {
    /// The GGUF type number.
    pub fn type_id(&self) -> u32 {
        match self {
            MetaValue::U8(_) => 0,
            MetaValue::I8(_) => 1,
            MetaValue::U16(_) => 2,
            MetaValue::I16(_) => 3,
            MetaValue::U32(_) => 4,
            MetaValue::I32(_) => 5,
            MetaValue::F32(_) => 6,
            MetaValue::Bool(_) => 7,
            MetaValue::String(_) => 8,
            MetaValue::Array(_) => 9,
            MetaValue::U64(_) => 10,
            MetaValue::I64(_) => 11,
            MetaValue::F64(_) => 12,
        }
    }

    /// The type for messages, e.g. `u32` or `array of string`.
    pub fn type_name(&self) -> String {
        match self {
            MetaValue::Array(a) => format!("array of {}", type_name(a.elem_type_id())),
            other => type_name(other.type_id()).to_string(),
        }
    }

    /// The value as an unsigned integer, if it is an integer of any width that is
    /// not negative.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            MetaValue::U8(v) => Some(v.into()),
            MetaValue::U16(v) => Some(v.into()),
            MetaValue::U32(v) => Some(v.into()),
            MetaValue::U64(v) => Some(v),
            MetaValue::I8(v) => u64::try_from(v).ok(),
            MetaValue::I16(v) => u64::try_from(v).ok(),
            MetaValue::I32(v) => u64::try_from(v).ok(),
            MetaValue::I64(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }

    pub(crate) fn read(c: &mut Cursor<'_>, ty: u32) -> ReadResult<MetaValue> {
        Ok(match ty {
            0 => MetaValue::U8(c.u8()?),
            1 => MetaValue::I8(c.u8()? as i8),
            2 => MetaValue::U16(c.u16()?),
            3 => MetaValue::I16(c.u16()? as i16),
            4 => MetaValue::U32(c.u32()?),
            5 => MetaValue::I32(c.u32()? as i32),
            6 => MetaValue::F32(c.f32()?),
            7 => MetaValue::Bool(read_bool(c)?),
            8 => MetaValue::String(c.string()?),
            9 => MetaValue::Array(MetaArray::read(c, 0)?),
            10 => MetaValue::U64(c.u64()?),
            11 => MetaValue::I64(c.u64()? as i64),
            12 => MetaValue::F64(c.f64()?),
            other => return Err(c.fail(format!("unknown value type {other}"))),
        })
    }

    /// Appends the type number and the encoded value.
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.type_id().to_le_bytes());
        match self {
            MetaValue::U8(v) => out.push(*v),
            MetaValue::I8(v) => out.extend_from_slice(&v.to_le_bytes()),
            MetaValue::U16(v) => out.extend_from_slice(&v.to_le_bytes()),
            MetaValue::I16(v) => out.extend_from_slice(&v.to_le_bytes()),
            MetaValue::U32(v) => out.extend_from_slice(&v.to_le_bytes()),
            MetaValue::I32(v) => out.extend_from_slice(&v.to_le_bytes()),
            MetaValue::F32(v) => out.extend_from_slice(&v.to_le_bytes()),
            MetaValue::Bool(v) => out.push(u8::from(*v)),
            MetaValue::String(s) => write_string(out, s),
            MetaValue::Array(a) => a.write(out),
            MetaValue::U64(v) => out.extend_from_slice(&v.to_le_bytes()),
            MetaValue::I64(v) => out.extend_from_slice(&v.to_le_bytes()),
            MetaValue::F64(v) => out.extend_from_slice(&v.to_le_bytes()),
        }
    }
}

impl MetaArray {
    /// The GGUF type number of the elements.
    pub fn elem_type_id(&self) -> u32 {
        match self {
            MetaArray::U8(_) => 0,
            MetaArray::I8(_) => 1,
            MetaArray::U16(_) => 2,
            MetaArray::I16(_) => 3,
            MetaArray::U32(_) => 4,
            MetaArray::I32(_) => 5,
            MetaArray::F32(_) => 6,
            MetaArray::Bool(_) => 7,
            MetaArray::String(_) => 8,
            MetaArray::Array(_) => 9,
            MetaArray::U64(_) => 10,
            MetaArray::I64(_) => 11,
            MetaArray::F64(_) => 12,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            MetaArray::U8(v) => v.len(),
            MetaArray::I8(v) => v.len(),
            MetaArray::U16(v) => v.len(),
            MetaArray::I16(v) => v.len(),
            MetaArray::U32(v) => v.len(),
            MetaArray::I32(v) => v.len(),
            MetaArray::F32(v) => v.len(),
            MetaArray::Bool(v) => v.len(),
            MetaArray::String(v) => v.len(),
            MetaArray::Array(v) => v.len(),
            MetaArray::U64(v) => v.len(),
            MetaArray::I64(v) => v.len(),
            MetaArray::F64(v) => v.len(),
        }
    }

    /// True when the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn read(c: &mut Cursor<'_>, depth: u32) -> ReadResult<MetaArray> {
        let ty = c.u32()?;
        let Some(&min) = MIN_SIZE.get(ty as usize) else {
            return Err(c.fail(format!("unknown array element type {ty}")));
        };
        let count = c.u64()?;
        let n = c.check_count(count, min, &format!("array of {}", type_name(ty)))?;
        fn many<T>(n: usize, mut f: impl FnMut() -> ReadResult<T>) -> ReadResult<Vec<T>> {
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                v.push(f()?);
            }
            Ok(v)
        }
        Ok(match ty {
            0 => MetaArray::U8(c.bytes(n)?.to_vec()),
            1 => MetaArray::I8(many(n, || c.u8().map(|b| b as i8))?),
            2 => MetaArray::U16(many(n, || c.u16())?),
            3 => MetaArray::I16(many(n, || c.u16().map(|v| v as i16))?),
            4 => MetaArray::U32(many(n, || c.u32())?),
            5 => MetaArray::I32(many(n, || c.u32().map(|v| v as i32))?),
            6 => MetaArray::F32(many(n, || c.f32())?),
            7 => MetaArray::Bool(many(n, || read_bool(c))?),
            8 => MetaArray::String(many(n, || c.string())?),
            9 => {
                if depth + 1 >= MAX_ARRAY_DEPTH {
                    return Err(c.fail(format!("arrays nested deeper than {MAX_ARRAY_DEPTH}")));
                }
                MetaArray::Array(many(n, || MetaArray::read(c, depth + 1))?)
            }
            10 => MetaArray::U64(many(n, || c.u64())?),
            11 => MetaArray::I64(many(n, || c.u64().map(|v| v as i64))?),
            _ => MetaArray::F64(many(n, || c.f64())?),
        })
    }

    /// Appends element type, count and elements (no leading value type).
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.elem_type_id().to_le_bytes());
        out.extend_from_slice(&(self.len() as u64).to_le_bytes());
        match self {
            MetaArray::U8(v) => out.extend_from_slice(v),
            MetaArray::I8(v) => v
                .iter()
                .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            MetaArray::U16(v) => v
                .iter()
                .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            MetaArray::I16(v) => v
                .iter()
                .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            MetaArray::U32(v) => v
                .iter()
                .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            MetaArray::I32(v) => v
                .iter()
                .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            MetaArray::F32(v) => v
                .iter()
                .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            MetaArray::Bool(v) => v.iter().for_each(|x| out.push(u8::from(*x))),
            MetaArray::String(v) => v.iter().for_each(|s| write_string(out, s)),
            MetaArray::Array(v) => v.iter().for_each(|a| a.write(out)),
            MetaArray::U64(v) => v
                .iter()
                .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            MetaArray::I64(v) => v
                .iter()
                .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            MetaArray::F64(v) => v
                .iter()
                .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        }
    }
}

/// The name of GGUF value type `ty`, or `type N` for unknown numbers.
fn type_name(ty: u32) -> String {
    TYPE_NAMES
        .get(ty as usize)
        .map_or_else(|| format!("type {ty}"), |s| (*s).to_string())
}

fn read_bool(c: &mut Cursor<'_>) -> ReadResult<bool> {
    match c.u8()? {
        0 => Ok(false),
        1 => Ok(true),
        other => Err(c.fail_at(c.pos() - 1, format!("bool byte {other} (not 0 or 1)"))),
    }
}

/// Appends a GGUF string (u64 length + bytes).
pub(crate) fn write_string(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}
