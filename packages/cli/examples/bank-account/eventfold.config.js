// eventfold.config.js for the bank sample (samples/bank-account, built with `npm run build`).
const { defineConfig, connectSqlite } = require('@eventfold/cli')
const { Account } = require('../../../../samples/bank-account/dist')
const { bankProjections } = require('../../../../samples/bank-account/dist/projections')

module.exports = defineConfig({
  // bank-demo.db beside this config (linked into samples/bank-account: the file `npm run demo` writes), or EVENTFOLD_DB.
  connect: () => connectSqlite(process.env.EVENTFOLD_DB ?? 'bank-demo.db'),
  projections: [...bankProjections],
  aggregates: [Account],
})
