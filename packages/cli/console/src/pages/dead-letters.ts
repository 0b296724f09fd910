import { get, post, seg } from '../api'
import { h, jsonBlock, table } from '../dom'
import type { Page, PageContext } from './page'

interface Letter {
  readonly id: string
  readonly projection: string
  readonly partition: string
  readonly attempts: number
  readonly parkedAt: string
  readonly event: { type: string; streamId: string; revision: string; position: string }
  readonly error: { name: string; message: string; stack?: string }
}

const act = async (ctx: PageContext, what: 'retry' | 'discard', letter: Letter): Promise<void> => {
  if (what === 'discard' && !confirm(`Remove dead letter '${letter.id}' without applying it?`)) return
  try {
    await post(`/api/dead-letters/${seg(letter.id)}/${what}`)
    const event = `${letter.event.type} ${letter.event.streamId}@${letter.event.revision}`
    ctx.notify(what === 'retry' ? `applied ${event} to '${letter.projection}'; dead letter '${letter.id}' removed` : `discarded dead letter '${letter.id}' (${event})`)
    ctx.refresh()
  } catch (error) {
    ctx.notify((error as Error).message, true)
    ctx.refresh()
  }
}

/** Events projections parked, with retry (with the current code) and discard. */
export const deadLettersPage: Page = {
  route: 'dead-letters',
  title: 'Dead letters',
  render: async (ctx) => {
    const letters = await get<Letter[]>('/api/dead-letters')
    return h(
      'section',
      {},
      h('h1', {}, 'Dead letters'),
      letters.length === 0
        ? h('p', { id: 'no-dead-letters' }, 'no dead letters')
        : table(
            letters,
            [
              { header: 'id', cell: (d) => d.id },
              { header: 'projection', cell: (d) => d.projection },
              { header: 'partition', cell: (d) => d.partition },
              { header: 'event', cell: (d) => `${d.event.type} ${d.event.streamId}@${d.event.revision}` },
              { header: 'position', cell: (d) => d.event.position, className: 'num' },
              { header: 'attempts', cell: (d) => d.attempts, className: 'num' },
              { header: 'parked at', cell: (d) => d.parkedAt },
              { header: 'error', cell: (d) => h('details', {}, h('summary', {}, `${d.error.name}: ${d.error.message}`), jsonBlock(d.error.stack ?? '')) },
              {
                header: '',
                cell: (d) =>
                  h(
                    'span',
                    {},
                    h('button', { type: 'button', class: 'retry', onclick: () => void act(ctx, 'retry', d) }, 'Retry'),
                    h('button', { type: 'button', class: 'discard', onclick: () => void act(ctx, 'discard', d) }, 'Discard'),
                  ),
              },
            ],
            { id: 'dead-letters' },
          ),
    )
  },
}
