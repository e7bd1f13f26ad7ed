//! Writing GGUF v3 files (used to generate small test models).

use crate::error::{GgufError, Result};
use crate::file::{ALIGNMENT_KEY, DEFAULT_ALIGNMENT, MAGIC, VERSION};
use crate::meta::Metadata;
use crate::quant::quantize;
use crate::tensor::TensorType;
use crate::value::{write_string, MetaValue};

/// A tensor to write: descriptor and stored bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorData {
    /// Its name.
    pub name: String,
    /// Its shape, ggml order (innermost first).
    pub dims: Vec<u64>,
    /// Its type.
    pub ty: TensorType,
    /// Its bytes as stored (blocks for quantized types).
    pub data: Vec<u8>,
}

impl TensorData {
    /// A tensor from f32 values in storage order, quantized to `ty`.
    pub fn from_f32(
        name: &str,
        dims: &[u64],
        ty: TensorType,
        values: &[f32],
    ) -> Result<TensorData> {
        Ok(TensorData {
            name: name.to_string(),
            dims: dims.to_vec(),
            ty,
            data: quantize(ty, values, name)?,
        })
    }
}

/// Encodes a GGUF v3 file: header, `metadata` in its order, tensor descriptors, and
/// each tensor's data at the next multiple of the alignment (`general.alignment` if
/// `metadata` sets it, else 32). Errors when a tensor's bytes do not match its type
/// and shape.
pub fn write_gguf(metadata: &Metadata, tensors: &[TensorData]) -> Result<Vec<u8>> {
    let alignment = match metadata.get(ALIGNMENT_KEY) {
        None => DEFAULT_ALIGNMENT,
        Some(MetaValue::U32(a)) if a.is_power_of_two() => u64::from(*a),
        Some(other) => {
            return Err(GgufError::WrongType {
                key: ALIGNMENT_KEY.to_string(),
                expected: "a u32 power of two",
                found: other.type_name(),
            })
        }
    };
    let mut out = Vec::new();
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(tensors.len() as u64).to_le_bytes());
    out.extend_from_slice(&(metadata.len() as u64).to_le_bytes());
    for (key, value) in metadata.entries() {
        write_string(&mut out, key);
        value.write(&mut out);
    }
    let mut offset = 0u64;
    for t in tensors {
        let size = t.ty.data_size(&t.dims, &t.name)?;
        if size != t.data.len() as u64 {
            return Err(GgufError::TensorData {
                name: t.name.clone(),
                reason: format!(
                    "{} bytes given, {} {:?} takes {size}",
                    t.data.len(),
                    t.ty.name(),
                    t.dims
                ),
            });
        }
        write_string(&mut out, &t.name);
        out.extend_from_slice(&(t.dims.len() as u32).to_le_bytes());
        t.dims
            .iter()
            .for_each(|d| out.extend_from_slice(&d.to_le_bytes()));
        out.extend_from_slice(&t.ty.id().to_le_bytes());
        out.extend_from_slice(&offset.to_le_bytes());
        offset = (offset + size).div_ceil(alignment) * alignment;
    }
    // The data section starts aligned and every offset above is aligned, so padding
    // each tensor's start to the alignment puts it at data start + its offset.
    for t in tensors {
        pad_to(&mut out, alignment);
        out.extend_from_slice(&t.data);
    }
    Ok(out)
}

fn pad_to(out: &mut Vec<u8>, alignment: u64) {
    let len = out.len() as u64;
    out.resize(len.div_ceil(alignment) as usize * alignment as usize, 0);
}
