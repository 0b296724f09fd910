import type { Deadline } from '@eventfold/sagas'
import type { Command } from 'commander'
import { integerOption } from '../args/integers'
import type { EventfoldConnection } from '../config/define-config'
import { UsageError } from '../errors'
import { printJson } from '../output/json'
import { printTable } from '../output/table'
import { withContext } from './context'
import { commandGroup } from './group'

const iso = (ms: number | undefined): string | null => (ms === undefined || ms === 0 ? null : new Date(ms).toISOString())

/** A deadline as the command prints it: times as ISO strings. */
export const printable = (d: Deadline) => ({
  id: d.id,
  scope: d.scope,
  name: d.name,
  dueAt: iso(d.dueAt),
  state: d.state,
  payload: d.payload,
  scheduledAt: iso(d.scheduledAt),
  owner: d.owner ?? null,
  leaseUntil: iso(d.leaseUntil),
  settledAt: iso(d.settledAt),
  error: d.error ?? null,
})

/**
 * The deadlines of the connection's deadline store, earliest due first.
 * @throws {@link UsageError} when the connection has no deadline store
 */
export const listDeadlines = async (stores: EventfoldConnection, { due = false, limit = 1000 }: { due?: boolean; limit?: number } = {}): Promise<Deadline[]> => {
  const store = stores.deadlines
  if (!store) throw new UsageError("the config's connect() returns no deadline store: return one as `deadlines` (connectSqlite does)")
  return store.list({ ...(due && { dueBy: Date.now() }), limit })
}

/** `eventfold deadlines list`. */
export const deadlinesCommand = (program: Command): void => {
  const deadlines = commandGroup(program, 'deadlines', 'deadlines scheduled by aggregates and sagas, and what became of them')

  deadlines
    .command('list')
    .description('the deadlines, earliest due first (pending, fired and parked)')
    .option('--due', 'only pending deadlines that are due now')
    .option('--limit <count>', 'at most this many (default 1000)', integerOption({ min: 1 }))
    .option('--json', 'print JSON')
    .action(async (opts: { due?: boolean; limit?: number; json?: boolean }, command: Command) =>
      withContext(
        command,
        async (ctx) => {
          const found = await listDeadlines(await ctx.stores(), opts)
          if (opts.json) return printJson(found.map(printable))
          printTable(
            found.map(printable),
            [
              { header: 'SCOPE', value: (d) => d.scope },
              { header: 'NAME', value: (d) => d.name },
              { header: 'DUE AT', value: (d) => d.dueAt ?? '' },
              { header: 'STATE', value: (d) => d.state },
              { header: 'OWNER', value: (d) => (d.state === 'pending' ? (d.owner ?? '') : '') },
              { header: 'SETTLED AT', value: (d) => d.settledAt ?? '' },
              { header: 'ERROR', value: (d) => d.error ?? '', maxWidth: 80 },
            ],
            opts.due ? 'no deadlines due' : 'no deadlines',
          )
        },
        { readOnly: true },
      ),
    )
}
