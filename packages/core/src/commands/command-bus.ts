import type { EventData, RecordedEvent } from '../events/event'
import { prepareEvents, type PreparedEvent } from '../events/normalize'
import type { AggregateDefinition } from '../aggregates/aggregate-definition'
import { AggregateRepository } from '../aggregates/repository'
import type { EventBus } from '../events/event-bus'
import type { ExpectedRevision } from '../events/expected-revision'
import {
  AggregateNotFoundError,
  StreamAlreadyExistsError,
  UnknownCommandError,
  ValidationError,
} from '../errors/errors'
import { EventfoldError } from '../errors/eventfold-error'
import { commandTypeOf } from './command'
import { correlation, newCommandId, type CommandContext, type CommandMiddleware } from './middleware'
import { traceCommand, UNKNOWN_COMMAND_TYPE } from '../telemetry/core-telemetry'

/** What executing a command did. */
export interface CommandResult {
  readonly streamId: string
  readonly aggregateId: string
  /** Revision of the stream's last event after the command (`undefined`: the stream still does not exist). */
  readonly nextRevision: bigint | undefined
  /** Global position of the last event appended; `undefined` when the command decided nothing. */
  readonly position: bigint | undefined
  /** The events appended, with their complete metadata (event ids, correlation). */
  readonly events: readonly PreparedEvent[]
}

/** Options of {@link CommandBus.execute}. */
export interface ExecuteOptions {
  /** Metadata for every event the command causes, e.g. `{ userId }` or `causedBy(event)`. */
  readonly metadata?: Readonly<Record<string, unknown>>
  /**
   * Require the aggregate to be at this revision (for clients that read a
   * version and want to act on exactly that). @default the revision just loaded
   */
  readonly expectedRevision?: ExpectedRevision
}

/** The bus's dependencies. */
export interface CommandBusOptions {
  readonly repository: AggregateRepository
  /** Published to after each successful append. @default none */
  readonly eventBus?: EventBus
  /** Runs around every command, outermost first, after correlation. @default [] */
  readonly middleware?: readonly CommandMiddleware[]
}

interface Route {
  readonly definition: AggregateDefinition
  readonly creates: boolean
  aggregateId(command: object): string | undefined
}

/**
 * Routes each command to its aggregate: load (snapshot + tail), decide,
 * append the new events with the loaded revision as expected revision.
 */
export class CommandBus {
  private readonly routes = new Map<string, Route>()
  private readonly repository: AggregateRepository
  private readonly eventBus: EventBus | undefined
  private readonly middleware: readonly CommandMiddleware[]

  constructor({ repository, eventBus, middleware = [] }: CommandBusOptions) {
    this.repository = repository
    this.eventBus = eventBus
    this.middleware = [correlation(), ...middleware]
  }

  /**
   * Registers an aggregate's command handlers.
   * @throws {@link ValidationError} when a command type is already routed elsewhere.
   */
  register(definition: AggregateDefinition): this {
    for (const [type, route] of definition.commands) {
      const existing = this.routes.get(type)
      if (existing && existing.definition.category !== definition.category) {
        throw new ValidationError(
          `Command '${type}' is handled by both '${existing.definition.category}' and '${definition.category}'`,
        )
      }
      this.routes.set(type, { definition, creates: route.creates, aggregateId: (c) => route.aggregateId(c) })
    }
    return this
  }

  /** Command types this bus routes. */
  get commandTypes(): readonly string[] {
    return [...this.routes.keys()]
  }

