import { randomUUID } from 'node:crypto'
import type { Delivery, Transport } from '../transport/transport'

const never = new Promise<void>(() => {})

/**
 * Every message published to `topics` so far, read by a consumer group of
 * its own: waits until there are at least `atLeast`, then returns all of
 * them (duplicates included), in partition order.
 */
export const published = async (transport: Transport, topics: readonly string[], atLeast = 0): Promise<Delivery[]> => {
  const group = `check-${randomUUID()}`
  const subscription = await transport.subscribe({ group, topics, from: 'earliest' })
  const out: Delivery[] = []
  try {
    for (;;) {
      // The end offsets say how many there are now: read exactly those, so no read waits for more.
      const total = Number((await transport.lag(group, topics)).reduce((n, p) => n + p.end, 0n))
      while (out.length < total) {
        const batch = await subscription.read(total - out.length, 10, never)
        out.push(...batch)
        await subscription.acknowledge(batch)
      }
      if (out.length >= atLeast) return out
      // Wait for the next message to arrive, then count again.
      const next = await subscription.read(1, 10, never)
      out.push(...next)
      await subscription.acknowledge(next)
    }
  } finally {
    await subscription.close()
  }
}
