//! The example dApp `QuestionBox` (arbiter-sol/contracts/examples/) against an
//! attacker, on the embedded chain: only its registry may call it back, once per
//! question it asked; a callback about a request it did not make, a second one, or an
//! output that is not an answer changes nothing it holds (or marks the question
//! unanswerable); malformed request bytes are refused before any fee is taken; the
//! callback gas it asks for covers the largest answer; an unanswered or late question's
//! fee goes back to its asker, once. The honest path with a real model and a dispute is
//! in consumer_example.rs.
//!
//! Most tests stand a `FakeRegistry` (arbiter-sol/contracts/test/) in for the registry,
//! so they can call the box back at will; the last ones use the real registry with the
//! toy program as the model.

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::{sol, SolError, SolEvent};
use opml_game::agent::{Agent, AgentState, Role};
use opml_game::chain::{Chain, ChainError};
use opml_game::claims::{Behavior, Claims};
use opml_game::contracts::{self, Params, Registry};
use opml_game::embedded::EmbeddedChain;
use opml_game::job::Execution;
use opml_game::question_box::{self, QuestionBox, Status};
use opml_game::{onchain, story, toy};
use opml_tests::duel;

sol!(
    #[sol(all_derives)]
    FakeRegistry,
    "../arbiter-sol/artifacts/FakeRegistry.json"
);

const FEE: u128 = 10u128.pow(17);

/// Request bytes generating `n_new` ids after a three-id prompt.
fn request(n_new: u32) -> Vec<u8> {
    [n_new, 5, 80, 81]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect()
}

/// The selector of the revert `e` carries, if it is a revert.
fn revert_selector(e: &ChainError) -> Option<[u8; 4]> {
    match e {
        ChainError::Reverted(data) if data.len() >= 4 => data[..4].try_into().ok(),
        _ => None,
    }
}

/// A box over a fake registry that calls it back whenever told to.
struct Fake {
    chain: EmbeddedChain,
    fake: Address,
    qbox: Address,
}

impl Fake {
    fn new() -> Fake {
        let mut chain = EmbeddedChain::new(4);
        let owner = chain.accounts()[0];
        let fake = chain
            .deploy(owner, FakeRegistry::BYTECODE.to_vec())
            .expect("fake registry");
        let qbox = question_box::deploy(&mut chain, owner, fake, 0).expect("box");
        Fake { chain, fake, qbox }
    }

    /// Account 1 asks with `input`; the request id or the revert.
    fn ask(&mut self, input: &[u8]) -> Result<u64, ChainError> {
        let id = onchain::view(
            &mut self.chain,
            self.fake,
            FakeRegistry::requestCountCall {},
        )?;
        let asker = self.chain.accounts()[1];
        let call = QuestionBox::askCall {
            text: "What is 2 + 2?".into(),
            input: Bytes::copy_from_slice(input),
            deadline: u64::MAX,
        };
        onchain::send(&mut self.chain, asker, self.qbox, call, U256::from(FEE))?;
        Ok(id.saturating_to())
    }

    /// The fake registry calls the box back; the gas `onAnswer` used, or the revert.
    fn call_back(&mut self, request: u64, output: &[u8]) -> Result<u64, ChainError> {
        let call = FakeRegistry::callBackCall {
            consumer: self.qbox,
            request: U256::from(request),
            output: Bytes::copy_from_slice(output),
        };
        let from = self.chain.accounts()[0];
        onchain::send(&mut self.chain, from, self.fake, call, U256::ZERO)?;
        let logs = self
            .chain
            .logs(self.fake, &[FakeRegistry::CallbackGas::SIGNATURE_HASH])?;
        let last = logs.last().expect("a CallbackGas event");
        let e = FakeRegistry::CallbackGas::decode_log_data(&last.data).expect("event");
        Ok(e.used.saturating_to())
    }

    fn status(&mut self, request: u64) -> Status {
        question_box::question(&mut self.chain, self.qbox, request)
            .expect("question")
            .status
    }
}

#[test]
fn only_the_registry_may_call_back() {
    let mut f = Fake::new();
    let id = f.ask(&request(2)).expect("ask");
    // The asker itself, then another account, call `onAnswer` directly.
    for i in [1, 2] {
        let from = f.chain.accounts()[i];
        let call = QuestionBox::onAnswerCall {
            request: U256::from(id),
            output: Bytes::copy_from_slice(&[7; 8]),
        };
        let e = onchain::send(&mut f.chain, from, f.qbox, call, U256::ZERO).unwrap_err();
        assert_eq!(
            revert_selector(&e),
            Some(QuestionBox::NotRegistry::SELECTOR),
            "{e}"
        );
    }
    assert_eq!(f.status(id), Status::Asked);
    assert!(question_box::answered(&mut f.chain, f.qbox)
        .expect("events")
        .is_empty());
}

