import { describe, expect, it } from '@jest/globals'
import { InMemoryTransport } from '@eventfold/messaging'
import type { Transport } from '@eventfold/messaging/spi'
import { SharedTransport } from './shared-transport'

/** A factory that counts the transports it opened and which of them were closed. */
const counting = () => {
  const opened: { transport: Transport; closed: boolean }[] = []
  const open = (): Transport => {
    const transport = new InMemoryTransport()
    const entry = { transport, closed: false }
    const close = transport.close.bind(transport)
    transport.close = async () => {
      entry.closed = true
      await close()
    }
    opened.push(entry)
    return transport
  }
  return { opened, open }
}

describe('SharedTransport', () => {
  it('opens the transport once for many requests, and closes it when the console stops', async () => {
    const { opened, open } = counting()
    const shared = new SharedTransport(open)
    const seen = await Promise.all([1, 2, 3].map(() => shared.use(async (t) => t)))
    expect(new Set(seen).size).toBe(1)
    expect(await shared.use(async (t) => t)).toBe(seen[0])
    expect(opened).toHaveLength(1)
    await shared.close()
    expect(opened[0]!.closed).toBe(true)
    await expect(shared.use(async () => 1)).rejects.toThrow(/stopping/)
    expect(opened).toHaveLength(1)
  })

  it('closes a transport whose request failed, and opens a fresh one for the next request', async () => {
    const { opened, open } = counting()
    const shared = new SharedTransport(open)
    await expect(shared.use(async () => Promise.reject(new Error('broker down')))).rejects.toThrow('broker down')
    expect(opened.map((o) => o.closed)).toEqual([true])
    await shared.use(async () => undefined)
    expect(opened.map((o) => o.closed)).toEqual([true, false])
    await shared.close()
    expect(opened.map((o) => o.closed)).toEqual([true, true])
  })

  it('lets the next request try again when opening failed', async () => {
    let attempts = 0
    const shared = new SharedTransport(() => {
      attempts++
      if (attempts === 1) throw new Error('connection refused')
      return new InMemoryTransport()
    })
    await expect(shared.use(async () => 1)).rejects.toThrow('connection refused')
    expect(await shared.use(async () => 2)).toBe(2)
    expect(attempts).toBe(2)
    await shared.close()
  })
})
