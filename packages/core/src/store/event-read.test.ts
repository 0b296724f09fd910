import { describe, expect, it } from '@jest/globals'
import type { RecordedEvent } from '../events/event'
import { eventRead, eventReadOfEvents } from './event-store'

const recorded = (n: number): RecordedEvent => ({ type: 'E', data: { n }, metadata: { eventId: `e-${n}`, occurredAt: '', schemaVersion: 1 }, streamId: 'S-1', revision: BigInt(n), position: BigInt(n + 1) })

const collect = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = []
  for await (const item of items) out.push(item)
  return out
}

describe('eventRead', () => {
  it('hands out the events of its pages one by one, and the pages as they are', async () => {
    const pages = [[recorded(0), recorded(1)], [recorded(2)]]
    const read = () =>
      eventRead(async function* () {
        yield* pages
      })

    expect(await collect(read())).toEqual([recorded(0), recorded(1), recorded(2)])
    expect(await collect(read().pages())).toEqual(pages)
  })
})

describe('eventReadOfEvents', () => {
  it('gathers the events of a one-by-one source into pages of at most pageSize', async () => {
    const read = () =>
      eventReadOfEvents(async function* () {
        for (let n = 0; n < 5; n++) yield recorded(n)
      }, 2)

    expect((await collect(read().pages())).map((page) => page.map((e) => e.revision))).toEqual([[0n, 1n], [2n, 3n], [4n]])
    expect(await collect(read())).toEqual([0, 1, 2, 3, 4].map(recorded))
  })

  it('hands out no page for an empty source', async () => {
    expect(await collect(eventReadOfEvents(async function* () {}).pages())).toEqual([])
  })
})
