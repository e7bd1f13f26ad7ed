//! Request fees and consumer callbacks on the embedded chain: the fee goes to the
//! submitter of the answer (a lying submitter beside it gets nothing), or back to the
//! requester when no answer finalized by the deadline; a consumer is called back with
//! the answer; a consumer that reverts, burns its gas or returns a huge blob cannot
//! block finalization, and one that re-enters cannot change another request; a
//! finalizer cannot starve the callback; bad terms are refused. Fees and bonds are
//! conserved.

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::{sol, SolEvent};
use opml_game::agent::{Agent, AgentState, Role};
use opml_game::chain::Chain;
use opml_game::claims::{Behavior, Claims};
use opml_game::contracts::{self, Deployment, Params, Registry};
use opml_game::embedded::EmbeddedChain;
use opml_game::job::Execution;
use opml_game::onchain;
use opml_game::story;
use opml_game::toy;
use opml_tests::duel;

sol!(
    #[sol(all_derives)]
    RecordingConsumer,
    "../arbiter-sol/artifacts/RecordingConsumer.json"
);
sol!(
    #[sol(all_derives)]
    ReenteringConsumer,
    "../arbiter-sol/artifacts/ReenteringConsumer.json"
);
sol!(
    #[sol(all_derives)]
    Starver,
    "../arbiter-sol/artifacts/Starver.json"
);
sol!(
    #[sol(all_derives)]
    RevertingConsumer,
    "../arbiter-sol/artifacts/RevertingConsumer.json"
);
sol!(
    #[sol(all_derives)]
    GasBurningConsumer,
    "../arbiter-sol/artifacts/GasBurningConsumer.json"
);
sol!(
    #[sol(all_derives)]
    ReturnBombConsumer,
    "../arbiter-sol/artifacts/ReturnBombConsumer.json"
);

const INPUT: &[u8] = b"fees and callbacks";
const BOND: u128 = 10u128.pow(18);
const FEE: u128 = BOND / 2;
const FUNDS: u128 = 1_000 * BOND;

fn execution() -> Execution {
    Execution::run(&toy::job(), INPUT, 64, |_| true).expect("toy runs")
}

/// A deployed arbiter with the toy model registered.
struct Stage {
    chain: EmbeddedChain,
    d: Deployment,
    model: u64,
}

fn stage() -> Stage {
    let mut chain = EmbeddedChain::new(4);
    let owner = chain.accounts()[0];
    let d = contracts::deploy(&mut chain, owner, Params::default()).expect("deploy");
    let layout = execution().layout;
    let model = story::register(&mut chain, owner, d.registry, &layout).expect("register");
    Stage { chain, d, model }
}

impl Stage {
    /// Account 0 asks with a fee, a deadline `after` seconds from now and a consumer.
    fn ask(&mut self, after: u64, consumer: Address, gas: u64) -> u64 {
        let id = onchain::view(
            &mut self.chain,
            self.d.registry,
            Registry::requestCountCall {},
        )
        .expect("count");
        let deadline = self.chain.now().expect("now") + after;
        let call = Registry::requestWithFeeCall {
            model: U256::from(self.model),
            input: Bytes::copy_from_slice(INPUT),
            deadline,
            consumer,
            callbackGas: gas,
        };
        let from = self.chain.accounts()[0];
        let receipt = onchain::send(
            &mut self.chain,
            from,
            self.d.registry,
            call,
            U256::from(FEE),
        )
        .expect("request with fee");
        eprintln!("requestWithFee: {} gas", receipt.gas_used);
        id.saturating_to()
    }

    fn agent(&self, request: u64, i: usize, role: Role, behavior: Behavior) -> Agent {
        let claims = Claims::new(execution(), behavior, toy::OUTPUT_PAGE).expect("claims");
        let me = self.chain.accounts()[i];
        let state = AgentState::fresh(me, self.d, request, role, behavior, INPUT);
        Agent::new(state, claims, None).expect("agent")
    }

    /// An honest submitter (account `i`) posts on `request`; the window passes.
    fn answer_unfinalized(&mut self, request: u64, i: usize) -> u64 {
        let mut sub = self.agent(request, i, Role::Submitter, Behavior::Honest);
        sub.poll(&mut self.chain).expect("post");
        self.chain
            .advance(Params::default().window + 1)
            .expect("advance");
        sub.state.result.expect("posted")
    }

