// eventfold.config.js for the bank sample (samples/bank-account, built with `npm run build`).
const { defineConfig, connectSqlite } = require('@eventfold/cli')
const { Account } = require('../../../../samples/bank-account/dist')
const { bankProjections } = require('../../../../samples/bank-account/dist/projections')

module.exports = defineConfig({
  // The file the bank demo writes (`npm run demo`), or EVENTFOLD_DB as the demo reads it.
  connect: () => connectSqlite(process.env.EVENTFOLD_DB ?? 'bank-demo.db'),
  projections: [...bankProjections],
  aggregates: [Account],
})
