//! The Solidity side: committed artifacts match the sources, the step functions carry
//! the names of vm/src/proof/step.rs in its order, and the compiled Smoke
//! contract runs in revm.

use std::{collections::BTreeMap, fs, path::Path};

use alloy_primitives::{Address, U256};
use alloy_sol_types::{sol, SolCall, SolEvent};
use opml_tests::{repo_root, run_in_repo};
use revm::{
    context::{
        result::{ExecutionResult, Output},
        TxEnv,
    },
    database::{CacheDB, EmptyDB},
    primitives::hardfork::SpecId,
    Context, ExecuteCommitEvm, MainBuilder, MainContext,
};

// ABI and bytecode come from the committed artifact, so cargo needs no Node.
sol!(Smoke, "../arbiter-sol/artifacts/Smoke.json");

/// Every `*.json` file in `dir`, by file name.
fn json_files(dir: &Path) -> BTreeMap<String, String> {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
    entries
        .map(|entry| {
            entry
                .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
                .path()
        })
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| {
            let text = fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, text)
        })
        .collect()
}

#[test]
fn solidity_artifacts_are_fresh() {
    let tmp = tempfile::tempdir().expect("create a temp dir");
    run_in_repo(
        "node",
        [
            Path::new("arbiter-sol/compile.mjs").as_os_str(),
            tmp.path().as_os_str(),
        ],
        &[],
    )
    .unwrap_or_else(|e| panic!("compiling the contracts failed: {e}"));

    let fresh = json_files(tmp.path());
    let committed = json_files(&repo_root().join("arbiter-sol/artifacts"));
    assert!(!fresh.is_empty(), "compile.mjs wrote no artifacts");
    let fresh_names: Vec<_> = fresh.keys().collect();
    let committed_names: Vec<_> = committed.keys().collect();
    assert_eq!(
        fresh_names, committed_names,
        "arbiter-sol/artifacts/ holds other contracts than arbiter-sol/contracts/: \
         run node arbiter-sol/compile.mjs and commit the artifacts"
    );
    for (name, text) in &fresh {
        assert!(
            committed.get(name) == Some(text),
            "arbiter-sol/artifacts/{name} is stale: run node arbiter-sol/compile.mjs and commit \
             the artifacts"
        );
    }
}

#[test]
fn smoke_contract_runs_in_revm() {
    let deployer = Address::repeat_byte(0x11);
    let mut evm = Context::mainnet()
        .with_db(CacheDB::<EmptyDB>::default())
        // The contracts are compiled for evmVersion cancun.
        .modify_cfg_chained(|cfg| cfg.spec = SpecId::CANCUN)
        .build_mainnet();

    let deploy = TxEnv::builder()
        .caller(deployer)
        .create()
        .data(Smoke::BYTECODE.clone())
        .gas_limit(1_000_000)
        .nonce(0)
        .build()
        .expect("a valid create transaction");
    let deployed = evm.transact_commit(deploy).expect("deploy executes");
    let contract = match &deployed {
        ExecutionResult::Success {
            output: Output::Create(_, Some(address)),
            ..
        } => *address,
        other => panic!("deploying Smoke failed: {other:?}"),
    };
    assert!(deployed.tx_gas_used() > 0, "deployment used no gas");

    let mut expected_total = U256::ZERO;
    for (nonce, amount) in [(1u64, 40u64), (2, 2)] {
        let amount = U256::from(amount);
        expected_total += amount;
        let call = TxEnv::builder()
            .caller(deployer)
            .call(contract)
            .data(Smoke::addCall { amount }.abi_encode().into())
            .gas_limit(100_000)
            .nonce(nonce)
            .build()
            .expect("a valid call transaction");
        let result = evm.transact_commit(call).expect("add executes");
        let ExecutionResult::Success {
            output, logs, gas, ..
        } = &result
        else {
            panic!("Smoke.add({amount}) did not succeed: {result:?}");
        };
        let returned = Smoke::addCall::abi_decode_returns(output.data())
            .unwrap_or_else(|e| panic!("cannot decode the return of add: {e}"));
        assert_eq!(returned, expected_total, "add returned the wrong total");
        assert!(gas.tx_gas_used() > 0, "add used no gas");

        assert_eq!(logs.len(), 1, "add emits exactly one event");
        let event = Smoke::Added::decode_log(&logs[0])
            .unwrap_or_else(|e| panic!("cannot decode the Added event: {e}"));
        assert_eq!(event.address, contract);
        assert_eq!(event.caller, deployer);
        assert_eq!(event.amount, amount);
        assert_eq!(event.newTotal, expected_total);
    }
}

/// The names of the functions defined in `text` after `keyword` (`fn`, `function`), in
/// order.
fn defined_names(text: &str, keyword: &str) -> Vec<String> {
    let pattern = format!("{keyword} ");
    text.lines()
        .filter_map(|line| {
            let rest = line.trim_start();
            let rest = rest.strip_prefix("pub ").unwrap_or(rest);
            let rest = rest.strip_prefix("pub(crate) ").unwrap_or(rest);
            let name = rest.strip_prefix(&pattern)?;
            let end = name.find(|c: char| !(c.is_alphanumeric() || c == '_'))?;
            Some(name[..end].to_string())
        })
        .collect()
}

/// `_memoryAccess` → `memory_access`.
fn snake(solidity: &str) -> String {
    let mut out = String::new();
    for c in solidity.trim_start_matches('_').chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// The Solidity step functions carry the names of vm/src/proof/step.rs (camelCase) and
/// each Solidity file lists them in step.rs's order, so the two read side by side.
#[test]
fn solidity_step_functions_follow_step_rs() {
    let root = repo_root();
    let read =
        |p: &str| fs::read_to_string(root.join(p)).unwrap_or_else(|e| panic!("read {p}: {e}"));
    let rust = defined_names(&read("vm/src/proof/step.rs"), "fn");
    assert!(rust.len() > 20, "{rust:?}");
    let mut found = Vec::new();
    for file in ["WasmStep.sol", "ProofReader.sol", "StepOps.sol"] {
        let names = defined_names(&read(&format!("arbiter-sol/contracts/{file}")), "function");
        let at: Vec<(usize, String)> = names
            .iter()
            .map(|n| snake(n))
            .filter_map(|n| rust.iter().position(|r| *r == n).map(|i| (i, n)))
            .collect();
        for pair in at.windows(2) {
            assert!(
                pair[0].0 <= pair[1].0,
                "{file}: {} comes before {}, unlike step.rs",
                pair[1].1,
                pair[0].1
            );
        }
        found.extend(at.into_iter().map(|(_, n)| n));
    }
    let missing: Vec<_> = rust.iter().filter(|r| !found.contains(r)).collect();
    assert!(
        missing.is_empty(),
        "step.rs functions without a Solidity counterpart: {missing:?}"
    );
}
