//! The JSON-RPC chain: a node reached over HTTP with alloy. With private keys the
//! transactions are signed here (any node, any chain) and the accounts are the keys';
//! without, they are sent unsigned from the node's unlocked accounts (a development
//! node such as Hardhat). [`Chain::advance`] uses Hardhat's `evm_increaseTime` and
//! `evm_mine`; agents on a real chain wait for the clock instead.

use super::chain::{Chain, ChainError, Receipt};
use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::primitives::{Address, Bytes, Log, B256, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::{Filter, TransactionRequest};
use alloy::signers::local::PrivateKeySigner;
use alloy::transports::{RpcError, TransportErrorKind};

/// A chain behind a JSON-RPC endpoint.
pub struct RpcChain {
    rt: tokio::runtime::Runtime,
    provider: DynProvider,
    accounts: Vec<Address>,
}

fn backend(e: impl std::fmt::Display) -> ChainError {
    ChainError::Backend(e.to_string())
}

/// A revert's data when the node reports one, else a backend error.
fn rpc_error(e: RpcError<TransportErrorKind>) -> ChainError {
    match e.as_error_resp().and_then(|p| p.as_revert_data()) {
        Some(data) => ChainError::Reverted(data.to_vec()),
        None => backend(e),
    }
}

impl RpcChain {
    /// Connects to `url`; the accounts are the node's unlocked ones.
    pub fn connect(url: &str) -> Result<RpcChain, ChainError> {
        Self::connect_with_keys(url, Vec::new())
    }

    /// Connects to `url`. With `keys`, transactions are signed locally and the
    /// accounts are the keys' addresses, in order; with none, the node's unlocked
    /// accounts send.
    pub fn connect_with_keys(
        url: &str,
        keys: Vec<PrivateKeySigner>,
    ) -> Result<RpcChain, ChainError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(backend)?;
        let url = url.parse().map_err(backend)?;
        let accounts: Vec<Address> = keys.iter().map(PrivateKeySigner::address).collect();
        let mut keys = keys.into_iter();
        let (provider, accounts) = match keys.next() {
            Some(first) => {
                let wallet = keys.fold(EthereumWallet::new(first), |mut w, k| {
                    w.register_signer(k);
                    w
                });
                // The nonce is read from the node before every transaction (not counted
                // here), so other processes may send from the same account.
                let provider = ProviderBuilder::new()
                    .disable_recommended_fillers()
                    .with_gas_estimation()
                    .with_simple_nonce_management()
                    .fetch_chain_id()
                    .wallet(wallet)
                    .connect_http(url)
                    .erased();
                (provider, accounts)
            }
            None => {
                // The node fills nonce and gas of its own accounts' transactions.
                let provider = ProviderBuilder::default().connect_http(url).erased();
                let accounts = rt.block_on(provider.get_accounts()).map_err(rpc_error)?;
                (provider, accounts)
            }
        };
        Ok(RpcChain {
            rt,
            provider,
            accounts,
        })
    }

    fn transact(&mut self, tx: TransactionRequest) -> Result<Receipt, ChainError> {
        let provider = &self.provider;
        let receipt = self.rt.block_on(async {
            let pending = provider.send_transaction(tx).await.map_err(rpc_error)?;
            pending.get_receipt().await.map_err(backend)
        })?;
        if !receipt.status() {
            return Err(ChainError::Reverted(Vec::new()));
        }
        Ok(Receipt {
            gas_used: receipt.gas_used,
            created: receipt.contract_address,
        })
    }
}

impl Chain for RpcChain {
    fn accounts(&self) -> Vec<Address> {
        self.accounts.clone()
    }

    fn deploy(&mut self, from: Address, code: Vec<u8>) -> Result<Address, ChainError> {
        let tx = TransactionRequest::default()
            .with_from(from)
            .with_deploy_code(Bytes::from(code));
        self.transact(tx)?
            .created
            .ok_or_else(|| backend("deployment created no contract"))
    }

    fn send(
        &mut self,
        from: Address,
        to: Address,
        data: Vec<u8>,
        value: U256,
    ) -> Result<Receipt, ChainError> {
        let tx = TransactionRequest::default()
            .with_from(from)
            .with_to(to)
            .with_input(Bytes::from(data))
            .with_value(value);
        self.transact(tx)
    }

    fn call(&mut self, to: Address, data: Vec<u8>) -> Result<Vec<u8>, ChainError> {
        let tx = TransactionRequest::default()
            .with_to(to)
            .with_input(Bytes::from(data));
        let out = self
            .rt
            .block_on(async { self.provider.call(tx).await })
            .map_err(rpc_error)?;
        Ok(out.to_vec())
    }

    fn now(&mut self) -> Result<u64, ChainError> {
        let block = self
            .rt
            .block_on(async {
                self.provider
                    .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
                    .await
            })
            .map_err(rpc_error)?
            .ok_or_else(|| backend("no latest block"))?;
        Ok(block.header.timestamp)
    }

    fn advance(&mut self, seconds: u64) -> Result<(), ChainError> {
        let provider = &self.provider;
        self.rt.block_on(async {
            provider
                .raw_request::<_, serde_json::Value>("evm_increaseTime".into(), (seconds,))
                .await
                .map_err(rpc_error)?;
            provider
                .raw_request::<_, serde_json::Value>("evm_mine".into(), Vec::<u64>::new())
                .await
                .map_err(rpc_error)
        })?;
        Ok(())
    }

    fn logs(&mut self, address: Address, topics: &[B256]) -> Result<Vec<Log>, ChainError> {
        let mut filter = Filter::new().address(address).from_block(0);
        if let Some(&t) = topics.first() {
            filter = filter.event_signature(t);
        }
        if let Some(&t) = topics.get(1) {
            filter = filter.topic1(t);
        }
        let logs = self
            .rt
            .block_on(async { self.provider.get_logs(&filter).await })
            .map_err(rpc_error)?;
        Ok(logs
            .into_iter()
            .map(|l| l.inner)
            .filter(|l| l.data.topics().starts_with(topics))
            .collect())
    }

    fn balance(&mut self, who: Address) -> Result<U256, ChainError> {
        self.rt
            .block_on(async { self.provider.get_balance(who).await })
            .map_err(rpc_error)
    }
}
