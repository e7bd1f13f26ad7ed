//! Parsing a whole GGUF file: header, metadata, tensor descriptors, data section.

use std::collections::HashMap;
use std::path::Path;

use crate::cursor::Cursor;
use crate::error::{GgufError, Result};
use crate::meta::Metadata;
use crate::tensor::{TensorInfo, TensorType};
use crate::value::MetaValue;

/// The four bytes every GGUF file starts with.
pub const MAGIC: [u8; 4] = *b"GGUF";
/// The version this crate writes. Version 2 has the same layout and is read too.
pub const VERSION: u32 = 3;
/// Data alignment when `general.alignment` is absent.
pub const DEFAULT_ALIGNMENT: u64 = 32;
/// The metadata key that sets the data alignment (a u32).
pub const ALIGNMENT_KEY: &str = "general.alignment";

/// ggml's limit on tensor rank.
const MAX_DIMS: u32 = 4;
/// Smallest encoding of one metadata entry: key length, value type, one byte value.
const MIN_KV_BYTES: usize = 8 + 4 + 1;
/// Smallest encoding of one tensor descriptor: name length, rank, type, offset.
const MIN_TENSOR_BYTES: usize = 8 + 4 + 4 + 8;

/// A parsed GGUF file with its bytes.
#[derive(Debug, Clone)]
pub struct GgufFile {
    bytes: Vec<u8>,
    version: u32,
    metadata: Metadata,
    tensors: Vec<TensorInfo>,
    tensor_index: HashMap<String, usize>,
    alignment: u64,
    data_start: u64,
}

impl GgufFile {
    /// Reads and parses the file at `path` (the whole file is read into memory).
    pub fn open(path: impl AsRef<Path>) -> Result<GgufFile> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| GgufError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        GgufFile::from_bytes(bytes)
    }

    /// Parses a file held in memory (a `Vec<u8>` is taken over, a slice copied).
    /// Every descriptor and every tensor's byte range is checked here, so later
    /// accessors cannot fail on file damage.
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Result<GgufFile> {
        let bytes = bytes.into();
        let mut c = Cursor::new(&bytes);
        let magic = c.bytes(4).map_err(|_| GgufError::BadMagic {
            found: bytes.clone(),
        })?;
        if magic != MAGIC {
            return Err(GgufError::BadMagic {
                found: magic.to_vec(),
            });
        }
        let version = c.u32().map_err(|f| f.within("header version"))?;
        if version != 2 && version != 3 {
            return Err(GgufError::UnsupportedVersion(version));
        }
        let tensor_count = c.u64().map_err(|f| f.within("header tensor count"))?;
        let kv_count = c.u64().map_err(|f| f.within("header metadata count"))?;
        let n_kv = c
            .check_count(kv_count, MIN_KV_BYTES, "metadata")
            .map_err(|f| f.within("header"))?;
        let metadata = read_metadata(&mut c, n_kv)?;
        let alignment = alignment(&metadata)?;
        let n_tensors = c
            .check_count(tensor_count, MIN_TENSOR_BYTES, "tensor")
            .map_err(|f| f.within("tensor descriptors"))?;
        let mut tensors = Vec::with_capacity(n_tensors);
        let mut tensor_index = HashMap::with_capacity(n_tensors);
        for i in 0..n_tensors {
            let t = read_tensor_info(&mut c, i, alignment)?;
            if tensor_index.insert(t.name.clone(), i).is_some() {
                return Err(GgufError::Malformed {
                    context: format!("tensor #{i}"),
                    offset: c.pos() as u64,
                    reason: format!("duplicate tensor name '{}'", t.name),
                });
            }
            tensors.push(t);
        }
        let header_end = c.pos() as u64;
        let data_start = header_end.div_ceil(alignment) * alignment;
        let size = bytes.len() as u64;
        for t in &mut tensors {
            let start = data_start.checked_add(t.offset);
            let end = start.and_then(|s| s.checked_add(t.range.end));
            match (start, end) {
                (Some(start), Some(end)) if end <= size => t.range = start..end,
                _ => {
                    return Err(GgufError::TensorOutOfBounds {
                        name: t.name.clone(),
                        start: start.unwrap_or(u64::MAX),
                        end: end.unwrap_or(u64::MAX),
                        size,
                    })
                }
            }
        }
        Ok(GgufFile {
            bytes,
            version,
            metadata,
            tensors,
            tensor_index,
            alignment,
            data_start,
        })
    }

    /// The format version (2 or 3).
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The metadata.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// All tensors in file order.
    pub fn tensors(&self) -> &[TensorInfo] {
        &self.tensors
    }

    /// The tensor called `name`, if present.
    pub fn tensor(&self, name: &str) -> Option<&TensorInfo> {
        self.tensor_index.get(name).map(|&i| &self.tensors[i])
    }

    /// The raw bytes of tensor `name` (blocks as stored), or an error when absent.
    pub fn tensor_bytes(&self, name: &str) -> Result<&[u8]> {
        let t = self
            .tensor(name)
            .ok_or_else(|| GgufError::MissingTensor(name.to_string()))?;
        Ok(self.bytes_of(t))
    }

    /// The raw bytes of a tensor of this file.
    pub fn bytes_of(&self, t: &TensorInfo) -> &[u8] {
        // Ranges were checked against the file size when parsing; a TensorInfo from
        // another file gets an empty slice rather than a panic.
        let (start, end) = (t.range.start as usize, t.range.end as usize);
        self.bytes.get(start..end).unwrap_or(&[])
    }

    /// The tensor `name` as f32 values (dequantized), in storage order.
    pub fn tensor_f32(&self, name: &str) -> Result<Vec<f32>> {
        let t = self
            .tensor(name)
            .ok_or_else(|| GgufError::MissingTensor(name.to_string()))?;
        crate::quant::dequantize(t.ty, self.bytes_of(t), &t.name)
    }

    /// The data alignment in bytes.
    pub fn alignment(&self) -> u64 {
        self.alignment
    }

    /// Offset of the data section in the file.
    pub fn data_start(&self) -> u64 {
        self.data_start
    }

    /// The whole file.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

