import { Sagas, sagaDeadlineScope, type SagaInstance, type SagaStatus } from '@eventfold/sagas'
import type { DocumentStore } from '@eventfold/projections'
import type { Command } from 'commander'
import type { EventfoldConnection } from '../config/define-config'
import { integerOption } from '../args/integers'
import { UsageError } from '../errors'
import { printJson } from '../output/json'
import { printTable } from '../output/table'
import { withContext } from './context'
import { commandGroup } from './group'
import { printable as printableDeadline } from './deadlines'

const iso = (ms: number | null | undefined): string | null => (ms === undefined || ms === null ? null : new Date(ms).toISOString())

/** An instance as `sagas list` prints it. */
export const sagaSummary = (s: SagaInstance) => ({
  id: s._id,
  saga: s.saga,
  status: s.status,
  step: s.step,
  associations: s.associations,
  startedAt: iso(s.startedAt),
  updatedAt: iso(s.updatedAt),
  endedAt: iso(s.endedAt),
  unsent: s.outbox.length,
})

/** What `sagas list` filters by. */
export interface SagaListFilter {
  readonly saga?: string
  readonly status?: SagaStatus
  /** `key=value`, as the instance stores it. */
  readonly association?: string
  /** A flow some message the instance handled belongs to. */
  readonly correlationId?: string
  readonly skip?: number
  readonly limit: number
}

/** Saga instances of the connection's document store, most recently updated first, as `sagas list` prints them. */
export const listSagas = async (documents: DocumentStore, { saga, status, association, correlationId, skip, limit }: SagaListFilter) =>
  (
    await new Sagas({ documents, sagas: [] }).list({
      ...(saga !== undefined && { saga }),
      ...(status !== undefined && { status }),
      ...(association !== undefined && { association }),
      ...(correlationId !== undefined && { correlationId }),
      ...(skip !== undefined && { skip }),
      limit,
    })
  ).map(sagaSummary)

/**
 * One instance as `sagas show` prints it: state, history, compensations,
 * outbox and its pending deadlines (none when the connection has no deadline store).
 * @throws {@link SagaNotFoundError} when no instance has this id
 */
export const showSaga = async (stores: EventfoldConnection, id: string) => {
  const instance = await new Sagas({ documents: stores.documents, sagas: [] }).get(id)
  const scope = sagaDeadlineScope(instance.saga, instance._id)
  const pending = stores.deadlines ? (await stores.deadlines.list({ state: 'pending', scope })).map(printableDeadline) : []
  return {
    ...sagaSummary(instance),
    state: instance.state,
    history: instance.history.map((h) => ({ ...h, at: iso(h.at) })),
    compensations: instance.compensations,
    outbox: instance.outbox,
    deadlines: pending,
  }
}

/** An active or ended status, as `--state` takes it. */
export const sagaStatusOf = (value: string, what = '--state'): SagaStatus => {
  if (value !== 'active' && value !== 'ended') throw new UsageError(`${what} must be active or ended, got '${value.slice(0, 40)}'`)
  return value
}

const statusOption = (value: string): SagaStatus => sagaStatusOf(value)

/** `eventfold sagas list` and `eventfold sagas show`: read-only views of the saga instances in the config's document store. */
export const sagasCommand = (program: Command): void => {
  const sagas = commandGroup(program, 'sagas', 'saga instances: state, associations, history and pending deadlines')

  sagas
    .command('list')
    .description('saga instances, most recently updated first')
    .option('--saga <name>', 'only instances of this saga')
    .option('--state <state>', 'only active or ended instances', statusOption)
    .option('--association <key=value>', 'only instances with this association (e.g. orderId=o1)')
    .option('--correlation-id <id>', 'only instances that handled a message of this flow')
    .option('--limit <count>', 'at most this many (default 100)', integerOption({ min: 1 }))
    .option('--json', 'print JSON')
    .action(async (opts: { saga?: string; state?: SagaStatus; association?: string; correlationId?: string; limit?: number; json?: boolean }, command: Command) =>
      withContext(
        command,
        async (ctx) => {
          const { documents } = await ctx.stores()
          const found = await listSagas(documents, {
            ...(opts.saga !== undefined && { saga: opts.saga }),
            ...(opts.state !== undefined && { status: opts.state }),
            ...(opts.association !== undefined && { association: opts.association }),
            ...(opts.correlationId !== undefined && { correlationId: opts.correlationId }),
            limit: opts.limit ?? 100,
          })
          if (opts.json) return printJson(found)
          printTable(
            found,
            [
              { header: 'ID', value: (s) => s.id },
              { header: 'SAGA', value: (s) => s.saga },
              { header: 'STATE', value: (s) => s.status },
              { header: 'STEP', value: (s) => String(s.step) },
              { header: 'ASSOCIATIONS', value: (s) => s.associations.join(' '), maxWidth: 60 },
              { header: 'UPDATED AT', value: (s) => s.updatedAt ?? '' },
            ],
            'no saga instances',
          )
        },
        { readOnly: true },
      ),
    )

  sagas
    .command('show <id>')
    .description('one saga instance: state, associations, history, unsent commands and pending deadlines')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }, command: Command) =>
      withContext(
        command,
        async (ctx) => {
          const shown = await showSaga(await ctx.stores(), id)
          const pending = shown.deadlines
          if (opts.json) return printJson(shown)
          const lines = [
            `saga:          ${shown.saga}`,
            `id:            ${shown.id}`,
            `state:         ${shown.status} (step ${shown.step})`,
            `associations:  ${shown.associations.join(' ')}`,
            `started at:    ${shown.startedAt ?? ''}`,
            `ended at:      ${shown.endedAt ?? ''}`,
            `data:          ${JSON.stringify(shown.state)}`,
            `compensations: ${shown.compensations.map((c) => c.type).join(', ') || '(none)'}`,
            `unsent:        ${shown.outbox.length}`,
            '',
          ]
          process.stdout.write(lines.join('\n'))
          printTable(
            shown.history,
            [
              { header: 'STEP', value: (h) => String(h.step) },
              { header: 'MESSAGE', value: (h) => h.type },
              { header: 'AT', value: (h) => h.at ?? '' },
              { header: 'SENT', value: (h) => h.sent.join(' '), maxWidth: 80 },
              { header: 'SCHEDULED', value: (h) => h.scheduled.join(' ') },
              { header: 'CANCELLED', value: (h) => h.cancelled.join(' ') },
            ],
            'no history',
          )
          process.stdout.write('\n')
          printTable(
            pending,
            [
              { header: 'DEADLINE', value: (d) => d.name },
              { header: 'DUE AT', value: (d) => d.dueAt ?? '' },
            ],
            'no pending deadlines',
          )
        },
        { readOnly: true },
      ),
    )
}
