//! `opml demo --consumer`: the request asked through an example dApp
//! (arbiter-sol/contracts/examples/) with a 0.1 ETH fee, and what the dApp was called
//! back with once the answer was final: `FashionGate` for a classifier, `QuestionBox`
//! for an LLM image and `--prompt`.

use alloy_primitives::{Address, U256};
use anyhow::{Context, Result};
use opml_game::chain::Chain;
use opml_game::contracts::{self, Params};
use opml_game::job::Execution;
use opml_game::question_box::{self, Status};
use opml_game::{consumer, onchain, story};
use opml_gguf::Tokenizer;
use opml_host::guest;

/// The fee the demo's asker pays through the dApp, in wei (0.1 ETH).
const FEE: u128 = 10u128.pow(17);

/// Which dApp the demo asks through.
pub enum Via {
    /// FashionGate, admitting the honest run's class.
    Gate,
    /// QuestionBox, asked `question` (the prompt the request bytes were tokenized from).
    QuestionBox {
        /// The prompt's text.
        question: String,
        /// The model's tokenizer, to show the answer.
        tokenizer: Box<Tokenizer>,
    },
}

/// A deployed dApp that asked.
pub struct Asked {
    via: Via,
    at: Address,
}

/// Deploys the arbiter, registers the model, deploys the dApp and asks it about
/// `input` with the fee; the story's setup and the dApp.
pub fn ask(
    via: Via,
    chain: &mut dyn Chain,
    owner: Address,
    params: Params,
    exec: &Execution,
    input: &[u8],
) -> Result<(story::Setup, Asked)> {
    let deployment = contracts::deploy(chain, owner, params)?;
    let model = story::register(chain, owner, deployment.registry, &exec.layout)?;
    let fee = U256::from(FEE);
    let registry = deployment.registry;
    let (at, request) = match &via {
        Via::QuestionBox { question, .. } => {
            let at = question_box::deploy(chain, owner, registry, model)?;
            let (request, receipt) =
                question_box::ask(chain, owner, at, registry, question, input, fee)?;
            println!(
                "QuestionBox {at} asked {question:?} ({} request bytes) with a 0.1 ETH fee (gas {})",
                input.len(),
                receipt.gas_used
            );
            (at, request)
        }
        Via::Gate => {
            let class = guest::Output::decode(&exec.final_state.output)
                .context("--consumer needs a classifier model or an LLM image with --prompt")?
                .class;
            let at = consumer::deploy_gate(chain, owner, registry, model, class)?;
            let request = consumer::ask(chain, owner, at, registry, input, fee)?;
            println!(
                "FashionGate {at} admits class {class}; asked it about the input with a 0.1 ETH fee"
            );
            (at, request)
        }
    };
    let start_root = onchain::request(chain, registry, request)?.start_root;
    let setup = story::Setup {
        deployment,
        model,
        request,
        start_root,
    };
    Ok((setup, Asked { via, at }))
}

/// Prints what the dApp was called back with.
pub fn report(chain: &mut dyn Chain, asked: &Asked) -> Result<()> {
    let at = asked.at;
    match &asked.via {
        Via::Gate => {
            for c in consumer::classified(chain, at)? {
                println!(
                    "FashionGate {at}: called back for request {}: class {}, asker {} {}",
                    c.request,
                    c.class,
                    c.asker,
                    if c.admitted {
                        "admitted"
                    } else {
                        "not admitted"
                    }
                );
            }
        }
        Via::QuestionBox { tokenizer, .. } => {
            for a in question_box::answered(chain, at)? {
                let q = question_box::question(chain, at, a.request)?;
                let text = tokenizer.decode(&a.ids)?;
                println!(
                    "QuestionBox {at}: called back for request {}: {:?} answered with ids {:?} = {text:?}",
                    a.request, q.text, a.ids
                );
                anyhow::ensure!(q.status == Status::Answered, "the box holds no answer");
            }
        }
    }
    Ok(())
}
