//! The node program: one Wasm module that computes any node of a graph model from the
//! descriptor and tensors placed in its memory. Its start state is the same for every
//! node up to its memory, so the contract registers it once (state prefix, memory size,
//! the root of its own initial memory) and composes each node's memory from regions.

use super::{Descriptor, PhaseError};
use crate::layout::{state_prefix, state_root};
use opml_vm::commit::region::{bytes_root, compose, Region};
use opml_vm::memory::PAGE_SIZE;
use opml_vm::merkle::Hash;
use opml_vm::{Config, Extern, LoadOptions, Machine, Module};

/// A node program as the contract registers it.
#[derive(Clone, Debug)]
pub struct NodeProgram {
    module: Module,
    entry: String,
    /// The start state's prefix (every state field before the memories).
    pub prefix: Vec<u8>,
    /// Pages of its memory.
    pub pages: u32,
    /// Page limit of its memory.
    pub limit: u32,
    /// The region holding its own initial memory (data, stack).
    pub base: Region,
    /// The root of that region at the start.
    pub base_root: Hash,
    /// Where a node's descriptor is placed.
    pub descriptor: Region,
}

impl NodeProgram {
    /// Loads `wasm` (exporting `memory` and the function `entry` without parameters),
    /// whose initial memory must lie inside `base`; descriptors go to `descriptor`; the
    /// memory is grown to `pages` when given (every node's regions must fit it).
    pub fn load(
        wasm: &[u8],
        entry: &str,
        base: Region,
        descriptor: Region,
        pages: Option<u32>,
    ) -> Result<NodeProgram, PhaseError> {
        let module = Module::load(wasm, LoadOptions { provable: true })
            .map_err(|e| PhaseError::Program(e.to_string()))?;
        let mut machine = start(&module, entry, pages)?;
        let memory = machine
            .memory_mut(0)
            .ok_or_else(|| PhaseError::Program("no memory".into()))?;
        let base_end = base.addr() + base.len();
        for page in 0..memory.pages() {
            let outside = (page as u64 + 1) * PAGE_SIZE as u64 > base_end;
            let dirty = memory.page(page).is_some_and(|b| b.iter().any(|&x| x != 0));
            if outside && dirty {
                return Err(PhaseError::OutsideBase { page });
            }
        }
        let (base_root, _) = memory.subtree_proof(base.height as usize, base.index);
        let (pages, limit) = (memory.pages(), memory.page_limit());
        let prefix = state_prefix(&machine.state_fields());
        Ok(NodeProgram {
            module,
            entry: entry.to_string(),
            prefix,
            pages,
            limit,
            base,
            base_root,
            descriptor,
        })
    }

    /// The machine of node `node` at its first step: the program with the descriptor,
    /// inputs and weights written into their regions.
    pub fn machine(
        &self,
        node: u32,
        d: &Descriptor,
        inputs: &[&[u8]],
        weights: &[&[u8]],
    ) -> Result<Machine, PhaseError> {
        let mut machine = start(&self.module, &self.entry, Some(self.pages))?;
        let memory = machine
            .memory_mut(0)
            .ok_or_else(|| PhaseError::Program("no memory".into()))?;
        let desc = d.encode();
        let mut writes = vec![(self.descriptor, desc.as_slice())];
        if inputs.len() != d.inputs.len() || weights.len() != d.weights.len() {
            return Err(PhaseError::Node {
                node,
                what: format!(
                    "{} inputs and {} weights given, the descriptor has {} and {}",
                    inputs.len(),
                    weights.len(),
                    d.inputs.len(),
                    d.weights.len()
                ),
            });
        }
        for (t, bytes) in d
            .inputs
            .iter()
            .chain(&d.weights)
            .zip(inputs.iter().chain(weights))
        {
            let region = t
                .region()
                .map_err(|source| PhaseError::Region { node, source })?;
            writes.push((region, bytes));
        }
        for (region, bytes) in writes {
            if bytes.len() as u64 > region.len() {
                return Err(PhaseError::Node {
                    node,
                    what: format!(
                        "{} bytes exceed the region at {:#x}",
                        bytes.len(),
                        region.addr()
                    ),
                });
            }
            memory
                .write_bytes(region.addr() as usize, bytes)
                .map_err(|_| PhaseError::Node {
                    node,
                    what: format!(
                        "region at {:#x} is outside the program's memory",
                        region.addr()
                    ),
                })?;
        }
        Ok(machine)
    }

    /// Node `node`'s start root as the contract derives it: the program's base region,
    /// the descriptor and the input and weight roots composed into its memory.
    pub fn start_root(
        &self,
        node: u32,
        d: &Descriptor,
        input_roots: &[Hash],
        weight_roots: &[Hash],
    ) -> Result<Hash, PhaseError> {
        let region_err = |source| PhaseError::Region { node, source };
        let desc_root = bytes_root(&d.encode(), self.descriptor.height).map_err(region_err)?;
        let mut parts = vec![(self.base, self.base_root), (self.descriptor, desc_root)];
        for (t, root) in d
            .inputs
            .iter()
            .chain(&d.weights)
            .zip(input_roots.iter().chain(weight_roots))
        {
            parts.push((t.region().map_err(region_err)?, *root));
        }
        parts.sort_by_key(|(r, _)| r.addr());
        let memory_root = compose(&parts).map_err(region_err)?;
        Ok(state_root(
            &self.prefix,
            self.pages,
            self.limit,
            memory_root,
        ))
    }
}

/// The program instantiated, its memory grown to `pages`, its `entry` invoked: the
/// state before its first step.
fn start(module: &Module, entry: &str, pages: Option<u32>) -> Result<Machine, PhaseError> {
    let err = |e: String| PhaseError::Program(e);
    let mut machine = Machine::new(Config::default());
    let id = machine
        .instantiate(module)
        .map_err(|e| err(e.to_string()))?;
    let exports = machine
        .instance(id)
        .map(|i| i.exports.clone())
        .unwrap_or_default();
    let Some(Extern::Func(run)) = exports.get(entry).copied() else {
        return Err(err(format!("no exported function `{entry}`")));
    };
    if !matches!(exports.get("memory"), Some(Extern::Memory(0))) {
        return Err(err("the exported `memory` must be its only memory".into()));
    }
    if let Some(pages) = pages {
        let memory = machine
            .memory_mut(0)
            .ok_or_else(|| err("no memory".into()))?;
        let have = memory.pages();
        if have < pages && memory.grow(pages - have).is_none() {
            return Err(err(format!("the memory cannot grow to {pages} pages")));
        }
    }
    machine.invoke(run, &[]).map_err(|e| err(e.to_string()))?;
    Ok(machine)
}
