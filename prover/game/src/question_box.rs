//! The example dApp `QuestionBox` (arbiter-sol/contracts/examples/): deploy it over a
//! registered language model, ask it a question (the guest's request bytes and the
//! text), and read what it was called back with.

use super::chain::{Chain, ChainError, Receipt};
use super::contracts::{Params, Registry};
use super::onchain;
use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::{sol, SolConstructor, SolEvent};

sol!(
    #[sol(all_derives)]
    QuestionBox,
    "../../arbiter-sol/artifacts/QuestionBox.json"
);

/// Where a question stands (mirrors `QuestionBox.Status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Not asked through the box.
    None,
    /// Asked, not answered yet.
    Asked,
    /// Answered with the generated ids.
    Answered,
    /// The final output was not an answer (the guest rejected the request).
    Failed,
}

/// A question as the box holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    /// Who asked.
    pub asker: Address,
    /// Where it stands.
    pub status: Status,
    /// The text, as the asker wrote it.
    pub text: String,
    /// The guest's request bytes.
    pub input: Vec<u8>,
    /// The answer's ids (empty until answered).
    pub answer: Vec<u32>,
}

/// One `Answered` event of the box.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answered {
    /// The registry's request.
    pub request: u64,
    /// Who asked.
    pub asker: Address,
    /// The generated ids.
    pub ids: Vec<u32>,
}

/// Little-endian u32s of `bytes` (a trailing partial word is dropped).
pub fn ids_of(bytes: &[u8]) -> Vec<u32> {
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// Deploys a box over `registry`'s language model `model`.
pub fn deploy(
    chain: &mut dyn Chain,
    from: Address,
    registry: Address,
    model: u64,
) -> Result<Address, ChainError> {
    let mut code = QuestionBox::BYTECODE.to_vec();
    code.extend(
        QuestionBox::constructorCall {
            registry_: registry,
            model_: U256::from(model),
        }
        .abi_encode(),
    );
    chain.deploy(from, code)
}

/// `from` asks `text` through `qbox` as the request bytes `input`, paying `fee` wei,
/// with the answer wanted one hour after the least deadline the registry accepts;
/// returns the request id and the receipt.
pub fn ask(
    chain: &mut dyn Chain,
    from: Address,
    qbox: Address,
    registry: Address,
    text: &str,
    input: &[u8],
    fee: U256,
) -> Result<(u64, Receipt), ChainError> {
    let p = Params::read(chain, registry)?;
    let deadline = chain.now()? + p.finality_bound() + 3_600;
    let id = onchain::view(chain, registry, Registry::requestCountCall {})?;
    let call = QuestionBox::askCall {
        text: text.to_owned(),
        input: Bytes::copy_from_slice(input),
        deadline,
    };
    let receipt = onchain::send(chain, from, qbox, call, fee)?;
    Ok((id.saturating_to(), receipt))
}

/// Question `request` of `qbox`.
pub fn question(
    chain: &mut dyn Chain,
    qbox: Address,
    request: u64,
) -> Result<Question, ChainError> {
    let q = onchain::view(
        chain,
        qbox,
        QuestionBox::questionCall {
            request: U256::from(request),
        },
    )?;
    let status = match q.status {
        0 => Status::None,
        1 => Status::Asked,
        2 => Status::Answered,
        3 => Status::Failed,
        s => return Err(ChainError::Backend(format!("unknown question status {s}"))),
    };
    Ok(Question {
        asker: q.asker,
        status,
        text: q.text,
        input: q.input.to_vec(),
        answer: ids_of(&q.answer),
    })
}

/// Every `Answered` event of `qbox`, oldest first.
pub fn answered(chain: &mut dyn Chain, qbox: Address) -> Result<Vec<Answered>, ChainError> {
    chain
        .logs(qbox, &[QuestionBox::Answered::SIGNATURE_HASH])?
        .iter()
        .map(|l| {
            let e = QuestionBox::Answered::decode_log_data(&l.data)
                .map_err(|e| ChainError::Backend(format!("bad Answered event: {e}")))?;
            Ok(Answered {
                request: e.request.saturating_to(),
                asker: e.asker,
                ids: ids_of(&e.answer),
            })
        })
        .collect()
}
