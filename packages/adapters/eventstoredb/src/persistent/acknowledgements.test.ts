import { describe, expect, it } from '@jest/globals'
import type { PersistentSubscriptionToAllResolvedEvent } from '@eventstore/db-client'
import { Acknowledgements } from './acknowledgements'

const resolved = (n: number) => ({ event: { id: `id-${n}` }, retryCount: 0 }) as unknown as PersistentSubscriptionToAllResolvedEvent

describe('Acknowledgements', () => {
  it('sends the acknowledgements asked for in one turn as one message', async () => {
    const sent: string[][] = []
    const acks = new Acknowledgements({ ack: async (...events) => void sent.push(events.map((e) => e.event!.id)) })

    await Promise.all([1, 2, 3].map((n) => acks.ack(resolved(n))))
    await acks.ack(resolved(4))

    expect(sent).toEqual([['id-1', 'id-2', 'id-3'], ['id-4']])
  })

  it('fails every acknowledgement of a message the client could not send', async () => {
    const acks = new Acknowledgements({ ack: async () => Promise.reject(new Error('stream closed')) })

    const results = await Promise.allSettled([acks.ack(resolved(1)), acks.ack(resolved(2))])

    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
  })
})
