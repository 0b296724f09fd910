import type { CommandBus, CommandMiddleware, EventStore, RecordedEvent } from '@eventfold/core'
import { hasCorrelationLookup } from '@eventfold/core/spi'
import { InvalidSagaCommandError } from '../errors'
import type { SagaCommand } from './saga-message'

/**
 * Sends one command of a saga. `command` is the command object (for the
 * local bus); `record` carries its id, type, data, target service and
 * metadata. The receiver dedupes by `record.id`.
 */
export type CommandSender = (command: object, record: SagaCommand) => Promise<void>

/**
 * Sends saga commands on the local command bus, with the saga's metadata
 * (`commandId`, `causationId`, `correlationId`, `sagaId`) on every event they
 * cause. Install {@link dedupeSagaCommands} on that bus so a command sent
 * again after a crash has no second effect.
 */
export const localCommands =
  (bus: CommandBus): CommandSender =>
  async (command, record) => {
    await bus.execute(command, { metadata: record.metadata })
  }

/**
 * Command middleware for the bus that receives saga commands: a command sent
 * again (metadata `sagaResend`, set when a saga sends the commands of a step
 * for a redelivered message) whose `commandId` already caused events in the
 * log does nothing again, and returns what it did the first time. It looks among the events of the
 * command's correlation id (indexed by the SQLite and PostgreSQL stores,
 * looked up through `$by_correlation_id` on EventStoreDB; the others are scanned).
 * @example
 * ```ts
 * const app = createEventfold({ eventStore, aggregates, middleware: [dedupeSagaCommands(eventStore)] })
 * ```
 */
export const dedupeSagaCommands =
  (eventStore: EventStore): CommandMiddleware =>
  async (ctx, next) => {
    const commandId = ctx.metadata.commandId
    const correlationId = ctx.metadata.correlationId
    // A command sent for the first time cannot have taken effect: only one sent again after a crash is looked up.
    if (ctx.metadata.sagaResend !== 'true' || typeof commandId !== 'string' || typeof correlationId !== 'string') return next()
    const earlier = await eventsOfCommand(eventStore, correlationId, commandId)
    const last = earlier.at(-1)
    if (last === undefined) return next()
    return { streamId: last.streamId, aggregateId: '', nextRevision: last.revision, position: last.position, events: [] }
  }

const eventsOfCommand = async (eventStore: EventStore, correlationId: string, commandId: string): Promise<RecordedEvent[]> => {
  const read = (hasCorrelationLookup(eventStore) ? await eventStore.readCorrelated(correlationId) : undefined) ?? eventStore.readAll()
  const found: RecordedEvent[] = []
  for await (const event of read) {
    if (event.metadata.commandId === commandId && event.metadata.correlationId === correlationId) found.push(event)
  }
  return found
}

const COMMAND_INFO = Symbol.for('eventfold.command')

/** The type of a `@Command` instance or of a plain `{ type }` command, as the command bus reads it. */
export const commandTypeOf = (command: object): string => {
  const ctor = command.constructor as unknown as Record<symbol, { type: string } | undefined> | undefined
  const info = ctor !== undefined && ctor !== (Object as unknown) ? ctor[COMMAND_INFO] : undefined
  if (info !== undefined) return info.type
  const type = (command as { type?: unknown }).type
  if (typeof type === 'string' && type.length > 0) return type
  throw new InvalidSagaCommandError((ctor as unknown as { name?: string } | undefined)?.name ?? 'Object')
}
