import { describe, expect, it } from '@jest/globals'
import { OrderedBuffer, type BufferItem } from './ordered-buffer'

const drain = async (buffer: OrderedBuffer<string, number>, count: number): Promise<Array<BufferItem<string, number>>> => {
  const out: Array<BufferItem<string, number>> = []
  for (let i = 0; i < count; i++) out.push(await buffer.take())
  return out
}

const kinds = (items: ReadonlyArray<BufferItem<string, number>>): string[] =>
  items.map((i) => (i.kind === 'event' ? i.event : i.kind === 'checkpoint' ? `checkpoint@${i.position}` : i.kind))

describe('OrderedBuffer', () => {
  it('hands over events in the order they arrive', async () => {
    const buffer = new OrderedBuffer<string, number>()
    buffer.push('a')
    buffer.push('b')

    expect(kinds(await drain(buffer, 2))).toEqual(['a', 'b'])
  })

  it('places a signal after the events still buffered upstream when it was emitted', async () => {
    const buffer = new OrderedBuffer<string, number>()
    buffer.push('a')
    // The client says "caught up" while two more events wait in its own stream buffer.
    buffer.mark({ kind: 'caught-up' }, 2)
    buffer.mark({ kind: 'checkpoint', position: 9 }, 2)
    buffer.push('b')
    buffer.push('c')
    buffer.push('d')

    expect(kinds(await drain(buffer, 6))).toEqual(['a', 'b', 'c', 'caught-up', 'checkpoint@9', 'd'])
  })

  it('releases a signal at once when nothing is buffered upstream', async () => {
    const buffer = new OrderedBuffer<string, number>()
    buffer.push('a')
    buffer.mark({ kind: 'checkpoint', position: 3 }, 0)

    expect(kinds(await drain(buffer, 2))).toEqual(['a', 'checkpoint@3'])
  })

  it('wakes a waiting consumer when an item arrives', async () => {
    const buffer = new OrderedBuffer<string, number>()
    const next = buffer.take()
    buffer.mark({ kind: 'caught-up' }, 0)

    expect(kinds([await next])).toEqual(['caught-up'])
  })

  it('delivers what is ready, then the error, and the error forever; held signals are dropped', async () => {
    const buffer = new OrderedBuffer<string, number>()
    buffer.push('a')
    buffer.mark({ kind: 'caught-up' }, 5)
    buffer.fail(new Error('dropped'))
    buffer.push('late')

    const items = await drain(buffer, 3)
    expect(kinds(items)).toEqual(['a', 'error', 'error'])
    expect(items[1]).toMatchObject({ error: new Error('dropped') })
  })

  it('ends a waiting consumer', async () => {
    const buffer = new OrderedBuffer<string, number>()
    const next = buffer.take()
    buffer.end()

    expect(kinds([await next, await buffer.take()])).toEqual(['end', 'end'])
    expect(buffer.size).toBe(0)
  })
})
