//! IDX files (the MNIST / Fashion-MNIST format), plain or gzipped, and the convention
//! that turns an 8-bit image into the guest's int8 input: `q = pixel >> 1` (0..=127,
//! real value `q · 2/255`).

use flate2::read::GzDecoder;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Why an IDX file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum IdxError {
    /// Reading or decompressing failed.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// Not an unsigned-byte IDX file, or truncated.
    #[error("{path}: {reason}")]
    Format {
        /// File.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// An unsigned-byte IDX array: dimensions and row-major bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Idx {
    /// Dimensions, outermost first.
    pub dims: Vec<usize>,
    /// The elements.
    pub data: Vec<u8>,
}

/// Whether `bytes` start like an IDX file (plain or gzipped).
pub fn looks_like_idx(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b]) || bytes.starts_with(&[0, 0, 0x08])
}

impl Idx {
    /// Decodes IDX bytes (gzipped when they start with the gzip magic).
    pub fn decode(path: &Path, raw: &[u8]) -> Result<Idx, IdxError> {
        let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
            let mut out = Vec::new();
            GzDecoder::new(raw)
                .read_to_end(&mut out)
                .map_err(|source| IdxError::Io {
                    path: path.into(),
                    source,
                })?;
            out
        } else {
            raw.to_vec()
        };
        let bad = |reason: String| IdxError::Format {
            path: path.into(),
            reason,
        };
        if bytes.len() < 4 || bytes[..3] != [0, 0, 0x08] {
            return Err(bad(
                "not an unsigned-byte IDX file (magic 0x0000_08nn)".into()
            ));
        }
        let ndim = usize::from(bytes[3]);
        let header = 4 + 4 * ndim;
        if bytes.len() < header {
            return Err(bad("truncated header".into()));
        }
        let dims: Vec<usize> = bytes[4..header]
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
            .collect();
        let count = dims
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .ok_or_else(|| bad("dimensions overflow".into()))?;
        if bytes.len() - header != count {
            return Err(bad(format!(
                "{} data bytes, dimensions {dims:?} need {count}",
                bytes.len() - header
            )));
        }
        Ok(Idx {
            data: bytes[header..].to_vec(),
            dims,
        })
    }

    /// Reads an IDX file.
    pub fn read(path: &Path) -> Result<Idx, IdxError> {
        let raw = std::fs::read(path).map_err(|source| IdxError::Io {
            path: path.into(),
            source,
        })?;
        Idx::decode(path, &raw)
    }

    /// Number of items (the first dimension).
    pub fn len(&self) -> usize {
        self.dims.first().copied().unwrap_or(0)
    }

    /// Whether there are no items.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Item `i`'s bytes (for images: the pixels), if it exists.
    pub fn item(&self, i: usize) -> Option<&[u8]> {
        let size = self.dims.iter().skip(1).product::<usize>();
        self.data
            .get(i.checked_mul(size)?..(i + 1).checked_mul(size)?)
    }
}

/// The guest input for an 8-bit image: `pixel >> 1` per pixel, as int8 bytes.
pub fn pixels_to_input(pixels: &[u8]) -> Vec<u8> {
    pixels.iter().map(|p| p >> 1).collect()
}
