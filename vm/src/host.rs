//! Host modules provided by the crate.
//!
//! [`register_spectest`] installs `spectest`, the host module the WebAssembly core
//! spec test suite imports from.

use crate::machine::{Extern, Machine};
use crate::module::{FuncType, GlobalType, Limits, ValType};
use std::collections::HashMap;
use std::sync::Arc;

/// Adds the `spectest` host module to `machine` and registers it under that name.
///
/// Its exports, as the spec interpreter defines them:
/// - functions `print`, `print_i32`, `print_i64`, `print_f32`, `print_f64`,
///   `print_i32_f32`, `print_f64_f64`: no results; they do nothing (printing would
///   only be noise here);
/// - immutable globals `global_i32` and `global_i64` (666), `global_f32` and
///   `global_f64` (666.0);
/// - `table`: funcref, 10 elements, at most 20;
/// - `memory`: 1 page, at most 2.
pub fn register_spectest(machine: &mut Machine) {
    use ValType::{F32, F64, I32, I64};
    let mut exports = HashMap::new();
    let prints: [(&str, &[ValType]); 7] = [
        ("print", &[]),
        ("print_i32", &[I32]),
        ("print_i64", &[I64]),
        ("print_f32", &[F32]),
        ("print_f64", &[F64]),
        ("print_i32_f32", &[I32, F32]),
        ("print_f64_f64", &[F64, F64]),
    ];
    for (name, params) in prints {
        let ty = FuncType {
            params: params.to_vec(),
            results: Vec::new(),
        };
        let addr = machine.add_host_func(ty, Arc::new(|_: &[u64]| Ok(Vec::new())));
        exports.insert(name.to_string(), Extern::Func(addr));
    }
    let globals = [
        ("global_i32", I32, 666u64),
        ("global_i64", I64, 666),
        ("global_f32", F32, u64::from(666.0f32.to_bits())),
        ("global_f64", F64, 666.0f64.to_bits()),
    ];
    for (name, ty, value) in globals {
        let addr = machine.add_global(GlobalType { ty, mutable: false }, value);
        exports.insert(name.to_string(), Extern::Global(addr));
    }
    let table = machine.add_table(Limits {
        min: 10,
        max: Some(20),
    });
    exports.insert("table".to_string(), Extern::Table(table));
    let memory = machine.add_memory(Limits {
        min: 1,
        max: Some(2),
    });
    exports.insert("memory".to_string(), Extern::Memory(memory));
    let id = machine.add_host_instance(exports);
    machine.register("spectest", id);
}
