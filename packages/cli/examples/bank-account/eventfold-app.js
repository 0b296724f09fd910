// The module an eventfold.config.json names: the application's projections and aggregates.
const { Account } = require('../../../../samples/bank-account/dist')
const { bankProjections } = require('../../../../samples/bank-account/dist/projections')

exports.projections = [...bankProjections]
exports.aggregates = [Account]
