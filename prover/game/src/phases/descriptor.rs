//! A node descriptor: what node k computes and where its tensors sit in its memory.
//! Its bytes are placed in the node's memory at the program's descriptor region (where
//! the node program reads them) and committed in the model's descriptor tree; the
//! contract reads the header and the tensor entries. All words are big-endian u32:
//!
//! ```text
//! op ‖ inputs ‖ weights ‖ out_addr ‖ out_height
//!    ‖ (slot ‖ addr ‖ height) per input ‖ (weight ‖ addr ‖ height) per weight ‖ params…
//! ```

use opml_vm::commit::region::{Region, RegionError};

/// A tensor placed in a node's memory: its id (a phase-1 slot for an input, an index
/// in the model's weight tree for a weight) and its aligned region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TensorAt {
    /// Phase-1 slot (input) or weight index (weight).
    pub id: u32,
    /// Byte address of its region.
    pub addr: u32,
    /// Height of its region.
    pub height: u32,
}

impl TensorAt {
    /// Its region.
    pub fn region(&self) -> Result<Region, RegionError> {
        Region::at(self.addr as u64, self.height)
    }
}

/// What a node computes and where its tensors are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Descriptor {
    /// The operation, as the node program numbers it.
    pub op: u32,
    /// Input tensors, read from the phase-1 state.
    pub inputs: Vec<TensorAt>,
    /// Weight tensors, read from the model.
    pub weights: Vec<TensorAt>,
    /// Byte address of the output region.
    pub out_addr: u32,
    /// Height of the output region.
    pub out_height: u32,
    /// The operation's parameters.
    pub params: Vec<u32>,
}

impl Descriptor {
    /// Its bytes.
    pub fn encode(&self) -> Vec<u8> {
        let header = [
            self.op,
            self.inputs.len() as u32,
            self.weights.len() as u32,
            self.out_addr,
            self.out_height,
        ];
        let entries = self
            .inputs
            .iter()
            .chain(&self.weights)
            .flat_map(|t| [t.id, t.addr, t.height]);
        header
            .into_iter()
            .chain(entries)
            .chain(self.params.iter().copied())
            .flat_map(u32::to_be_bytes)
            .collect()
    }

    /// The output region.
    pub fn out_region(&self) -> Result<Region, RegionError> {
        Region::at(self.out_addr as u64, self.out_height)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_is_the_documented_word_layout() {
        let d = Descriptor {
            op: 7,
            inputs: vec![TensorAt {
                id: 1,
                addr: 0x2_0000,
                height: 5,
            }],
            weights: vec![TensorAt {
                id: 0,
                addr: 0x4_0000,
                height: 9,
            }],
            out_addr: 0x3_0000,
            out_height: 4,
            params: vec![3, 4],
        };
        let words: Vec<u32> = d
            .encode()
            .chunks(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        assert_eq!(
            words,
            [7, 1, 1, 0x3_0000, 4, 1, 0x2_0000, 5, 0, 0x4_0000, 9, 3, 4]
        );
    }
}