#[test]
fn a_second_callback_for_the_same_question_is_refused() {
    let mut f = Fake::new();
    let id = f.ask(&request(2)).expect("ask");
    let first: Vec<u8> = [11u32, 12].iter().flat_map(|v| v.to_le_bytes()).collect();
    f.call_back(id, &first).expect("first callback");
    let e = f.call_back(id, &[0xee; 8]).unwrap_err();
    assert_eq!(
        revert_selector(&e),
        Some(QuestionBox::NotAsked::SELECTOR),
        "{e}"
    );
    let q = question_box::question(&mut f.chain, f.qbox, id).expect("question");
    assert_eq!((q.status, q.answer), (Status::Answered, vec![11, 12]));
    assert_eq!(
        question_box::answered(&mut f.chain, f.qbox)
            .expect("events")
            .len(),
        1
    );
}

#[test]
fn a_callback_about_a_request_the_box_did_not_make_is_refused() {
    let mut f = Fake::new();
    let id = f.ask(&request(1)).expect("ask");
    let e = f.call_back(id + 1, &[1, 0, 0, 0]).unwrap_err();
    assert_eq!(
        revert_selector(&e),
        Some(QuestionBox::NotAsked::SELECTOR),
        "{e}"
    );
    assert_eq!(f.status(id + 1), Status::None);
    assert_eq!(f.status(id), Status::Asked);
}

#[test]
fn an_output_that_is_not_an_answer_marks_the_question_unanswerable() {
    let mut f = Fake::new();
    // A rejected request's output is empty; a ragged or a too long one is garbage.
    for garbage in [&[][..], &[1, 2, 3][..], &[9; 12][..]] {
        let id = f.ask(&request(2)).expect("ask");
        f.call_back(id, garbage).expect("callback");
        let q = question_box::question(&mut f.chain, f.qbox, id).expect("question");
        assert_eq!(q.status, Status::Failed, "{garbage:?}");
        assert!(q.answer.is_empty());
        // And it is not answered later either.
        let e = f.call_back(id, &[0; 8]).unwrap_err();
        assert_eq!(revert_selector(&e), Some(QuestionBox::NotAsked::SELECTOR));
    }
    let told = f
        .chain
        .logs(f.qbox, &[QuestionBox::Unanswerable::SIGNATURE_HASH])
        .expect("logs");
    assert_eq!(told.len(), 3);
    assert!(question_box::answered(&mut f.chain, f.qbox)
        .expect("events")
        .is_empty());
}

#[test]
fn malformed_request_bytes_are_refused_before_any_fee_is_taken() {
    let mut f = Fake::new();
    let asker = f.chain.accounts()[1];
    let before = f.chain.balance(asker).expect("balance");
    let ragged = [request(1), vec![0]].concat();
    for bad in [
        vec![],                      // nothing
        1u32.to_le_bytes().to_vec(), // no prompt
        request(0),                  // nothing to generate
        request(257),                // past MAX_NEW_TOKENS
        ragged,                      // not whole u32s
    ] {
        let e = f.ask(&bad).unwrap_err();
        assert_eq!(
            revert_selector(&e),
            Some(QuestionBox::BadRequest::SELECTOR),
            "{bad:?}: {e}"
        );
    }
    assert_eq!(f.chain.balance(asker).expect("balance"), before);
}

#[test]
fn the_callback_gas_asked_for_covers_every_answer_size() {
    let mut f = Fake::new();
    let max = onchain::view(&mut f.chain, f.qbox, QuestionBox::MAX_NEW_TOKENSCall {}).expect("max");
    for n in [1, 8, 9, 32, 64, max] {
        let id = f.ask(&request(n)).expect("ask");
        let answer: Vec<u8> = (0..n).flat_map(|i| (i + 0x1_0000).to_le_bytes()).collect();
        let used = f.call_back(id, &answer).expect("callback");
        let asked = onchain::view(
            &mut f.chain,
            f.qbox,
            QuestionBox::callbackGasCall { newTokens: n },
        )
        .expect("callbackGas");
        eprintln!("onAnswer with {n} ids: {used} gas used of {asked} asked");
        assert!(used < asked, "{n} ids: used {used} of {asked}");
        assert!(asked <= 2_000_000, "the registry's MAX_CALLBACK_GAS");
    }
}

/// The real registry with the toy program as model 0 and a box over it.
struct Real {
    chain: EmbeddedChain,
    registry: Address,
    qbox: Address,
    d: contracts::Deployment,
}

impl Real {
    fn new() -> Real {
        let mut chain = EmbeddedChain::new(4);
        let owner = chain.accounts()[0];
        let d = contracts::deploy(&mut chain, owner, Params::default()).expect("deploy");
        let layout = Execution::run(&toy::job(), &request(1), 64, |_| true)
            .expect("toy runs")
            .layout;
        let model = story::register(&mut chain, owner, d.registry, &layout).expect("register");
        let qbox = question_box::deploy(&mut chain, owner, d.registry, model).expect("box");
        Real {
            chain,
            registry: d.registry,
            qbox,
            d,
        }
    }

