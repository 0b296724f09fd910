import { describe, expect, it } from '@jest/globals'
import { InMemoryEventStore } from '@eventfold/core'
import { InMemoryDocumentStore } from '@eventfold/projections'
import { defineProcessManager, Sagas, SagaWorker } from '@eventfold/sagas'
import { parkedSagaEventsCollection } from '@eventfold/sagas/spi'

const counter = defineProcessManager<{ seen: number }>({
  name: 'worker-counter',
  starts: { Ticked: 'clockId' },
  initialState: () => ({ seen: 0 }),
  react: (m) => {
    if ((m.data as { poison?: boolean }).poison) throw new Error('cannot handle this tick')
    return {}
  },
  evolve: (s) => ({ seen: s.seen + 1 }),
})

const tick = (clockId: string, poison = false) => [{ type: 'Ticked', data: { clockId, ...(poison && { poison }) } }]

describe('SagaWorker', () => {
  it('follows the log from its checkpoint: a restarted worker handles only what came after', async () => {
    const eventStore = new InMemoryEventStore()
    const documents = new InMemoryDocumentStore()
    const sagas = new Sagas({ documents, sagas: [counter] })
    await eventStore.appendToStream('Clock-a', tick('a'))
    await eventStore.appendToStream('Clock-a', tick('a'))
    await new SagaWorker(sagas, { eventStore, documents, stopAtHead: true }).start()
    expect((await sagas.list()).map((s) => s.state)).toEqual([{ seen: 2 }])

    await eventStore.appendToStream('Clock-a', tick('a'))
    const restarted = new Sagas({ documents, sagas: [counter] })
    await new SagaWorker(restarted, { eventStore, documents, stopAtHead: true }).start()
    expect((await restarted.list()).map((s) => s.state)).toEqual([{ seen: 3 }])
    expect(await documents.readCheckpoint('saga:sagas')).toBe(3n)
  })

  it('parks an event its saga keeps failing on, with the error, and goes on', async () => {
    const eventStore = new InMemoryEventStore()
    const documents = new InMemoryDocumentStore()
    const sagas = new Sagas({ documents, sagas: [counter] })
    await eventStore.appendToStream('Clock-b', tick('b'))
    await eventStore.appendToStream('Clock-b', tick('b', true))
    await eventStore.appendToStream('Clock-b', tick('b'))
    const worker = new SagaWorker(sagas, { eventStore, documents, stopAtHead: true, maxAttempts: 2, retry: { initialDelayMs: 1, maxDelayMs: 1 }, onError: () => {} })
    await worker.start()
    expect((await sagas.list()).map((s) => s.state)).toEqual([{ seen: 2 }])
    expect(await documents.find(parkedSagaEventsCollection('sagas'))).toEqual([
      expect.objectContaining({ streamId: 'Clock-b', eventType: 'Ticked', position: '2', attempts: 2, error: 'Error: cannot handle this tick' }),
    ])
    expect(worker.counters).toMatchObject({ parked: 1 })
  })
})
