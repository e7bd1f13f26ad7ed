//! The embedded chain: an in-process revm with funded accounts, one block per
//! transaction, zero gas price (so balances move only by value) and a clock the caller
//! sets.

use super::chain::{Chain, ChainError, Receipt};
use alloy_primitives::{Address, Log, B256, U256};
use revm::{
    context::{
        result::{ExecutionResult, Output},
        TxEnv,
    },
    database::{CacheDB, EmptyDB},
    handler::{MainnetContext, MainnetEvm},
    primitives::hardfork::SpecId,
    state::AccountInfo,
    Context, DatabaseRef, ExecuteCommitEvm, ExecuteEvm, MainBuilder, MainContext,
};

/// Gas limit of every transaction.
const TX_GAS_LIMIT: u64 = 30_000_000;
/// Ether each account starts with.
const FUNDS_ETH: u64 = 1_000;
/// Start of the embedded chain's clock (any fixed, realistic Unix time).
const GENESIS_TIME: u64 = 1_700_000_000;

/// An in-process EVM chain.
pub struct EmbeddedChain {
    evm: MainnetEvm<MainnetContext<CacheDB<EmptyDB>>>,
    accounts: Vec<Address>,
    time: u64,
    block: u64,
    logs: Vec<Log>,
}

impl EmbeddedChain {
    /// A chain with `n` accounts of 1000 ether each.
    pub fn new(n: usize) -> EmbeddedChain {
        let mut db = CacheDB::<EmptyDB>::default();
        let accounts: Vec<Address> = (1..=n)
            .map(|i| Address::left_padding_from(&(0xa000 + i as u64).to_be_bytes()))
            .collect();
        for a in &accounts {
            db.insert_account_info(
                *a,
                AccountInfo {
                    balance: U256::from(FUNDS_ETH) * U256::from(10u64).pow(U256::from(18)),
                    ..Default::default()
                },
            );
        }
        let evm = Context::mainnet()
            .with_db(db)
            .modify_cfg_chained(|cfg| {
                cfg.spec = SpecId::CANCUN;
                cfg.disable_nonce_check = true;
            })
            .build_mainnet();
        EmbeddedChain {
            evm,
            accounts,
            time: GENESIS_TIME,
            block: 1,
            logs: Vec::new(),
        }
    }

    fn transact(&mut self, tx: TxEnv, commit: bool) -> Result<ExecutionResult, ChainError> {
        self.evm.ctx.block.timestamp = U256::from(self.time);
        self.evm.ctx.block.number = U256::from(self.block);
        if commit {
            self.block += 1;
            self.time += 1;
            let result = self
                .evm
                .transact_commit(tx)
                .map_err(|e| ChainError::Backend(e.to_string()))?;
            self.logs.extend_from_slice(result.logs());
            Ok(result)
        } else {
            self.evm
                .transact(tx)
                .map(|r| r.result)
                .map_err(|e| ChainError::Backend(e.to_string()))
        }
    }
}

/// A transaction run against the latest state and not committed.
pub struct DryRun {
    /// What it returned, or why it failed (revert data, halt).
    pub result: Result<Vec<u8>, ChainError>,
    /// Gas used by the whole transaction, intrinsic and calldata gas included.
    pub gas_used: u64,
}

impl EmbeddedChain {
    /// Runs a call from `from` to `to` with `gas_limit` against the latest state without
    /// committing it: its outcome and its gas.
    pub fn dry_run(
        &mut self,
        from: Address,
        to: Address,
        data: Vec<u8>,
        gas_limit: u64,
    ) -> Result<DryRun, ChainError> {
        let t = tx(from)
            .gas_limit(gas_limit)
            .call(to)
            .data(data.into())
            .build()
            .map_err(|e| ChainError::Backend(format!("{e:?}")))?;
        let result = self.transact(t, false)?;
        let gas_used = result.tx_gas_used();
        Ok(DryRun {
            result: outcome(result).map(|(out, _)| out),
            gas_used,
        })
    }
}

fn outcome(result: ExecutionResult) -> Result<(Vec<u8>, Receipt), ChainError> {
    let gas_used = result.tx_gas_used();
    match result {
        ExecutionResult::Success { output, .. } => {
            let created = match &output {
                Output::Create(_, a) => *a,
                Output::Call(_) => None,
            };
            Ok((output.data().to_vec(), Receipt { gas_used, created }))
        }
        ExecutionResult::Revert { output, .. } => Err(ChainError::Reverted(output.to_vec())),
        ExecutionResult::Halt { reason, .. } => Err(ChainError::Halted(format!("{reason:?}"))),
    }
}

fn tx(from: Address) -> revm::context::tx::TxEnvBuilder {
    TxEnv::builder().caller(from).gas_limit(TX_GAS_LIMIT)
}

impl Chain for EmbeddedChain {
    fn accounts(&self) -> Vec<Address> {
        self.accounts.clone()
    }

    fn deploy(&mut self, from: Address, code: Vec<u8>) -> Result<Address, ChainError> {
        let t = tx(from)
            .create()
            .data(code.into())
            .build()
            .map_err(|e| ChainError::Backend(format!("{e:?}")))?;
        let (_, receipt) = outcome(self.transact(t, true)?)?;
        receipt
            .created
            .ok_or_else(|| ChainError::Backend("deployment created no contract".into()))
    }

    fn send(
        &mut self,
        from: Address,
        to: Address,
        data: Vec<u8>,
        value: U256,
    ) -> Result<Receipt, ChainError> {
        let t = tx(from)
            .call(to)
            .data(data.into())
            .value(value)
            .build()
            .map_err(|e| ChainError::Backend(format!("{e:?}")))?;
        outcome(self.transact(t, true)?).map(|(_, r)| r)
    }

    fn call(&mut self, to: Address, data: Vec<u8>) -> Result<Vec<u8>, ChainError> {
        let t = tx(Address::ZERO)
            .call(to)
            .data(data.into())
            .build()
            .map_err(|e| ChainError::Backend(format!("{e:?}")))?;
        outcome(self.transact(t, false)?).map(|(out, _)| out)
    }

    fn now(&mut self) -> Result<u64, ChainError> {
        Ok(self.time)
    }

    fn advance(&mut self, seconds: u64) -> Result<(), ChainError> {
        self.time += seconds;
        Ok(())
    }

    fn logs(&mut self, address: Address, topics: &[B256]) -> Result<Vec<Log>, ChainError> {
        Ok(self
            .logs
            .iter()
            .filter(|l| l.address == address && l.data.topics().starts_with(topics))
            .cloned()
            .collect())
    }

    fn balance(&mut self, who: Address) -> Result<U256, ChainError> {
        self.evm
            .ctx
            .journaled_state
            .database
            .basic_ref(who)
            .map(|a| a.map_or(U256::ZERO, |a| a.balance))
            .map_err(|e| ChainError::Backend(format!("{e:?}")))
    }
}