    fn deploy(&mut self, code: &[u8]) -> Address {
        let from = self.chain.accounts()[0];
        self.chain.deploy(from, code.to_vec()).expect("deploy")
    }

    fn finalize(&mut self, result: u64) -> Result<u64, String> {
        let from = self.chain.accounts()[3];
        let call = Registry::finalizeCall {
            resultId: U256::from(result),
        };
        onchain::send(&mut self.chain, from, self.d.registry, call, U256::ZERO)
            .map(|r| r.gas_used)
            .map_err(|e| e.to_string())
    }

    /// The `CalledBack` events of `request`: (consumer, ok).
    fn callbacks(&mut self, request: u64) -> Vec<(Address, bool)> {
        let topics = [
            Registry::CalledBack::SIGNATURE_HASH,
            U256::from(request).into(),
        ];
        self.chain
            .logs(self.d.registry, &topics)
            .expect("logs")
            .iter()
            .map(|l| {
                let e = Registry::CalledBack::decode_log_data(&l.data).expect("event");
                (e.consumer, e.ok)
            })
            .collect()
    }
}

#[test]
fn the_fee_goes_to_the_answer_and_the_consumer_is_called_back() {
    let mut s = stage();
    let before = duel::total_balance(&mut s.chain, s.d.registry);
    let consumer = s.deploy(&RecordingConsumer::BYTECODE);
    let p = Params::default();
    let id = s.ask(p.finality_bound() + 600, consumer, 200_000);
    let n = execution().steps;
    let mut liar = s.agent(id, 1, Role::Submitter, Behavior::LieFrom(n / 2));
    let mut cha = s.agent(id, 2, Role::Challenger, Behavior::Honest);
    let mut honest = s.agent(id, 3, Role::Submitter, Behavior::Honest);
    duel::moves(
        &mut s.chain,
        &mut [&mut liar, &mut cha, &mut honest],
        600,
        500,
    );
    let who = s.chain.accounts();
    let paid = story::settle(&mut s.chain, s.d.registry, &who).expect("settle");
    assert_eq!(
        paid[3],
        U256::from(BOND + FEE),
        "the answer's submitter: bond + fee"
    );
    assert_eq!(paid[1], U256::ZERO, "the liar: nothing");
    assert_eq!(paid[2], U256::from(2 * BOND), "the challenger: both bonds");
    let balance = s.chain.balance(who[0]).expect("balance");
    assert_eq!(
        balance,
        U256::from(FUNDS - FEE),
        "the requester paid the fee"
    );
    assert_eq!(
        duel::total_balance(&mut s.chain, s.d.registry),
        before,
        "fees and bonds conserved"
    );
    assert_eq!(s.callbacks(id), vec![(consumer, true)]);
    let told =
        onchain::view(&mut s.chain, consumer, RecordingConsumer::lastOutputCall {}).expect("view");
    assert_eq!(told.to_vec(), execution().final_state.output, "the answer");
    let calls =
        onchain::view(&mut s.chain, consumer, RecordingConsumer::callsCall {}).expect("view");
    assert_eq!(calls, U256::from(1));
}

#[test]
fn the_fee_is_refunded_when_no_answer_finalizes_by_the_deadline() {
    let mut s = stage();
    let p = Params::default();
    let after = p.finality_bound();
    let id = s.ask(after, Address::ZERO, 0);
    let requester = s.chain.accounts()[0];
    let refund = |s: &mut Stage| {
        let call = Registry::refundCall { id: U256::from(id) };
        onchain::send(&mut s.chain, requester, s.d.registry, call, U256::ZERO)
            .map_err(|e| e.to_string())
    };
    let early = refund(&mut s).unwrap_err();
    assert!(early.contains("NoRefund"), "{early}");
    s.chain.advance(after + 1).expect("advance");
    refund(&mut s).expect("refund after the deadline");
    let again = refund(&mut s).unwrap_err();
    assert!(again.contains("NoRefund"), "{again}");
    let paid = story::settle(&mut s.chain, s.d.registry, &[requester]).expect("settle");
    assert_eq!(paid, vec![U256::from(FEE)]);
    // An answer that finalizes after the deadline earns no fee (there is none left).
    let result = s.answer_unfinalized(id, 1);
    s.finalize(result).expect("finalize");
    let submitter = s.chain.accounts()[1];
    let paid = story::settle(&mut s.chain, s.d.registry, &[submitter]).expect("settle");
    assert_eq!(paid, vec![U256::from(BOND)], "bond only");
}

