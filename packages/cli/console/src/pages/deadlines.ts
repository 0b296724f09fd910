import { get } from '../api'
import { h, table } from '../dom'
import type { Page } from './page'

interface Deadline {
  readonly scope: string
  readonly name: string
  readonly dueAt: string | null
  readonly state: string
  readonly owner: string | null
  readonly settledAt: string | null
  readonly error: string | null
}

/** Deadlines of the config's deadline store (`@eventfold/sagas`), earliest due first. */
export const deadlinesPage: Page = {
  route: 'deadlines',
  title: 'Deadlines',
  render: async ({ query }) => {
    const due = query.get('due') === 'true'
    const found = await get<{ configured: boolean; deadlines: Deadline[] }>('/api/deadlines', { due: due ? 'true' : undefined })
    if (!found.configured) {
      return h('section', {}, h('h1', {}, 'Deadlines'), h('p', {}, "the config's connect() returns no deadline store (connectSqlite does)"))
    }
    return h(
      'section',
      {},
      h('h1', {}, 'Deadlines'),
      h('p', {}, due ? h('a', { href: '#/deadlines' }, 'show all') : h('a', { href: '#/deadlines?due=true' }, 'only those due now')),
      table(
        found.deadlines,
        [
          { header: 'scope', cell: (d) => d.scope },
          { header: 'name', cell: (d) => d.name },
          { header: 'due at', cell: (d) => d.dueAt ?? '' },
          { header: 'state', cell: (d) => d.state },
          { header: 'owner', cell: (d) => (d.state === 'pending' ? (d.owner ?? '') : '') },
          { header: 'settled at', cell: (d) => d.settledAt ?? '' },
          { header: 'error', cell: (d) => d.error ?? '' },
        ],
        { id: 'deadlines' },
      ),
    )
  },
}
