#!/usr/bin/env node
// `npm run demo`: the scripted bank session, on SQLite by default or on
// PostgreSQL with EVENTFOLD_STORE=postgres.
import { runDemo } from './demo'
import { openBankStores } from './stores'

const main = async (): Promise<void> => {
  const stores = await openBankStores()
  console.log(`eventfold bank demo — ${stores.description}\n`)
  try {
    await runDemo(stores)
  } finally {
    await stores.close()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
