import type { Command } from 'commander'
import { ConsumerWorker, documentsInbox, ParkedMessages, type ParkedMessage, type ParkedRetryResult } from '@eventfold/messaging'
import type { DocumentStore } from '@eventfold/projections'
import { impossibleName, quoteShort } from '../args/names'
import type { CliApp } from '../config/app'
import type { EventfoldConnection } from '../config/define-config'
import { UsageError } from '../errors'
import { printJson } from '../output/json'
import { printTable } from '../output/table'
import { escapeControls, quote, writeOut } from '../output/terminal'
import { consumersOf } from './consumers'
import { withContext } from './context'
import { commandGroup } from './group'

const unknownMessage = (id: string, consumer: string | undefined): UsageError =>
  new UsageError(`no parked message with id ${quote(id)}${consumer === undefined ? '' : ` for consumer ${quote(consumer)}`} (see: eventfold parked list)`)

/**
 * The parked message `id`: of `consumer`, or of the only consumer that parked one with that id.
 * @throws {@link UsageError} for an id no consumer parked, or one several consumers parked when none is named
 */
export const requireParked = async (documents: DocumentStore, id: string, consumer: string | undefined): Promise<ParkedMessage> => {
  const impossible = impossibleName(id, 'a message id')
  if (impossible) throw new UsageError(`no parked message with id ${quoteShort(id)}: ${impossible} (see: eventfold parked list)`)
  const found = (await new ParkedMessages(documents).list(consumer === undefined ? {} : { consumer })).filter((p) => p.id === id)
  if (found.length === 0) throw unknownMessage(id, consumer)
  if (found.length > 1) throw new UsageError(`consumers ${found.map((p) => quote(p.consumer)).join(', ')} each parked message ${quote(id)}: name one with --consumer`)
  return found[0]!
}

/**
 * Applies a parked message once with its consumer's current code, through
 * the consumer's inbox (so a message already applied is not applied again);
 * on success it is removed. Returns the message as it was and what the retry wrote.
 * @throws {@link UsageError} for an unknown message or a consumer the config does not register
 * @throws `ParkedRetryFailedError` when the handler fails again (it stays parked, with the new error)
 */
export const retryParkedMessage = async (
  app: CliApp,
  openStores: () => Promise<EventfoldConnection>,
  id: string,
  consumerName: string | undefined,
): Promise<{ message: ParkedMessage; result: ParkedRetryResult }> => {
  // An unknown consumer is refused before any store is opened for writing.
  if (consumerName !== undefined) consumersOf(app, consumerName)
  const stores = await openStores()
  const message = await requireParked(stores.documents, id, consumerName)
  const consumer = app.consumers.get(message.consumer)
  if (!consumer) {
    throw new UsageError(
      `parked message ${quote(id)} belongs to consumer ${quote(message.consumer)}, which the config does not register (known: ${[...app.consumers.keys()].join(', ') || 'none'})`,
    )
  }
  const inbox = stores.inbox ?? documentsInbox(stores.documents)
  // The transport is not used by a retry: the message comes from the consumer's own store.
  const worker = new ConsumerWorker(consumer, noTransport, inbox, { aggregates: [...app.aggregates.values()], registry: app.registry, fetchers: app.fetchers })
  return { message, result: await worker.retryParked(message.id) }
}

/**
 * Removes a parked message without applying it (it stays in the inbox, so it is never applied); returns it as it was.
 * @throws {@link UsageError} for an unknown message
 */
export const discardParkedMessage = async (documents: DocumentStore, id: string, consumer: string | undefined): Promise<ParkedMessage> => {
  const message = await requireParked(documents, id, consumer)
  await new ParkedMessages(documents).discard(message.consumer, message.id)
  return message
}

/** A parked message's identifiers, as `parked retry|discard --json` print them. */
export const parkedSummary = (p: ParkedMessage): Record<string, unknown> => ({ consumer: p.consumer, id: p.id, eventType: p.eventType, topic: p.topic, partition: p.partition, offset: p.offset })

/** A parked message as `parked list --json` prints it: the payload stays out (it may be large or private). */
export const parkedListing = (p: ParkedMessage): Record<string, unknown> => ({ ...parkedSummary(p), key: p.key, attempts: p.attempts, parkedAt: p.parkedAt, error: p.error })

/** `eventfold parked list|retry|discard`. */
export const parkedCommand = (program: Command): void => {
  const parked = commandGroup(program, 'parked', 'integration events consumers could not handle, parked with their error')

  parked
    .command('list')
    .description('the parked messages, oldest first (reads only)')
    .option('--consumer <name>', 'only those of this consumer')
    .option('--json', 'print JSON')
    .action(async (opts: { consumer?: string; json?: boolean }, command: Command) =>
      withContext(command, async (ctx) => {
        const { documents } = await ctx.stores()
        const messages = await new ParkedMessages(documents).list(opts.consumer === undefined ? {} : { consumer: opts.consumer })
        if (opts.json) return printJson(messages.map(parkedListing))
        printTable(
          messages,
          [
            { header: 'ID', value: (p) => p.id },
            { header: 'CONSUMER', value: (p) => p.consumer },
            { header: 'TYPE', value: (p) => p.eventType ?? '-' },
            { header: 'FROM', value: (p) => `${p.topic}[${p.partition}]@${p.offset}` },
            { header: 'ATTEMPTS', value: (p) => String(p.attempts), align: 'right' },
            { header: 'PARKED AT', value: (p) => p.parkedAt },
            { header: 'ERROR', value: (p) => p.error.message, maxWidth: 80 },
          ],
          opts.consumer !== undefined ? `no parked messages for ${quote(opts.consumer)}` : 'no parked messages',
        )
      }, { readOnly: true }),
    )

  parked
    .command('retry')
    .description("apply a parked message once with the consumer's current code; on success it is removed")
    .argument('<id>', 'message id (see: eventfold parked list)')
    .option('--consumer <name>', 'the consumer that parked it, when several did')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { consumer?: string; json?: boolean }, command: Command) =>
      withContext(command, async (ctx) => {
        const { message, result } = await retryParkedMessage(await ctx.app(), () => ctx.stores(), id, opts.consumer)
        if (opts.json) return printJson({ ...parkedSummary(message), retried: true, writes: result.writes })
        writeOut(`applied ${escapeControls(`${message.eventType ?? 'message'} ${message.key}`)} (${message.topic}[${message.partition}]@${message.offset}) with ${quote(message.consumer)}; parked message ${quote(id)} removed\n`)
      }),
    )

  parked
    .command('discard')
    .description('remove a parked message without applying it (it stays in the inbox, so it is never applied)')
    .argument('<id>', 'message id (see: eventfold parked list)')
    .option('--consumer <name>', 'the consumer that parked it, when several did')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { consumer?: string; json?: boolean }, command: Command) =>
      withContext(command, async (ctx) => {
        const message = await discardParkedMessage((await ctx.stores()).documents, id, opts.consumer)
        if (opts.json) return printJson({ ...parkedSummary(message), discarded: true })
        writeOut(`discarded parked message ${quote(id)} of ${quote(message.consumer)}\n`)
      }),
    )
}

const refuse = (): never => {
  throw new Error('a parked message is retried from the store, not the transport')
}
const noTransport = { name: 'none', declare: refuse, publish: refuse, subscribe: refuse, lag: refuse, close: async () => {} }
