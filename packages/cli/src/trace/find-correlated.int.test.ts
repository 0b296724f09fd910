import { SqliteEventStore } from '@eventfold/sqlite'
import type { EventData } from '@eventfold/core'
import { findCorrelated } from './find-correlated'

describe('findCorrelated scanning a log without a correlation index', () => {
  let store: SqliteEventStore

  beforeAll(async () => {
    // Pages of 10: the scan reads 5 pages; SQLite reads are synchronous, so only what onScan awaits lets other work run.
    store = SqliteEventStore.open(':memory:', { correlationIndex: false, pageSize: 10 })
    const events: EventData[] = Array.from({ length: 50 }, (_, i) => ({ type: 'Noted', data: { i }, metadata: { correlationId: i % 10 === 0 ? 'flow-a' : 'flow-b' } }))
    await store.appendToStream('Note-1', events)
  })
  afterAll(() => store.close())

  it('finds the flow by reading the whole log, and waits for onScan between pages', async () => {
    let turns = 0
    let ticking = true
    const tick = (): void => {
      turns++
      if (ticking) setImmediate(tick)
    }
    setImmediate(tick)
    const seen: bigint[] = []
    const found = await findCorrelated('notes', store, 'flow-a', {
      onScan: async (p) => {
        seen.push(p.position)
        await new Promise((resolve) => setImmediate(resolve))
      },
    }).finally(() => (ticking = false))
    expect(found).toMatchObject({ scanned: true, unreadable: 0 })
    expect(found.events.map((e) => e.revision)).toEqual([0n, 10n, 20n, 30n, 40n])
    expect(seen).toHaveLength(5)
    // The other work ran during the scan, once per page at least.
    expect(turns).toBeGreaterThanOrEqual(4)
  })
})
