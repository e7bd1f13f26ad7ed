// Hardhat's in-process network for evm_gas.cjs: Cancun like arbiter-sol/, and no
// EIP-170 size limit so that any EZKL verifier can be deployed and measured.
module.exports = {
  networks: {
    hardhat: { hardfork: "cancun", accounts: { count: 1 }, allowUnlimitedContractSize: true },
  },
};
