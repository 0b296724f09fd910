// The one-file setup of packages/adapters/sqlite/README.md. It is compiled with
// the sample and run by readme.int.test.ts; scripts/readme-snippets.test.ts checks
// that the README quotes it verbatim. The domain is the bank sample's.
import { Account, AccountBalances, DepositMoney, OpenAccount } from '..'
// #region one-file
import { createEventfold } from '@eventfold/core'
import { projectionFromInstance, ProjectionWorker, ReadModels } from '@eventfold/projections'
import { openSqlite, SqliteDocumentStore, SqliteEventStore, SqliteSnapshotStore } from '@eventfold/sqlite'

export async function bankInOneFile(path: string): Promise<void> {
  const sqlite = openSqlite(path) // one connection: every store below shares it
  const eventStore = new SqliteEventStore(sqlite)
  const documents = new SqliteDocumentStore(sqlite) // read models and checkpoints
  const app = createEventfold({ eventStore, snapshotStore: new SqliteSnapshotStore(sqlite), aggregates: [Account] })

  await app.commandBus.execute(new OpenAccount('ann', 'Ann'))
  await app.commandBus.execute(new DepositMoney('ann', 500))

  // Each batch's documents and its checkpoint commit in one SQLite transaction.
  const projection = projectionFromInstance(new AccountBalances())
  await new ProjectionWorker({ eventStore, documents, projection, stopAtHead: true }).run()
  // Read by the collection name the projection declares; `sqlite3` sees a view of that name.
  console.log(await new ReadModels(documents).collection('account_balances').get('ann')) // { _id: 'ann', owner: 'Ann', balance: 500, … }

  await sqlite.close() // closes the three stores, then the file
}
// #endregion one-file
