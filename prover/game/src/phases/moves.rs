//! The two moves of the hand-over between the phases, as the contract takes them:
//! the challenger's opening of node k (descriptor, input and weight roots, each with its
//! Merkle path) and the defender's closing (output root in the phase-1 state, the final
//! VM state holding it, the step count).

use super::graph::Commitment;
use super::{GraphModel, PhaseError};
use crate::contracts::TwoPhaseGame;
use crate::layout::state_prefix;
use alloy_primitives::FixedBytes;
use opml_vm::merkle::{Hash, Tree};
use opml_vm::Machine;

fn words(hs: &[Hash]) -> Vec<FixedBytes<32>> {
    hs.iter().map(|h| FixedBytes(*h)).collect()
}

fn node_of(model: &GraphModel, k: usize) -> Result<&super::Descriptor, PhaseError> {
    model.nodes.get(k).ok_or_else(|| PhaseError::Node {
        node: k as u32,
        what: format!("the model has {} nodes", model.nodes.len()),
    })
}

impl GraphModel {
    /// The challenger's opening of node `k`, with input roots taken from `state`, the
    /// agreed phase-1 state tree before node `k`, and paths from the model's trees.
    pub fn opening(
        &self,
        k: usize,
        state: &Tree,
        commitment: &Commitment,
    ) -> Result<TwoPhaseGame::Opening, PhaseError> {
        let d = node_of(self, k)?;
        let (weights, descriptors) = (&commitment.weights, &commitment.descriptors);
        let leaves = |tree: &Tree, ts: &[super::TensorAt]| -> Vec<FixedBytes<32>> {
            ts.iter()
                .map(|t| FixedBytes(tree.leaf(t.id as usize)))
                .collect()
        };
        let paths = |tree: &Tree, ts: &[super::TensorAt]| -> Vec<Vec<FixedBytes<32>>> {
            ts.iter()
                .map(|t| words(&tree.path(t.id as usize)))
                .collect()
        };
        Ok(TwoPhaseGame::Opening {
            descriptor: d.encode().into(),
            descriptorPath: words(&descriptors.path(k)),
            inputRoots: leaves(state, &d.inputs),
            inputPaths: paths(state, &d.inputs),
            weightRoots: leaves(weights, &d.weights),
            weightPaths: paths(weights, &d.weights),
        })
    }

    /// The defender's closing of node `k`: `out` fills node k's slot of `state` (the
    /// agreed state before node `k`), and `end`, the node's final machine, holds `out`
    /// in the output region after `steps` (the honest defender passes the real run's
    /// end, output and step count).
    pub fn closing(
        &self,
        k: usize,
        state: &Tree,
        end: &mut Machine,
        out: Hash,
        steps: u64,
    ) -> Result<TwoPhaseGame::Closing, PhaseError> {
        let d = node_of(self, k)?;
        let region = d.out_region().map_err(|source| PhaseError::Region {
            node: k as u32,
            source,
        })?;
        let fields = end.state_fields();
        let memory = end
            .memory_mut(0)
            .ok_or_else(|| PhaseError::Program("no memory".into()))?;
        let (_, out_path) = memory.subtree_proof(region.height as usize, region.index);
        let slot = self.first_node_slot() as usize + k;
        Ok(TwoPhaseGame::Closing {
            outRoot: FixedBytes(out),
            slotPath: words(&state.path(slot)),
            endPrefix: state_prefix(&fields).into(),
            pages: memory.pages(),
            limit: memory.page_limit(),
            outPath: words(&out_path),
            steps,
        })
    }
}