    /// An honest submitter (account 3) answers `request` on `input` and, `wait`
    /// seconds later, finalizes its answer.
    fn answer(&mut self, request: u64, input: &[u8], wait: u64) {
        let exec = Execution::run(&toy::job(), input, 64, |_| true).expect("toy runs");
        let claims = Claims::new(exec, Behavior::Honest, toy::OUTPUT_PAGE).expect("claims");
        let me = self.chain.accounts()[3];
        let state = AgentState::fresh(
            me,
            self.d,
            request,
            Role::Submitter,
            Behavior::Honest,
            input,
        );
        let mut agent = Agent::new(state, claims, None).expect("agent");
        agent.poll(&mut self.chain).expect("post");
        self.chain.advance(wait).expect("advance");
        agent.poll(&mut self.chain).expect("finalize");
        let status = onchain::request(&mut self.chain, self.registry, request)
            .expect("request")
            .status;
        assert_eq!(status, onchain::RequestStatus::Finalized);
    }

    fn reclaim(&mut self, request: u64, from: usize) -> Result<(), ChainError> {
        let from = self.chain.accounts()[from];
        let call = QuestionBox::reclaimCall {
            request: U256::from(request),
        };
        onchain::send(&mut self.chain, from, self.qbox, call, U256::ZERO).map(|_| ())
    }
}

#[test]
fn a_request_naming_the_box_directly_is_answered_but_not_recorded() {
    let mut r = Real::new();
    let input = request(1);
    // Account 2 asks the registry itself, naming the box as the consumer.
    let from = r.chain.accounts()[2];
    let deadline = r.chain.now().expect("now") + Params::default().finality_bound() + 3_600;
    let call = Registry::requestWithFeeCall {
        model: U256::ZERO,
        input: Bytes::copy_from_slice(&input),
        deadline,
        consumer: r.qbox,
        callbackGas: 100_000,
    };
    onchain::send(&mut r.chain, from, r.registry, call, U256::ZERO).expect("request");
    r.answer(0, &input, Params::default().window + 1);
    let topics = [Registry::CalledBack::SIGNATURE_HASH, U256::ZERO.into()];
    let called = r.chain.logs(r.registry, &topics).expect("logs");
    let e = Registry::CalledBack::decode_log_data(&called[0].data).expect("event");
    assert_eq!((e.consumer, e.ok), (r.qbox, false), "the box refused it");
    let q = question_box::question(&mut r.chain, r.qbox, 0).expect("question");
    assert_eq!(q.status, Status::None);
    assert!(!onchain::output(&mut r.chain, r.registry, 0)
        .expect("output")
        .is_empty());
}

#[test]
fn an_unanswered_question_gets_its_fee_back_after_the_deadline_once() {
    let mut r = Real::new();
    let total = duel::total_balance(&mut r.chain, r.registry);
    let asker = r.chain.accounts()[1];
    let before = r.chain.balance(asker).expect("balance");
    let (id, _) = question_box::ask(
        &mut r.chain,
        asker,
        r.qbox,
        r.registry,
        "Anyone?",
        &request(1),
        U256::from(FEE),
    )
    .expect("ask");
    assert_eq!(
        r.chain.balance(asker).expect("balance"),
        before - U256::from(FEE)
    );
    let e = r.reclaim(id, 2).unwrap_err();
    assert_eq!(
        revert_selector(&e),
        Some(QuestionBox::NoRefund::SELECTOR),
        "{e}"
    );
    let p = Params::default();
    r.chain
        .advance(p.finality_bound() + 3_601)
        .expect("advance");
    // Anyone may trigger it; the fee goes to the asker.
    r.reclaim(id, 2).expect("reclaim");
    assert_eq!(r.chain.balance(asker).expect("balance"), before);
    let e = r.reclaim(id, 1).unwrap_err();
    assert_eq!(
        revert_selector(&e),
        Some(QuestionBox::NoRefund::SELECTOR),
        "{e}"
    );
    assert_eq!(r.chain.balance(r.qbox).expect("balance"), U256::ZERO);
    assert_eq!(duel::total_balance(&mut r.chain, r.registry), total);
}

#[test]
fn a_late_answer_gives_the_fee_back_to_the_asker() {
    let mut r = Real::new();
    let asker = r.chain.accounts()[1];
    let before = r.chain.balance(asker).expect("balance");
    let input = request(1);
    let (id, _) = question_box::ask(
        &mut r.chain,
        asker,
        r.qbox,
        r.registry,
        "Late?",
        &input,
        U256::from(FEE),
    )
    .expect("ask");
    // Posted just before the deadline, final after it.
    let p = Params::default();
    r.chain
        .advance(p.finality_bound() + 3_600 - 10)
        .expect("advance");
    r.answer(id, &input, p.window + 1);
    let q = question_box::question(&mut r.chain, r.qbox, id).expect("question");
    assert_ne!(q.status, Status::Asked, "called back");
    r.reclaim(id, 1).expect("reclaim");
    assert_eq!(r.chain.balance(asker).expect("balance"), before);
    assert!(r.reclaim(id, 1).is_err(), "once");
}
