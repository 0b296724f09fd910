import type { EventStore } from '@eventfold/core'
import type { Command } from 'commander'
import { bigintOption, integerOption } from '../args/integers'
import { impossibleName, quoteShort } from '../args/names'
import { UsageError } from '../errors'
import { streamEvents } from '../output/events'
import { printJson } from '../output/json'
import { printTable } from '../output/table'
import { withContext } from './context'
import { commandGroup } from './group'
import { quote, writeOut } from '../output/terminal'

/** One row of `eventfold streams list`. */
export interface StreamSummary {
  readonly streamId: string
  readonly lastRevision: bigint
  readonly lastPosition: bigint
  readonly events: number
}

/**
 * Every stream (or those whose id starts with `prefix`) with its last
 * revision and event count, sorted by id. One pass over the log keeping a
 * counter per stream: memory grows with the number of streams, not events.
 */
export const listStreams = async (eventStore: EventStore, { prefix }: { prefix?: string } = {}): Promise<StreamSummary[]> => {
  const counters = new Map<string, { lastRevision: bigint; lastPosition: bigint; events: number }>()
  for await (const e of eventStore.readAll(prefix !== undefined ? { filter: { streamPrefixes: [prefix] } } : {})) {
    const c = counters.get(e.streamId)
    if (c) {
      c.events++
      c.lastRevision = e.revision
      c.lastPosition = e.position
    } else {
      counters.set(e.streamId, { lastRevision: e.revision, lastPosition: e.position, events: 1 })
    }
  }
  return [...counters].map(([streamId, c]) => ({ streamId, ...c })).sort((a, b) => (a.streamId < b.streamId ? -1 : a.streamId > b.streamId ? 1 : 0))
}

/** Fails with a usage error when the stream has no events. */
export const requireStream = async (eventStore: { streamRevision(id: string): Promise<bigint | undefined> }, streamId: string): Promise<bigint> => {
  const impossible = impossibleName(streamId, 'a stream id')
  if (impossible) throw new UsageError(`stream ${quoteShort(streamId)} does not exist: ${impossible} (see: eventfold streams list)`)
  const last = await eventStore.streamRevision(streamId)
  if (last === undefined) throw new UsageError(`stream ${quote(streamId)} does not exist (see: eventfold streams list)`)
  return last
}

/** What an event store offers when it can delete and truncate streams (EventStoreDB does). */
interface StreamMaintenance {
  deleteStream(streamId: string, options: { hard?: boolean }): Promise<unknown>
  setRetention(streamId: string, retention: { truncateBefore?: bigint | null }): Promise<unknown>
}

const maintenanceOf = (eventStore: object, what: string): StreamMaintenance => {
  const s = eventStore as Partial<StreamMaintenance>
  if (typeof s.deleteStream !== 'function' || typeof s.setRetention !== 'function') {
    // Append-only stores keep every event by design; nothing was changed.
    throw new UsageError(`the event store of this config (${eventStore.constructor.name}) cannot ${what}: it keeps every event (EventStoreDB can)`)
  }
  return s as StreamMaintenance
}

/** `eventfold streams list|read|delete|truncate`. */
export const streamsCommand = (program: Command): void => {
  const streams = commandGroup(program, 'streams', 'list and read the streams of the event log')

  streams
    .command('list')
    .description('every stream with its last revision and event count, read from the log')
    .option('--category <category>', "only streams of this category (ids '<category>-…')")
    .option('--json', 'print JSON')
    .action(async (opts: { category?: string; json?: boolean }, command: Command) =>
      withContext(command, async (ctx) => {
        const { eventStore } = await ctx.stores()
        const rows = await listStreams(eventStore, opts.category !== undefined ? { prefix: `${opts.category}-` } : {})
        if (opts.json) return printJson(rows)
        printTable(
          rows,
          [
            { header: 'STREAM', value: (r) => r.streamId },
            { header: 'LAST REVISION', value: (r) => r.lastRevision.toString(), align: 'right' },
            { header: 'EVENTS', value: (r) => String(r.events), align: 'right' },
          ],
          opts.category !== undefined ? `no streams in category ${quote(opts.category)}` : 'the log is empty',
        )
      }, { readOnly: true }),
    )

  streams
    .command('read')
    .description('the events of one stream, in order')
    .argument('<stream>', "stream id, e.g. 'Account-42'")
    .option('--from <revision>', 'first revision to show', bigintOption)
    .option('--limit <count>', 'at most this many events', integerOption({ min: 1 }))
    .option('--json', 'print JSON')
    .action(async (streamId: string, opts: { from?: bigint; limit?: number; json?: boolean }, command: Command) =>
      withContext(command, async (ctx) => {
        const { eventStore } = await ctx.stores()
        const last = await requireStream(eventStore, streamId)
        const printed = await streamEvents(
          eventStore.readStream(streamId, {
            ...(opts.from !== undefined ? { fromRevision: opts.from } : {}),
            ...(opts.limit !== undefined ? { maxCount: opts.limit } : {}),
          }),
          { json: opts.json === true },
        )
        if (printed === 0 && !opts.json) {
          writeOut(`no events in ${quote(streamId)} from revision ${opts.from ?? 0n} (it ends at revision ${last})\n`)
        }
      }, { readOnly: true }),
    )

  streams
    .command('delete')
    .description('delete a stream: soft (its id can be written again) or, with --hard, a tombstone (never again)')
    .argument('<stream>', "stream id, e.g. 'Account-42'")
    .option('--hard', 'tombstone the stream: it can never be written or read again')
    .option('--json', 'print JSON')
    .action(async (streamId: string, opts: { hard?: boolean; json?: boolean }, command: Command) =>
      withContext(command, async (ctx) => {
        const { eventStore } = await ctx.stores()
        const maintenance = maintenanceOf(eventStore, 'delete streams')
        const last = await requireStream(eventStore, streamId)
        await maintenance.deleteStream(streamId, { hard: opts.hard === true })
        const result = { streamId, deleted: opts.hard ? 'hard' : 'soft', lastRevision: last.toString() }
        if (opts.json) return printJson(result)
        writeOut(`${opts.hard ? 'tombstoned' : 'deleted'} ${quote(streamId)} (it ended at revision ${last})\n`)
      }),
    )

  streams
    .command('truncate')
    .description('drop the events of a stream before a revision (its later events and revisions stay)')
    .argument('<stream>', "stream id, e.g. 'Account-42'")
    .requiredOption('--before <revision>', 'first revision to keep', bigintOption)
    .option('--json', 'print JSON')
    .action(async (streamId: string, opts: { before: bigint; json?: boolean }, command: Command) =>
      withContext(command, async (ctx) => {
        const { eventStore } = await ctx.stores()
        const maintenance = maintenanceOf(eventStore, 'truncate streams')
        const last = await requireStream(eventStore, streamId)
        if (opts.before > last + 1n) {
          throw new UsageError(`stream ${quote(streamId)} ends at revision ${last}; --before ${opts.before} is past its end`)
        }
        await maintenance.setRetention(streamId, { truncateBefore: opts.before })
        if (opts.json) return printJson({ streamId, truncateBefore: opts.before.toString() })
        writeOut(`${quote(streamId)} now starts at revision ${opts.before}\n`)
      }),
    )
}
