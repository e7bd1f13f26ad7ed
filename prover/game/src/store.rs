//! Agent state on disk: one JSON file, replaced atomically (write a temporary file in
//! the same directory, flush it, rename it over the old one), so a crash leaves either
//! the old state or the new one.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Why the state could not be saved or loaded.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Reading or writing the file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The file does not hold a valid state.
    #[error("{path}: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// Cause.
        source: serde_json::Error,
    },
}

/// Writes `value` as JSON to `path` atomically.
pub fn save<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), StoreError> {
    let io = |source| StoreError::Io {
        path: path.into(),
        source,
    };
    let json = serde_json::to_vec_pretty(value).map_err(|source| StoreError::Json {
        path: path.into(),
        source,
    })?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    f.write_all(&json).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// Reads the JSON value at `path`.
pub fn load<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, StoreError> {
    let bytes = std::fs::read(path).map_err(|source| StoreError::Io {
        path: path.into(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|source| StoreError::Json {
        path: path.into(),
        source,
    })
}
