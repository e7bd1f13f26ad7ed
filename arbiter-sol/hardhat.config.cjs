// Hardhat 2 as a local node for the end-to-end tests (`npx hardhat node`); contracts are
// compiled by compile.mjs, not by Hardhat. With OPML_BLOCK_INTERVAL_MS set, the node also
// mines an empty block at that interval, so its clock moves like a live chain's.
const interval = Number(process.env.OPML_BLOCK_INTERVAL_MS || 0);
module.exports = {
  networks: {
    hardhat: {
      hardfork: "cancun",
      accounts: { count: 4 },
      mining: { auto: true, interval },
    },
  },
};
