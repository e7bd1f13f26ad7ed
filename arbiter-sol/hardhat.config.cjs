// Hardhat 2 as a local node for the end-to-end tests (`npx hardhat node`); contracts are
// compiled by compile.mjs, not by Hardhat.
module.exports = {
  networks: {
    hardhat: {
      hardfork: "cancun",
      accounts: { count: 4 },
    },
  },
};
