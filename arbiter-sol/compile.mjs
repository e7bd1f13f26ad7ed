// Compiles every arbiter-sol/contracts/**/*.sol with the pinned solc-js (see package.json)
// and writes one artifact per contract, <OUT_DIR>/<ContractName>.json, holding the ABI,
// the creation bytecode and the deployed bytecode as 0x-prefixed hex.
//
//   node arbiter-sol/compile.mjs [OUT_DIR]      (default OUT_DIR: arbiter-sol/artifacts)
//
// The output is deterministic: sources are named by their path relative to arbiter-sol/
// (so the checkout path does not leak into the metadata hash), contracts are processed in
// sorted order, and the JSON is written with fixed formatting. The artifacts are
// committed, so building the Rust side needs no Node; the Rust test
// `solidity_artifacts_are_fresh` recompiles into a temp dir and compares.
//
// With the default OUT_DIR, artifacts of contracts that no longer exist are removed.

import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Compiler settings; changing any of them changes every artifact. */
const EVM_VERSION = "cancun";
const OPTIMIZER_RUNS = 200;

const here = dirname(fileURLToPath(import.meta.url));
const contractsDir = join(here, "contracts");
const defaultOutDir = join(here, "artifacts");

function fail(message) {
  console.error(`compile.mjs: error: ${message}`);
  process.exit(1);
}

async function loadSolc() {
  try {
    return (await import("solc")).default;
  } catch (err) {
    fail(`cannot load the npm package solc (${err.message}): run scripts/setup.sh`);
  }
}

function readSources() {
  // Every .sol file under contracts/, subdirectories (generated/) included.
  const files = readdirSync(contractsDir, { recursive: true })
    .filter((name) => name.endsWith(".sol"))
    .sort();
  if (files.length === 0) {
    fail(`no .sol files in ${contractsDir}`);
  }
  const sources = {};
  for (const file of files) {
    sources[`contracts/${file}`] = { content: readFileSync(join(contractsDir, file), "utf8") };
  }
  return sources;
}

function compile(solc, sources) {
  const input = {
    language: "Solidity",
    sources,
    settings: {
      evmVersion: EVM_VERSION,
      optimizer: { enabled: true, runs: OPTIMIZER_RUNS },
      outputSelection: {
        "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] },
      },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const diagnostics = output.errors ?? [];
  for (const d of diagnostics) {
    console.error(d.formattedMessage ?? d.message);
  }
  const errors = diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) {
    fail(`solc reported ${errors.length} error(s)`);
  }
  return output;
}

function artifactsOf(solc, output) {
  const artifacts = new Map();
  for (const sourceName of Object.keys(output.contracts ?? {}).sort()) {
    const contracts = output.contracts[sourceName];
    for (const contractName of Object.keys(contracts).sort()) {
      if (artifacts.has(contractName)) {
        fail(`contract name ${contractName} is defined twice (artifacts are named by contract)`);
      }
      const c = contracts[contractName];
      artifacts.set(contractName, {
        contractName,
        sourceName,
        compiler: {
          version: solc.version(),
          evmVersion: EVM_VERSION,
          optimizerRuns: OPTIMIZER_RUNS,
        },
        abi: c.abi,
        bytecode: `0x${c.evm.bytecode.object}`,
        deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
      });
    }
  }
  return artifacts;
}

const outDir = resolve(process.argv[2] ?? defaultOutDir);
const solc = await loadSolc();
const artifacts = artifactsOf(solc, compile(solc, readSources()));

mkdirSync(outDir, { recursive: true });
if (outDir === defaultOutDir) {
  for (const file of readdirSync(outDir)) {
    if (file.endsWith(".json") && !artifacts.has(file.slice(0, -".json".length))) {
      rmSync(join(outDir, file));
      console.log(`compile.mjs: removed stale ${file}`);
    }
  }
}
for (const [name, artifact] of artifacts) {
  writeFileSync(join(outDir, `${name}.json`), `${JSON.stringify(artifact, null, 2)}\n`);
}
console.log(
  `compile.mjs: solc ${solc.version()}, evm ${EVM_VERSION}: wrote ${artifacts.size} artifact(s) to ${outDir}`,
);