fn read_metadata(c: &mut Cursor<'_>, n_kv: usize) -> Result<Metadata> {
    let mut metadata = Metadata::new();
    for i in 0..n_kv {
        let key_at = c.pos();
        let key = c
            .string()
            .map_err(|f| f.within(format!("metadata entry #{i} key")))?;
        let context = || format!("metadata key '{key}'");
        let ty = c.u32().map_err(|f| f.within(context()))?;
        let value = MetaValue::read(c, ty).map_err(|f| f.within(context()))?;
        if metadata.insert(key.clone(), value).is_some() {
            return Err(GgufError::Malformed {
                context: format!("metadata entry #{i}"),
                offset: key_at as u64,
                reason: format!("duplicate key '{key}'"),
            });
        }
    }
    Ok(metadata)
}

fn alignment(metadata: &Metadata) -> Result<u64> {
    let Some(value) = metadata.get(ALIGNMENT_KEY) else {
        return Ok(DEFAULT_ALIGNMENT);
    };
    match value {
        MetaValue::U32(a) if a.is_power_of_two() => Ok(u64::from(*a)),
        other => Err(GgufError::WrongType {
            key: ALIGNMENT_KEY.to_string(),
            expected: "a u32 power of two",
            found: format!("{} {other:?}", other.type_name()),
        }),
    }
}

/// Reads one descriptor. Its `range` holds `0..size` until the data section's start
/// is known.
fn read_tensor_info(c: &mut Cursor<'_>, i: usize, alignment: u64) -> Result<TensorInfo> {
    let name = c
        .string()
        .map_err(|f| f.within(format!("tensor #{i} name")))?;
    let context = || format!("tensor '{name}'");
    let rank_at = c.pos();
    let n_dims = c.u32().map_err(|f| f.within(context()))?;
    if n_dims == 0 || n_dims > MAX_DIMS {
        return Err(c
            .fail_at(
                rank_at,
                format!("{n_dims} dimensions (1 to {MAX_DIMS} allowed)"),
            )
            .within(context()));
    }
    let mut dims = Vec::with_capacity(n_dims as usize);
    for _ in 0..n_dims {
        dims.push(c.u64().map_err(|f| f.within(context()))?);
    }
    let ty = c.u32().map_err(|f| f.within(context()))?;
    let ty = TensorType::from_id(ty, &name)?;
    let offset_at = c.pos();
    let offset = c.u64().map_err(|f| f.within(context()))?;
    if offset % alignment != 0 {
        return Err(c
            .fail_at(
                offset_at,
                format!("data offset {offset:#x} not a multiple of the alignment {alignment}"),
            )
            .within(context()));
    }
    let size = ty.data_size(&dims, &name)?;
    Ok(TensorInfo {
        name,
        dims,
        ty,
        offset,
        range: 0..size,
    })
}