#[test]
fn misbehaving_consumers_cannot_block_finalization() {
    let mut s = stage();
    let p = Params::default();
    for (name, code) in [
        ("reverting", &RevertingConsumer::BYTECODE),
        ("gas burning", &GasBurningConsumer::BYTECODE),
        ("return bomb", &ReturnBombConsumer::BYTECODE),
    ] {
        let consumer = s.deploy(code);
        let id = s.ask(p.finality_bound() + 600, consumer, 100_000);
        let result = s.answer_unfinalized(id, 1);
        let gas = s.finalize(result).unwrap_or_else(|e| panic!("{name}: {e}"));
        eprintln!("{name} consumer: finalize {gas} gas (callback gas 100000)");
        assert!(gas < 300_000, "{name}: finalize cost {gas} gas");
        assert_eq!(s.callbacks(id), vec![(consumer, false)], "{name}");
        let out = onchain::output(&mut s.chain, s.d.registry, id).expect("output");
        assert_eq!(
            out,
            execution().final_state.output,
            "{name}: answer readable"
        );
    }
}

#[test]
fn a_reentering_consumer_changes_no_other_request() {
    let mut s = stage();
    let p = Params::default();
    let consumer = s.deploy(&ReenteringConsumer::BYTECODE);
    let a = s.ask(p.finality_bound() + 600, consumer, 500_000);
    let b = s.ask(p.finality_bound() + 600, Address::ZERO, 0);
    let result_a = s.answer_unfinalized(a, 1);
    // Request b's result is ripe too: the consumer tries to finalize it from its
    // callback (and to withdraw).
    let result_b = s.answer_unfinalized(b, 2);
    let from = s.chain.accounts()[0];
    let aim = ReenteringConsumer::aimCall {
        resultId: U256::from(result_b),
    };
    onchain::send(&mut s.chain, from, consumer, aim, U256::ZERO).expect("aim");
    s.finalize(result_a).expect("finalize a");
    let reentered =
        onchain::view(&mut s.chain, consumer, ReenteringConsumer::reenteredCall {}).expect("view");
    assert!(!reentered, "a re-entry went through");
    let rb = onchain::result(&mut s.chain, s.d.registry, result_b).expect("result b");
    assert_eq!(rb.verdict, onchain::Verdict::Pending, "b untouched");
    s.finalize(result_b).expect("b finalizes on its own");
}

#[test]
fn a_finalizer_cannot_starve_the_callback() {
    let mut s = stage();
    let p = Params::default();
    let consumer = s.deploy(&RecordingConsumer::BYTECODE);
    let id = s.ask(p.finality_bound() + 600, consumer, 1_000_000);
    let result = s.answer_unfinalized(id, 1);
    let starver = s.deploy(&Starver::BYTECODE);
    let from = s.chain.accounts()[3];
    let call = Starver::finalizeWithCall {
        registry: s.d.registry,
        resultId: U256::from(result),
        gasLimit: U256::from(400_000),
    };
    let starved = onchain::send(&mut s.chain, from, starver, call, U256::ZERO);
    assert!(starved.is_err(), "{starved:?}");
    assert!(s.callbacks(id).is_empty(), "no failed callback recorded");
    let gas = s.finalize(result).expect("finalize with enough gas");
    eprintln!("recording consumer: finalize {gas} gas");
    assert_eq!(s.callbacks(id), vec![(consumer, true)]);
}

#[test]
fn bad_terms_are_refused() {
    let mut s = stage();
    let p = Params::default();
    let from = s.chain.accounts()[0];
    let now = s.chain.now().expect("now");
    let mut send = |deadline: u64, consumer: Address, gas: u64| {
        let call = Registry::requestWithFeeCall {
            model: U256::from(s.model),
            input: Bytes::copy_from_slice(INPUT),
            deadline,
            consumer,
            callbackGas: gas,
        };
        onchain::send(&mut s.chain, from, s.d.registry, call, U256::from(FEE))
            .map_err(|e| e.to_string())
    };
    let soon = send(now + p.window, Address::ZERO, 0).unwrap_err();
    assert!(soon.contains("DeadlineTooSoon"), "{soon}");
    let later = now + p.finality_bound() + 600;
    let greedy = send(later, Address::repeat_byte(7), 2_000_001).unwrap_err();
    assert!(greedy.contains("BadCallback"), "{greedy}");
    let nobody = send(later, Address::ZERO, 5).unwrap_err();
    assert!(nobody.contains("BadCallback"), "{nobody}");
}
