import { aggregateIdOfStream, AggregateRepository, type AggregateDefinition, type EventStore, type RecordedEvent } from '@eventfold/core'
import { streamPrefixOf } from '@eventfold/core/spi'
import { replayAggregate } from '@eventfold/projections'
import type { Command } from 'commander'
import { bigintOption } from '../args/integers'
import { isoTimeOption } from '../args/time'
import type { CliApp } from '../config/app'
import { UsageError } from '../errors'
import { eventJson, printEventTable } from '../output/events'
import { printJson, toJson } from '../output/json'
import { withContext } from './context'
import { requireStream } from './streams'
import { escapeControls, quote, writeOut } from '../output/terminal'

interface ReplayOptions {
  readonly toRevision?: bigint
  readonly until?: Date
  readonly json?: boolean
}

/** What `eventfold replay` found, as printed with `--json`. */
export interface ReplayReport {
  readonly streamId: string
  /** Category of the aggregate that folded the events; `null` when the config has none for this stream. */
  readonly aggregate: string | null
  /** Revision of the last event folded in; `null` when no event is at or before `--until`. */
  readonly revision: bigint | null
  readonly lastRevision: bigint
  /** The aggregate's state; absent without an aggregate. */
  readonly state?: unknown
  readonly events: readonly RecordedEvent[]
  readonly note?: string
}

/**
 * The aggregate whose streams include `streamId`, and the id it names: the
 * aggregate with the longest stream prefix that `streamId` starts with.
 */
const ownerOf = (
  aggregates: Iterable<AggregateDefinition>,
  streamId: string,
): { aggregate: AggregateDefinition; id: string } | undefined => {
  let owner: { aggregate: AggregateDefinition; id: string } | undefined
  for (const aggregate of aggregates) {
    const id = aggregateIdOfStream(aggregate, streamId)
    if (id !== undefined && (!owner || streamPrefixOf(aggregate).length > streamPrefixOf(owner.aggregate).length)) owner = { aggregate, id }
  }
  return owner
}

/**
 * The aggregate of `streamId` at a revision (inclusive) or a time, through
 * the same repository and replay as everywhere else, or the events only
 * when no aggregate of the app owns the stream.
 * @throws {@link UsageError} for an unknown stream or a revision past its end.
 */
export const replayStream = async (
  app: CliApp,
  eventStore: EventStore,
  streamId: string,
  { toRevision, until }: { toRevision?: bigint; until?: Date } = {},
): Promise<ReplayReport> => {
  const lastRevision = await requireStream(eventStore, streamId)
  if (toRevision !== undefined && toRevision > lastRevision) {
    throw new UsageError(`stream ${quote(streamId)} ends at revision ${lastRevision}; --to-revision ${toRevision} is past its end`)
  }
  const owner = ownerOf(app.aggregates.values(), streamId)
  if (owner) {
    const { aggregate, id } = owner
    const repository = new AggregateRepository(eventStore, { registry: app.registry })
    const replay = await replayAggregate(repository, aggregate, id, {
      ...(toRevision !== undefined ? { toRevision } : {}),
      ...(until !== undefined ? { until } : {}),
    })
    return { streamId, aggregate: aggregate.category, revision: replay.revision ?? null, lastRevision, state: replay.state, events: replay.events }
  }
  const events: RecordedEvent[] = []
  for await (const raw of eventStore.readStream(streamId)) {
    if (toRevision !== undefined && raw.revision > toRevision) break
    if (until !== undefined && Date.parse(raw.metadata.occurredAt) > until.getTime()) break
    events.push(app.registry.upcast(raw))
  }
  return {
    streamId,
    aggregate: null,
    revision: events.at(-1)?.revision ?? null,
    lastRevision,
    events,
    note: `no aggregate in the config has the stream ${quote(streamId)}: showing the events only`,
  }
}

/** `eventfold replay <stream>`. */
export const replayCommand = (program: Command): void => {
  program
    .command('replay')
    .description("an aggregate's state at a revision or a time, with the events that built it")
    .argument('<stream>', "stream id, e.g. 'Account-42'")
    .option('--to-revision <revision>', 'stop after this revision (inclusive)', bigintOption)
    .option('--until <time>', 'stop before the first event that occurred after this ISO-8601 time', isoTimeOption)
    .option('--json', 'print JSON')
    .addHelpText('after', '\nWithout --to-revision or --until the whole stream is replayed.')
    .action(async (streamId: string, opts: ReplayOptions, command: Command) =>
      withContext(command, async (ctx) => {
        if (opts.toRevision !== undefined && opts.until !== undefined) {
          throw new UsageError('give --to-revision or --until, not both')
        }
        const { eventStore } = await ctx.stores()
        const report = await replayStream(await ctx.app(), eventStore, streamId, opts)
        if (opts.json) return printJson({ ...report, events: report.events.map(eventJson) })
        printReport(report, opts)
      }, { readOnly: true }),
    )
}

const printReport = (r: ReplayReport, opts: ReplayOptions): void => {
  const out = (s: string): void => writeOut(s + '\n')
  const at = r.revision === null ? 'before its first event' : `at revision ${r.revision} of ${r.lastRevision}`
  out(`${escapeControls(r.streamId)} ${at}` + (opts.until ? ` (until ${opts.until.toISOString()})` : ''))
  if (r.note) out(`note: ${r.note}`)
  if (r.aggregate !== null) {
    out(`\nstate of ${r.aggregate}${r.revision === null ? ' (initial)' : ''}:`)
    out(indent(toJson(r.state, 2) ?? String(r.state)))
  }
  out(`\nevents (${r.events.length}):`)
  printEventTable(r.events, '(none)')
}

const indent = (text: string): string =>
  text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')
