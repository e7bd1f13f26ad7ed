// Deploys EZKL's generated Solidity verifier in Hardhat's in-process EVM (Cancun, the
// same Hardhat 2 and solc-js that arbiter-sol/ pins) and sends one verifyProof
// transaction with EZKL's own calldata. Prints one JSON object: the verifier's deployed
// size, the deployment gas, and the verify transaction's gas (the whole transaction:
// 21 000 intrinsic + calldata + execution, as opml's gas numbers) and calldata bytes.
//
//   node scripts/vs-zkml/evm_gas.cjs VERIFIER.sol CALLDATA.bin
//
// The in-process network needs no port and no node to start or stop; it allows
// contracts over EIP-170's 24 576 bytes so that big verifiers can still be measured
// (the output says whether the verifier would fit on mainnet).
const path = require("node:path");
const fs = require("node:fs");
const { createRequire } = require("node:module");

const arbiter = path.resolve(__dirname, "../../arbiter-sol");
const req = createRequire(path.join(arbiter, "package.json"));
const solc = req("solc");

function compile(source) {
  const input = {
    language: "Solidity",
    sources: { "Verifier.sol": { content: source } },
    settings: {
      evmVersion: "cancun",
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { "*": { "*": ["evm.bytecode.object", "evm.deployedBytecode.object"] } },
    },
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (out.errors || []).filter((e) => e.severity === "error");
  if (errors.length) throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  const [name, c] = Object.entries(out.contracts["Verifier.sol"])[0];
  return { name, bytecode: c.evm.bytecode.object, deployed: c.evm.deployedBytecode.object };
}

async function main() {
  const [solPath, calldataPath] = process.argv.slice(2).map((p) => path.resolve(p));
  const { name, bytecode, deployed } = compile(fs.readFileSync(solPath, "utf8"));
  process.env.HARDHAT_NETWORK = "hardhat";
  process.chdir(__dirname); // picks up hardhat.config.cjs beside this file
  const hre = req("hardhat");
  const rpc = (method, params = []) => hre.network.provider.request({ method, params });
  const [from] = await rpc("eth_accounts");
  const receipt = async (hash) => rpc("eth_getTransactionReceipt", [hash]);
  const dep = await receipt(
    await rpc("eth_sendTransaction", [{ from, data: "0x" + bytecode, gas: "0x1c9c380" }]),
  );
  if (dep.status !== "0x1") throw new Error("deployment reverted");
  const calldata = "0x" + fs.readFileSync(calldataPath).toString("hex");
  const call = { from, to: dep.contractAddress, data: calldata, gas: "0x1c9c380" };
  const ret = await rpc("eth_call", [call, "latest"]);
  const tx = await receipt(await rpc("eth_sendTransaction", [call]));
  console.log(
    JSON.stringify({
      contract: name,
      solc: solc.version(),
      deployed_bytes: deployed.length / 2,
      fits_eip170: deployed.length / 2 <= 24576,
      deploy_gas: parseInt(dep.gasUsed, 16),
      verify_gas: parseInt(tx.gasUsed, 16),
      verify_ok: tx.status === "0x1" && BigInt(ret) === 1n,
      calldata_bytes: calldata.length / 2 - 1,
    }),
  );
}

main().catch((e) => {
  console.error(`evm_gas.cjs: ${e.message}`);
  process.exit(1);
});
