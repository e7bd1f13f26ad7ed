//! A graph model and its run: node by node, each node's output becoming a tensor of
//! the phase-1 state. State k is the Merkle tree (fixed height) of the roots of the
//! graph inputs and of the outputs of nodes `0..k`, slot by slot; empty slots are zero
//! leaves, so state k+1 is state k with exactly one slot filled.

use super::{Descriptor, NodeProgram, PhaseError};
use opml_vm::checkpoint::Checkpoints;
use opml_vm::commit::region::bytes_root;
use opml_vm::merkle::{Hash, Tree};
use opml_vm::{Machine, Status, Trace};
use std::ops::Range;
use std::sync::Arc;

/// Computes node `k`'s output bytes from the tensors so far (graph inputs, then node
/// outputs): the step machine, or a native twin of the node program.
pub type ComputeNode<'a> = dyn Fn(usize, &[Vec<u8>]) -> Result<Vec<u8>, PhaseError> + 'a;

/// The trees a graph model registers: its descriptors' region roots in node order, and
/// its weight tensors' roots.
#[derive(Clone, Debug)]
pub struct Commitment {
    /// Tree over the descriptors' region roots.
    pub descriptors: Tree,
    /// Tree over the weight tensors' roots.
    pub weights: Tree,
}

/// What node `k` reads: its descriptor, its input tensors and its weight tensors.
pub struct NodeOperands<'a> {
    /// The node's descriptor.
    pub descriptor: &'a Descriptor,
    /// Input tensor bytes, in the descriptor's order.
    pub inputs: Vec<&'a [u8]>,
    /// Weight tensor bytes, in the descriptor's order.
    pub weights: Vec<&'a [u8]>,
}

/// The most steps one node's run may take.
const MAX_NODE_STEPS: u64 = 1 << 40;

/// A weight tensor: its bytes (a range of a shared buffer, so a model's weights can
/// stay in its image) and its region height.
#[derive(Clone, Debug)]
pub struct Weight {
    buffer: Arc<Vec<u8>>,
    range: Range<usize>,
    /// Height of its region.
    pub height: u32,
}

impl Weight {
    /// A weight holding `bytes`.
    pub fn owned(bytes: Vec<u8>, height: u32) -> Weight {
        let range = 0..bytes.len();
        Weight {
            buffer: Arc::new(bytes),
            range,
            height,
        }
    }

    /// A weight that is `range` of `buffer` (`None` when the range is outside it).
    pub fn shared(buffer: &Arc<Vec<u8>>, range: Range<usize>, height: u32) -> Option<Weight> {
        buffer.get(range.clone())?;
        Some(Weight {
            buffer: Arc::clone(buffer),
            range,
            height,
        })
    }

    /// Its bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.buffer[self.range.clone()]
    }
}

/// A graph model as the contract commits to it.
#[derive(Clone, Debug)]
pub struct GraphModel {
    /// The program computing every node.
    pub program: NodeProgram,
    /// The nodes, in execution order.
    pub nodes: Vec<Descriptor>,
    /// Weight tensors.
    pub weights: Vec<Weight>,
    /// Region heights of the graph inputs (phase-1 slots `0..inputs.len()`).
    pub inputs: Vec<u32>,
    /// Height of the phase-1 state tree and of the descriptor and weight trees.
    pub tree_height: u32,
}

impl GraphModel {
    /// Phase-1 slot of node 0's output.
    pub fn first_node_slot(&self) -> u32 {
        self.inputs.len() as u32
    }

    /// The model's two trees as the contract registers them.
    pub fn commitment(&self) -> Result<Commitment, PhaseError> {
        Ok(Commitment {
            descriptors: self.descriptor_tree()?,
            weights: self.weight_tree()?,
        })
    }