  /**
   * Executes one command.
   * @throws {@link UnknownCommandError} when no aggregate handles the command.
   * @throws {@link ValidationError} when the command names no aggregate id or fails validation.
   * @throws {@link AggregateNotFoundError} / {@link StreamAlreadyExistsError}
   * @throws {@link ConcurrencyError} when another writer won (see `retryOnConcurrency`).
   * @throws {@link DomainError} whatever the aggregate rejects.
   */
  async execute(command: object, { metadata = {}, expectedRevision }: ExecuteOptions = {}): Promise<CommandResult> {
    const commandType = commandTypeOf(command)
    const ctx: CommandContext = { command, commandType, commandId: newCommandId(), metadata: { ...metadata }, attempt: 1 }
    const route = this.routes.get(commandType)
    // An unknown type is whatever a request said: it must not name a span or a metric series.
    return traceCommand(route ? commandType : UNKNOWN_COMMAND_TYPE, ctx.metadata, () => {
      if (!route) throw new UnknownCommandError(commandType, this.commandTypes)
      const dispatch = (i: number): Promise<CommandResult> =>
        i < this.middleware.length
          ? this.middleware[i]!(ctx, () => dispatch(i + 1))
          : this.handle(route, ctx, expectedRevision)
      return dispatch(0)
    })
  }

  private async handle(route: Route, ctx: CommandContext, expectedRevision: ExpectedRevision | undefined): Promise<CommandResult> {
    const { definition } = route
    const aggregateId = route.aggregateId(ctx.command)
    if (aggregateId === undefined || aggregateId === '') {
      throw new ValidationError(`Command '${ctx.commandType}' names no aggregate id`, [{ path: 'aggregateId', message: 'required' }], ctx.commandType)
    }
    // Commands come from request bodies: an object would become the stream 'Category-[object Object]', shared by every such request.
    if (typeof aggregateId !== 'string') {
      throw new ValidationError(`Command '${ctx.commandType}' needs a string aggregate id`, [{ path: 'aggregateId', message: `got ${typeof aggregateId}` }], ctx.commandType)
    }
    const loaded = await this.repository.load(definition, aggregateId)
    if (route.creates && loaded.revision !== undefined) throw new StreamAlreadyExistsError(loaded.streamId, loaded.revision)
    if (!route.creates && loaded.revision === undefined) throw new AggregateNotFoundError(loaded.streamId, ctx.commandType)
    const registry = this.repository.registry
    const decided = await definition.decide(
      ctx.command,
      loaded.state,
      { aggregateId, streamId: loaded.streamId, metadata: ctx.metadata },
      registry,
    )
    if (decided.length === 0) {
      return { streamId: loaded.streamId, aggregateId, nextRevision: loaded.revision, position: undefined, events: [] }
    }
    const events = prepareEvents(
      loaded.streamId,
      decided.map((e) => ({ ...e, metadata: { ...ctx.metadata, ...e.metadata } })),
    )
    const stateAfter = definition.evolvesOnDecide ? loaded.state : this.fold(definition, loaded.state, events)
    const result = await this.repository.save(definition, loaded, events, {
      expectedRevision: expectedRevision ?? loaded.revision ?? 'no_stream',
      stateAfter,
    })
    const commandResult: CommandResult = {
      streamId: loaded.streamId,
      aggregateId,
      nextRevision: result.nextRevision,
      position: result.position,
      events,
    }
    if (this.eventBus?.hasHandlers) {
      try {
        // Handlers get events as recorded (with positions), so read them back.
        await this.eventBus.publish(await this.readBack(loaded.streamId, result.nextRevision, events.length))
      } catch (error) {
        // The events are committed; say so, so the caller does not retry the command.
        if (error instanceof EventfoldError) Object.assign(error, { committed: commandResult })
        throw error
      }
    }
    return commandResult
  }

  private fold(definition: AggregateDefinition, state: unknown, events: readonly EventData[]): unknown {
    let s = state
    for (const e of events) {
      s = definition.evolve(s, { ...e, streamId: '', revision: -1n, position: -1n } as RecordedEvent, this.repository.registry)
    }
    return s
  }

  private async readBack(streamId: string, lastRevision: bigint, count: number): Promise<RecordedEvent[]> {
    const out: RecordedEvent[] = []
    const from = lastRevision - BigInt(count) + 1n
    for await (const e of this.repository.eventStore.readStream(streamId, { fromRevision: from, maxCount: count })) out.push(e)
    return out
  }
}
