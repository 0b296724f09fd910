import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
// #region imports
import { openSqlite, SqliteEventStore, SqliteSnapshotStore } from '@eventfold/sqlite'
// #endregion imports
import { tempDir, type TempDir } from './test-support/temp-dir'

describe('the README', () => {
  let dir: TempDir
  let cwd: string

  beforeEach(() => {
    dir = tempDir()
    cwd = process.cwd()
    process.chdir(dir.path)
  })

  afterEach(() => {
    process.chdir(cwd)
    dir.remove()
    jest.restoreAllMocks()
  })

  it('runs its usage example', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => {})

    // #region usage
    const sqlite = openSqlite('bank.db') // WAL, synchronous FULL, busy_timeout 5 s
    const events = new SqliteEventStore(sqlite)
    const snapshots = new SqliteSnapshotStore(sqlite)

    const opened = await events.appendToStream('Account-1', [{ type: 'AccountOpened', data: { owner: 'Ann' } }], {
      expectedRevision: 'no_stream',
    })
    await events.appendToStream('Account-1', [{ type: 'Deposited', data: { amount: 5 } }], {
      expectedRevision: opened.nextRevision, // a ConcurrencyError if someone else appended meanwhile
    })

    for await (const event of events.readStream('Account-1')) {
      console.log(event.revision, event.type, event.data) // 0n AccountOpened { owner: 'Ann' }, then 1n Deposited …
    }

    await snapshots.save({
      streamId: 'Account-1',
      revision: 1n,
      schemaVersion: 1,
      state: { balance: 5 },
      takenAt: new Date().toISOString(),
    })

    // From a checkpoint (exclusive), or 'start' / 'end'; stays live after catching up.
    const subscription = events.subscribeToAll({ fromPosition: 'start', filter: { streamPrefixes: ['Account-'] } })
    for await (const event of subscription) {
      console.log(event.position, event.streamId, event.type)
      if (event.type === 'Deposited') break
    }

    await sqlite.close() // closes the stores (ending their subscriptions), then the file
    // #endregion usage

    expect(log.mock.calls.map((call) => call.slice(0, 2))).toEqual([
      [0n, 'AccountOpened'],
      [1n, 'Deposited'],
      [1n, 'Account-1'],
      [2n, 'Account-1'],
    ])
  })
})