    /// The tree of the descriptors' region roots, node order.
    pub fn descriptor_tree(&self) -> Result<Tree, PhaseError> {
        let leaves = self
            .nodes
            .iter()
            .enumerate()
            .map(|(k, d)| {
                bytes_root(&d.encode(), self.program.descriptor.height).map_err(|source| {
                    PhaseError::Region {
                        node: k as u32,
                        source,
                    }
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Tree::new(leaves, self.tree_height as usize))
    }

    /// The tree of the weight tensors' region roots.
    pub fn weight_tree(&self) -> Result<Tree, PhaseError> {
        use rayon::prelude::*;
        let leaves = self
            .weights
            .par_iter()
            .map(|w| bytes_root(w.bytes(), w.height))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|source| PhaseError::Region { node: 0, source })?;
        Ok(Tree::new(leaves, self.tree_height as usize))
    }

    /// The input and weight bytes of node `k`, its inputs taken from `tensors` (graph
    /// inputs, then node outputs).
    pub fn node_operands<'a>(
        &'a self,
        k: usize,
        tensors: &'a [Vec<u8>],
    ) -> Result<NodeOperands<'a>, PhaseError> {
        let node = k as u32;
        let d = self.nodes.get(k).ok_or_else(|| PhaseError::Node {
            node,
            what: format!("the model has {} nodes", self.nodes.len()),
        })?;
        let inputs = d
            .inputs
            .iter()
            .map(|t| {
                tensors
                    .get(t.id as usize)
                    .filter(|_| t.id < self.first_node_slot() + node)
                    .map(Vec::as_slice)
                    .ok_or_else(|| PhaseError::Node {
                        node,
                        what: format!("input slot {} is not computed before this node", t.id),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let weights = d
            .weights
            .iter()
            .map(|t| {
                self.weights
                    .get(t.id as usize)
                    .map(Weight::bytes)
                    .ok_or_else(|| PhaseError::Node {
                        node,
                        what: format!("no weight {}", t.id),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(NodeOperands {
            descriptor: d,
            inputs,
            weights,
        })
    }

    /// The machine of node `k` at its first step, its inputs taken from `tensors`.
    pub fn node_machine(&self, k: usize, tensors: &[Vec<u8>]) -> Result<Machine, PhaseError> {
        let ops = self.node_operands(k, tensors)?;
        self.program
            .machine(k as u32, ops.descriptor, &ops.inputs, &ops.weights)
    }

    /// Node `k`'s Wasm run recorded for phase 2, snapshotting every `interval` steps
    /// (the interval doubles past the executions' checkpoint budget, 1 GiB).
    pub fn node_trace(
        &self,
        k: usize,
        tensors: &[Vec<u8>],
        interval: u64,
    ) -> Result<Trace, PhaseError> {
        let machine = self.node_machine(k, tensors)?;
        let checkpoints = Checkpoints {
            interval,
            budget: crate::job::CHECKPOINT_BUDGET,
        };
        Trace::record_with(machine, checkpoints, crate::job::MAX_STEPS, |_| true).map_err(|e| {
            PhaseError::Node {
                node: k as u32,
                what: format!("recording its run: {e}"),
            }
        })
    }

    /// Node `k`'s output computed in the step machine: its whole output region.
    pub fn step_node(&self, k: usize, tensors: &[Vec<u8>]) -> Result<Vec<u8>, PhaseError> {
        let node = k as u32;
        let mut machine = self.node_machine(k, tensors)?;
        let ran = machine.run(MAX_NODE_STEPS);
        let failed = machine.results().first().is_some_and(|&code| code != 0);
        if machine.status() != Status::Halted || failed {
            return Err(PhaseError::NotHalted {
                node,
                status: format!(
                    "{:?} with results {:?}",
                    machine.status(),
                    machine.results()
                ),
                steps: ran,
            });
        }
        let out = self.nodes[k]
            .out_region()
            .map_err(|source| PhaseError::Region { node, source })?;
        machine
            .memory(0)
            .and_then(|m| m.read_bytes(out.addr(), out.len() as usize))
            .ok_or_else(|| PhaseError::Node {
                node,
                what: "output region outside memory".into(),
            })
    }

    /// Runs every node in the step machine on the graph inputs.
    pub fn run(&self, inputs: &[Vec<u8>]) -> Result<GraphRun, PhaseError> {
        self.run_with(inputs, &|k, tensors| self.step_node(k, tensors))
    }

    /// Runs every node with `compute(k, tensors)` (node `k`'s output bytes from the
    /// tensors so far: the step machine, or a native twin of the node program).
    pub fn run_with(
        &self,
        inputs: &[Vec<u8>],
        compute: &ComputeNode<'_>,
    ) -> Result<GraphRun, PhaseError> {
        if inputs.len() != self.inputs.len() {
            return Err(PhaseError::Node {
                node: 0,
                what: format!(
                    "{} graph inputs given, the model has {}",
                    inputs.len(),
                    self.inputs.len()
                ),
            });
        }
        let mut tensors: Vec<Vec<u8>> = inputs.to_vec();
        for k in 0..self.nodes.len() {
            let out = compute(k, &tensors)?;
            tensors.push(out);
        }
        let heights: Vec<u32> = self
            .inputs
            .iter()
            .copied()
            .chain(self.nodes.iter().map(|d| d.out_height))
            .collect();
        let roots = {
            use rayon::prelude::*;
            tensors
                .par_iter()
                .zip(heights.par_iter())
                .map(|(t, h)| bytes_root(t, *h))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|source| PhaseError::Region { node: 0, source })?
        };
        Ok(GraphRun {
            tensors,
            roots,
            first_node_slot: self.first_node_slot(),
            tree_height: self.tree_height,
        })
    }
}

/// A graph run: every tensor (graph inputs, then node outputs) and its root.
#[derive(Clone, Debug)]
pub struct GraphRun {
    /// Tensor bytes, by phase-1 slot (a node output is its whole region).
    pub tensors: Vec<Vec<u8>>,
    /// Tensor roots, by phase-1 slot.
    pub roots: Vec<Hash>,
    first_node_slot: u32,
    tree_height: u32,
}

impl GraphRun {
    /// The phase-1 state tree after `k` nodes.
    pub fn state_tree(&self, k: usize) -> Tree {
        let filled = self.first_node_slot as usize + k;
        Tree::new(
            self.roots[..filled.min(self.roots.len())].to_vec(),
            self.tree_height as usize,
        )
    }

    /// The phase-1 root after `k` nodes.
    pub fn state(&self, k: usize) -> Hash {
        self.state_tree(k).root()
    }
}
