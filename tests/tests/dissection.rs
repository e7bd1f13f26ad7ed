//! The dissection arithmetic has one definition per language, and they agree: the
//! Solidity library `Dissection` (through `DissectionProbe`, on the embedded chain) and
//! the Rust `opml_game::dissection` give the same points and round counts, at random
//! ranges and at the edges (`u64::MAX`, degree 2 and 64, ranges shorter than the
//! degree).

use alloy_sol_types::{sol, SolCall};
use opml_game::chain::Chain;
use opml_game::dissection;
use opml_game::embedded::EmbeddedChain;
use proptest::prelude::*;

sol!(
    #[sol(all_derives)]
    DissectionProbe,
    "../arbiter-sol/artifacts/DissectionProbe.json"
);

struct Probe {
    chain: EmbeddedChain,
    at: alloy_primitives::Address,
}

impl Probe {
    fn deploy() -> Probe {
        let mut chain = EmbeddedChain::new(1);
        let from = chain.accounts()[0];
        let at = chain
            .deploy(from, DissectionProbe::BYTECODE.to_vec())
            .expect("deploying the probe");
        Probe { chain, at }
    }

    fn points(&mut self, lo: u64, hi: u64, degree: u64) -> Vec<u64> {
        let call = DissectionProbe::pointsCall { lo, hi, degree };
        let out = self.chain.call(self.at, call.abi_encode()).expect("points");
        DissectionProbe::pointsCall::abi_decode_returns(&out).expect("decoding points")
    }

    fn rounds(&mut self, len: u64, degree: u64) -> u64 {
        let call = DissectionProbe::roundsCall { len, degree };
        let out = self.chain.call(self.at, call.abi_encode()).expect("rounds");
        DissectionProbe::roundsCall::abi_decode_returns(&out).expect("decoding rounds")
    }
}

#[test]
fn solidity_and_rust_agree_at_the_edges() {
    let mut probe = Probe::deploy();
    let cases = [
        (0, 1, 2),
        (0, 2, 2),
        (0, 3, 64),
        (7, 70, 64),
        (0, 1 << 40, 8),
        (u64::MAX - 5, u64::MAX, 4),
        (0, u64::MAX, 2),
        (0, u64::MAX, 64),
        (1, u64::MAX, 63),
    ];
    for (lo, hi, degree) in cases {
        assert_eq!(
            probe.points(lo, hi, degree),
            dissection::points(lo, hi, degree),
            "points({lo}, {hi}, {degree})"
        );
        assert_eq!(
            probe.rounds(hi - lo, degree),
            dissection::rounds(hi - lo, degree),
            "rounds({}, {degree})",
            hi - lo
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn solidity_and_rust_agree_on_random_ranges(
        lo in any::<u64>(),
        len in 1u64..=u64::MAX,
        degree in 2u64..=64,
    ) {
        let hi = lo.saturating_add(len);
        prop_assume!(hi > lo);
        let mut probe = Probe::deploy();
        prop_assert_eq!(probe.points(lo, hi, degree), dissection::points(lo, hi, degree));
        prop_assert_eq!(probe.rounds(hi - lo, degree), dissection::rounds(hi - lo, degree));
    }
}
