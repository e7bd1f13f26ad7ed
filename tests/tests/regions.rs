//! Tensor roots and composed memories have one definition per language, and they agree:
//! the Solidity library `Regions` (through `RegionsProbe`, on the embedded chain) and
//! `opml_vm::commit::region` give the same region roots, the same composed memory roots
//! and the same refusals, and a region's sibling path from the step machine's memory
//! folds to the memory root on chain.

use alloy_primitives::{FixedBytes, U256};
use alloy_sol_types::{sol, SolCall};
use opml_game::chain::Chain;
use opml_game::embedded::EmbeddedChain;
use opml_vm::commit::region::{bytes_root, compose, Region};
use opml_vm::memory::{Memory, MEMORY_TREE_HEIGHT};
use proptest::prelude::*;

sol!(
    #[sol(all_derives)]
    RegionsProbe,
    "../arbiter-sol/artifacts/RegionsProbe.json"
);

struct Probe {
    chain: EmbeddedChain,
    at: alloy_primitives::Address,
}

fn part(region: Region, root: [u8; 32]) -> Regions::Part {
    Regions::Part {
        height: region.height,
        index: region.index,
        root: FixedBytes(root),
    }
}

impl Probe {
    fn deploy() -> Probe {
        let mut chain = EmbeddedChain::new(1);
        let from = chain.accounts()[0];
        let at = chain
            .deploy(from, RegionsProbe::BYTECODE.to_vec())
            .expect("deploying the probe");
        Probe { chain, at }
    }

    fn bytes_root(&mut self, data: &[u8], height: u32) -> Result<[u8; 32], String> {
        let call = RegionsProbe::bytesRootCall {
            data: data.to_vec().into(),
            height: U256::from(height),
        };
        let out = self
            .chain
            .call(self.at, call.abi_encode())
            .map_err(|e| e.to_string())?;
        Ok(RegionsProbe::bytesRootCall::abi_decode_returns(&out)
            .expect("decoding bytesRoot")
            .0)
    }

    fn compose(&mut self, regions: &[(Region, [u8; 32])]) -> Result<[u8; 32], String> {
        let parts = regions.iter().map(|(r, h)| part(*r, *h)).collect();
        let call = RegionsProbe::composeCall { parts };
        let out = self
            .chain
            .call(self.at, call.abi_encode())
            .map_err(|e| e.to_string())?;
        Ok(RegionsProbe::composeCall::abi_decode_returns(&out)
            .expect("decoding compose")
            .0)
    }

    fn memory_root(&mut self, region: Region, root: [u8; 32], path: &[[u8; 32]]) -> [u8; 32] {
        let call = RegionsProbe::memoryRootCall {
            part: part(region, root),
            path: path.iter().map(|h| FixedBytes(*h)).collect(),
        };
        let out = self
            .chain
            .call(self.at, call.abi_encode())
            .expect("memoryRoot");
        RegionsProbe::memoryRootCall::abi_decode_returns(&out)
            .expect("decoding memoryRoot")
            .0
    }
}

/// Disjoint aligned regions in address order, from (gap in leaves, height) pairs.
fn layout(shape: &[(u64, u32)]) -> Vec<Region> {
    let mut cursor = 0u64;
    let mut regions = Vec::new();
    for &(gap, height) in shape {
        let len = 32u64 << height;
        let addr = (cursor + gap * 32).div_ceil(len) * len;
        let Ok(region) = Region::at(addr, height) else {
            break;
        };
        cursor = addr + len;
        regions.push(region);
    }
    regions
}

fn bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) | 1)
        .collect()
}

#[test]
fn solidity_and_rust_agree_on_region_roots_at_the_edges() {
    let mut probe = Probe::deploy();
    for (len, height) in [
        (0, 0),
        (1, 0),
        (32, 0),
        (33, 1),
        (31, 3),
        (1000, 5),
        (2048, 11),
        (2049, 12),
        (0, 27),
        (100, 27),
    ] {
        let data = bytes(len, height as u8);
        assert_eq!(
            probe.bytes_root(&data, height),
            Ok(bytes_root(&data, height).expect("fits")),
            "{len} bytes at height {height}"
        );
    }
    assert!(probe.bytes_root(&[1; 33], 0).is_err(), "33 bytes in a leaf");
    assert!(probe.bytes_root(&[], 28).is_err(), "height 28");
}

#[test]
fn a_regions_path_from_the_step_machine_folds_to_its_memory_root_on_chain() {
    let mut probe = Probe::deploy();
    let mut memory = Memory::new(40, None);
    memory
        .write_bytes(0x2_0000, &bytes(70_000, 9))
        .expect("inside memory");
    memory
        .write_bytes(0x200, &bytes(300, 4))
        .expect("inside memory");
    let root = memory.root();
    for (addr, height) in [
        (0x2_0000u64, 12u32),
        (0x200, 4),
        (0, 9),
        (0, 27),
        (0x8_0000, 11),
    ] {
        let region = Region::at(addr, height).expect("aligned");
        let (node, path) = memory.subtree_proof(height as usize, region.index);
        assert_eq!(path.len(), MEMORY_TREE_HEIGHT - height as usize);
        assert_eq!(
            probe.memory_root(region, node, &path),
            root,
            "{addr:#x} h{height}"
        );
    }
}

#[test]
fn overlapping_or_unordered_regions_are_refused_by_both() {
    let mut probe = Probe::deploy();
    let r = |addr, h| (Region::at(addr, h).expect("aligned"), [7u8; 32]);
    for regions in [
        vec![r(0, 2), r(64, 0)],
        vec![r(128, 0), r(0, 0)],
        vec![r(0, 11), r(0x1_0000, 11), r(0x1_0000, 3)],
    ] {
        assert!(compose(&regions).is_err(), "Rust accepted {regions:?}");
        assert!(
            probe.compose(&regions).is_err(),
            "Solidity accepted {regions:?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn solidity_and_rust_compose_the_same_memory(
        shape in prop::collection::vec((0u64..5000, 0u32..18), 0..10),
        seed in any::<u8>(),
    ) {
        let mut probe = Probe::deploy();
        let regions: Vec<(Region, [u8; 32])> = layout(&shape)
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                let len = (r.len() as usize).min(4096) - i % 7;
                (r, bytes_root(&bytes(len, seed ^ i as u8), r.height).expect("fits"))
            })
            .collect();
        let rust = compose(&regions).expect("disjoint");
        prop_assert_eq!(probe.compose(&regions), Ok(rust));
    }
}
