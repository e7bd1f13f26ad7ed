//! An honest run that traps after writing part of its output: the submitter posts the
//! trapped final state with what the output page holds, the honest challenger agrees,
//! and the result finalizes.

use opml_game::agent::Action;
use opml_game::chain::Chain;
use opml_game::claims::Behavior;
use opml_game::contracts::Params;
use opml_game::embedded::EmbeddedChain;
use opml_game::job::{Execution, Job};
use opml_game::onchain::{self, RequestStatus};
use opml_game::{story, toy};
use opml_tests::duel;

const TRAPPING: &str = r#"(module
  (memory (export "memory") 258)
  (func (export "run") (result i32)
    (i32.store (i32.const 0x1010000) (i32.const 4))
    (i32.store (i32.const 0x1010004) (i32.load (i32.const 0x1000004)))
    unreachable))"#;

fn job() -> Job {
    Job {
        name: "trapping".into(),
        load: Box::new(|input| toy::load_wat(TRAPPING, input)),
        input_page: toy::INPUT_PAGE,
        output_page: toy::OUTPUT_PAGE,
    }
}

#[test]
fn honest_trapped_result_finalizes() {
    let input = b"trap";
    let exec = Execution::run(&job(), input, 16, |_| true).expect("runs");
    assert_eq!(exec.final_state.status(), 2, "the run traps");
    assert_eq!(
        exec.final_state.output, b"trap",
        "partial output on the page"
    );
    let mut chain = EmbeddedChain::new(3);
    let accounts = chain.accounts();
    let s = story::setup(
        &mut chain,
        accounts[0],
        Params::default(),
        &exec.layout,
        input,
    )
    .expect("setup");
    let mut agents = duel::parties(&chain, &s, &job(), input, 16, Behavior::Honest);
    let mut refs: Vec<_> = agents.iter_mut().collect();
    let actions = duel::moves(&mut chain, &mut refs, 1_800, 100);
    assert!(
        actions.contains(&(0, Action::Done { won: true })),
        "{actions:?}"
    );
    assert!(actions.contains(&(1, Action::Agreed)), "{actions:?}");
    let r = onchain::request(&mut chain, s.deployment.registry, s.request).expect("request");
    assert_eq!(r.status, RequestStatus::Finalized);
}
