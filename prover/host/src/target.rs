//! A run target: a module file (binary `.wasm` or text `.wat`), the export to invoke and
//! its arguments, instantiated in a fresh step machine.

use crate::args::TypedValue;
use opml_vm::{Config, Extern, LoadOptions, Machine, Module, ValType};
use std::path::{Path, PathBuf};

/// Why a target could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The text format did not parse.
    #[error("{path}: {message}")]
    Text {
        /// File.
        path: PathBuf,
        /// Parser message.
        message: String,
    },
    /// The module did not load.
    #[error("{path}: {source}")]
    Load {
        /// File.
        path: PathBuf,
        /// Cause.
        source: opml_vm::LoadError,
    },
    /// The module did not instantiate.
    #[error("{path}: {source}")]
    Link {
        /// File.
        path: PathBuf,
        /// Cause.
        source: opml_vm::LinkError,
    },
    /// No such function export.
    #[error("{path}: no exported function `{name}` (exported functions: {available})")]
    NoExport {
        /// File.
        path: PathBuf,
        /// Requested export.
        name: String,
        /// What exists.
        available: String,
    },
    /// Arguments do not match the signature.
    #[error("{path}: `{name}` takes ({expected}), got ({got})")]
    Signature {
        /// File.
        path: PathBuf,
        /// Export.
        name: String,
        /// Parameter types.
        expected: String,
        /// Argument types.
        got: String,
    },
}

/// Reads a module file; text is accepted when the file does not start with `\0asm`.
pub fn read_module_bytes(path: &Path) -> Result<Vec<u8>, TargetError> {
    let bytes = std::fs::read(path).map_err(|source| TargetError::Read {
        path: path.into(),
        source,
    })?;
    if bytes.starts_with(b"\0asm") {
        return Ok(bytes);
    }
    wat::parse_bytes(&bytes)
        .map(|b| b.into_owned())
        .map_err(|e| TargetError::Text {
            path: path.into(),
            message: e.to_string(),
        })
}

fn type_list(tys: impl Iterator<Item = ValType>) -> String {
    tys.map(|t| format!("{t:?}").to_lowercase())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A module instantiated in a step machine, with the invocation prepared.
pub struct Prepared {
    /// The machine, ready to `run`.
    pub machine: Machine,
    /// The module's bytes (for the wasmi oracle).
    pub bytes: Vec<u8>,
    /// Result types of the invoked export.
    pub result_types: Vec<ValType>,
}

/// Loads `path`, instantiates it and prepares the call `export(args)`.
pub fn prepare(
    path: &Path,
    export: &str,
    args: &[TypedValue],
    opts: LoadOptions,
) -> Result<Prepared, TargetError> {
    let bytes = read_module_bytes(path)?;
    let module = Module::load(&bytes, opts).map_err(|source| TargetError::Load {
        path: path.into(),
        source,
    })?;
    let mut machine = Machine::new(Config::default());
    let id = machine
        .instantiate(&module)
        .map_err(|source| TargetError::Link {
            path: path.into(),
            source,
        })?;
    let exports = &machine
        .instance(id)
        .map(|i| i.exports.clone())
        .unwrap_or_default();
    let Some(Extern::Func(func)) = exports.get(export).copied() else {
        let mut names: Vec<&str> = exports
            .iter()
            .filter(|(_, e)| matches!(e, Extern::Func(_)))
            .map(|(n, _)| n.as_str())
            .collect();
        names.sort_unstable();
        return Err(TargetError::NoExport {
            path: path.into(),
            name: export.into(),
            available: names.join(", "),
        });
    };
    let ty = machine.func_type(func).cloned().unwrap_or_default();
    if ty.params.len() != args.len() || ty.params.iter().zip(args).any(|(p, a)| *p != a.ty) {
        return Err(TargetError::Signature {
            path: path.into(),
            name: export.into(),
            expected: type_list(ty.params.iter().copied()),
            got: type_list(args.iter().map(|a| a.ty)),
        });
    }
    let bits: Vec<u64> = args.iter().map(|a| a.bits).collect();
    // Arity and types were checked above; the machine is fresh, so invoke cannot fail.
    machine
        .invoke(func, &bits)
        .map_err(|e| TargetError::Signature {
            path: path.into(),
            name: export.into(),
            expected: e.to_string(),
            got: String::new(),
        })?;
    Ok(Prepared {
        machine,
        bytes,
        result_types: ty.results,
    })
}
