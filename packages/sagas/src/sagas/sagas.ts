import { createHash } from 'node:crypto'
import type { RecordedEvent } from '@eventfold/core'
import { isDocumentConflictError, isDuplicateDocumentError, type DocumentStore, type Filter } from '@eventfold/projections'
import { systemClock, type Clock } from '../clock/clock'
import type { Deadlines } from '../deadlines/deadlines'
import type { DeadlineDelivery, DeadlineHandler } from '../deadlines/deadline-worker'
import { NoCommandRouteError, SagaConcurrencyError, SagaNotFoundError } from '../errors'
import { commandTypeOf, type CommandSender } from './command-senders'
import { sagaFromClass, type SagaDefinition } from './saga-definition'
import { associationOf, sagaDeadlineScope, sagaIdOfScope, type OutboxEntry, type SagaHistoryEntry, type SagaInstance, type SagaStatus } from './saga-instance'
import { deadlineMessageType, EffectCollector, type SagaCommand, type SagaMessage } from './saga-message'

/** Command classes by type, learnt from the commands sagas send, to rebuild a command of a stored outbox. */
const commandPrototypes = new Map<string, object>()

/** Messages remembered per instance to recognise a redelivery. */
const HANDLED_KEPT = 256

/** Options of {@link Sagas}. */
export interface SagasOptions {
  /** Where instances are stored (any document store: SQLite, PostgreSQL, MongoDB, in memory). */
  readonly documents: DocumentStore
  /** `@Saga` classes and {@link defineProcessManager} definitions. */
  readonly sagas: readonly (SagaDefinition<unknown> | (new () => object))[]
  /** Sends commands with no `to`. @default none: such a command fails with {@link NoCommandRouteError} */
  readonly local?: CommandSender
  /** Sends commands `to` another service (see `transportCommands`). @default none */
  readonly integration?: CommandSender
  /** Where `schedule` and `cancel` go. @default none: a saga that schedules fails */
  readonly deadlines?: Deadlines
  /** @default the system clock */
  readonly clock?: Clock
  /** The collection instances are stored in. @default 'eventfold_sagas' */
  readonly collection?: string
  /** Tries of one message against writers of the same instance before {@link SagaConcurrencyError}. @default 20 */
  readonly maxConflicts?: number
  /** Command classes to rebuild commands of an outbox left by a crash; those sent in this process are known anyway. @default [] */
  readonly commands?: readonly (abstract new (...args: never[]) => object)[]
}

/** What handling one message did to one instance. */
export interface SagaOutcome {
  readonly saga: string
  readonly sagaId: string
  /** `handled`; `duplicate` for a message the instance had handled; `ended` for one that came after the end. */
  readonly result: 'handled' | 'duplicate' | 'ended'
  /** Tries lost to another writer of the instance before this one won. */
  readonly conflicts: number
  readonly commands: readonly SagaCommand[]
}

/** Options of {@link Sagas.list}. */
export interface ListSagasOptions {
  readonly saga?: string
  readonly status?: SagaStatus
  /** @default 100 */
  readonly limit?: number
}

type Definition = SagaDefinition<unknown>

/**
 * Runs sagas: finds the instances a message is for by association, handles
 * it on each (one message at a time per instance, stored with the revision
 * it read, redone when another writer won), then sends what the step asked
 * for. Feed it from a `SagaWorker` (the log), a consumer (integration events)
 * and a deadline worker (`deadlineHandlers()`).
 * @example
 * ```ts
 * const sagas = new Sagas({ documents, sagas: [OrderSaga], local: localCommands(app.commandBus), deadlines })
 * await sagas.handle(message)
 * ```
 */
export class Sagas {
  /** The sagas this runtime runs, compiled. */
  readonly definitions: readonly SagaDefinition<unknown>[]
  readonly collection: string
  private readonly documents: DocumentStore
  private readonly clock: Clock
  private readonly maxConflicts: number
  private readonly queues = new Map<string, Promise<unknown>>()

  constructor(private readonly options: SagasOptions) {
    this.documents = options.documents
    this.clock = options.clock ?? systemClock
    this.collection = options.collection ?? 'eventfold_sagas'
    this.maxConflicts = options.maxConflicts ?? 20
    this.definitions = options.sagas.map((s) => (typeof s === 'function' ? sagaFromClass(s as new () => object) : s) as Definition)
    for (const cls of options.commands ?? []) commandPrototypes.set(commandTypeOf(cls.prototype as object), cls.prototype as object)
  }

  /** The event types some saga handles: what a worker following the log reads. */
  get eventTypes(): readonly string[] {
    return [...new Set(this.definitions.flatMap((d) => [...d.routes.keys()]))]
  }

  /** Handles a recorded event of the log (or one a consumer turned into a message). */
  handleEvent(event: RecordedEvent): Promise<readonly SagaOutcome[]> {
    return this.handle({ id: event.metadata.eventId, type: event.type, data: event.data, metadata: event.metadata })
  }

  /**
   * Handles one message on every instance it is associated with, and starts
   * an instance of each saga it starts when none is.
   * @throws {@link SagaConcurrencyError} when an instance kept changing under it.
   * @throws whatever a handler or a command sender throws (the step is then not stored, and is redone on redelivery).
   */
  async handle(message: SagaMessage): Promise<readonly SagaOutcome[]> {
    const outcomes: SagaOutcome[] = []
    for (const definition of this.definitions) {
      const route = definition.routes.get(message.type)
      if (route === undefined) continue
      const value = route.valueOf(message.data)
      if (value === undefined) continue
      const association = associationOf(route.key, value)
      // An ended instance is found by a redelivery of a message it handled, whose commands a crash may have left unsent.
      const filter = { saga: definition.name, associations: association, $or: [{ status: 'active' }, { handled: message.id }] }
      const found = (await this.documents.find(this.collection, filter)) as SagaInstance[]
      const ids = found.map((d) => d._id)
      // A start with no instance yet creates one whose id is its message's, so a redelivered start finds it.
      if (ids.length === 0 && route.starts) ids.push(instanceIdOf(definition.name, message.id))
      for (const id of ids) outcomes.push(await this.serialised(id, () => this.step(definition, id, message, association)))
    }
    return outcomes
  }

  /**
   * Deadline handlers for a `DeadlineWorker`, one per deadline name some saga
   * handles: each delivers the deadline to the instance that scheduled it.
   */
  deadlineHandlers(): Record<string, DeadlineHandler> {
    const handlers: Record<string, DeadlineHandler> = {}
    for (const name of new Set(this.definitions.flatMap((d) => d.deadlines))) {
      handlers[name] = async (delivery) => {
        await this.deliverDeadline(delivery)
      }
    }
    return handlers
  }

  /** Delivers a deadline to the instance of its scope; nothing when no saga of this runtime owns the scope. */
  async deliverDeadline(delivery: DeadlineDelivery): Promise<SagaOutcome | undefined> {
    for (const definition of this.definitions) {
      const id = sagaIdOfScope(definition.name, delivery.scope)
      if (id === undefined) continue
      const message: SagaMessage = {
        id: delivery.id,
        type: deadlineMessageType(delivery.name),
        data: delivery.payload,
        metadata: { eventId: delivery.id, deadlineId: delivery.id, dueAt: delivery.dueAt },
      }
      return this.serialised(id, () => this.step(definition, id, message, undefined))
    }
    return undefined
  }

  /**
   * One instance with its history.
   * @throws {@link SagaNotFoundError} when there is none with this id.
   */
  async get(sagaId: string): Promise<SagaInstance> {
    const doc = (await this.documents.get(this.collection, sagaId)) as SagaInstance | undefined
    if (doc === undefined) throw new SagaNotFoundError(sagaId)
    return doc
  }

  /** Instances, most recently updated first. */
  async list({ saga, status, limit = 100 }: ListSagasOptions = {}): Promise<SagaInstance[]> {
    const filter: Filter = { ...(saga !== undefined && { saga }), ...(status !== undefined && { status }) }
    return (await this.documents.find(this.collection, filter, { sort: { updatedAt: -1 }, limit })) as SagaInstance[]
  }

  /** Runs `work` after the work already queued for instance `id` in this process: one message at a time per instance. */
  private serialised<T>(id: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(id) ?? Promise.resolve()
    const next = previous.then(work, work)
    const tail = next.catch(() => undefined)
    this.queues.set(id, tail)
    void tail.then(() => {
      if (this.queues.get(id) === tail) this.queues.delete(id)
    })
    return next
  }

  private async step(definition: Definition, sagaId: string, message: SagaMessage, association: string | undefined): Promise<SagaOutcome> {
    for (let conflicts = 0; ; conflicts++) {
      if (conflicts >= this.maxConflicts) throw new SagaConcurrencyError(definition.name, sagaId, message.id, conflicts)
      const stored = (await this.documents.getMany(this.collection, [sagaId])).get(sagaId)
      const current = stored?.doc as SagaInstance | undefined
      const revision = stored?.meta.revision ?? 0
      if (current !== undefined && current.handled.includes(message.id)) {
        await this.flush(definition, sagaId, current.outbox)
        return { saga: definition.name, sagaId, result: 'duplicate', conflicts, commands: [] }
      }
      if (current !== undefined && current.status === 'ended') {
        return { saga: definition.name, sagaId, result: 'ended', conflicts, commands: [] }
      }
      // A deadline for an instance that is gone (never stored) has nothing to act on.
      if (current === undefined && association === undefined) return { saga: definition.name, sagaId, result: 'ended', conflicts, commands: [] }
      const now = this.clock.now()
      const base: SagaInstance = current ?? {
        _id: sagaId,
        saga: definition.name,
        status: 'active',
        state: definition.initialState(),
        associations: association === undefined ? [] : [association],
        step: 0,
        handled: [],
        history: [],
        compensations: [],
        outbox: [],
        startedAt: now,
        updatedAt: now,
        endedAt: null,
      }
      const next = await this.decide(definition, base, message, now)
      try {
        await this.documents.commit({
          writes: [{ kind: 'put', collection: this.collection, doc: next, meta: { revision: revision + 1, positions: {} }, expectedRevision: revision }],
        })
      } catch (error) {
        if (isDocumentConflictError(error) || isDuplicateDocumentError(error)) continue
        throw error
      }
      // Only this step's own entries: another writer's are sent by that writer (or by a redelivery after its crash).
      const added = next.outbox.slice(base.outbox.length)
      const commands = added.flatMap((e) => (e.kind === 'command' ? [e.command] : []))
      await this.flush(definition, sagaId, added)
      return { saga: definition.name, sagaId, result: 'handled', conflicts, commands }
    }
  }

  /** Runs the handler on the stored state and turns what it asked for into the next document, outbox included. */
  private async decide(definition: Definition, base: SagaInstance, message: SagaMessage, now: number): Promise<SagaInstance> {
    const ctx = new EffectCollector(base._id, message)
    const state = await definition.handle(structuredClone(base.state), message, ctx)
    const step = base.step + 1
    const associations = [...base.associations]
    let compensations = [...base.compensations]
    const outbox: OutboxEntry[] = [...base.outbox]
    let ended = false
    let sent = 0
    const metadata = (commandId: string): Record<string, string> => ({
      commandId,
      sagaId: base._id,
      sagaName: definition.name,
      causationId: message.id,
      correlationId: typeof message.metadata.correlationId === 'string' ? message.metadata.correlationId : message.id,
    })
    const record = (command: object, to: string | undefined, id: string): SagaCommand => {
      const type = commandTypeOf(command)
      if (!commandPrototypes.has(type) && Object.getPrototypeOf(command) !== Object.prototype) commandPrototypes.set(type, Object.getPrototypeOf(command) as object)
      return { id, type, data: { ...(command as Record<string, unknown>) }, ...(to !== undefined && { to }), metadata: metadata(id) }
    }
    for (const effect of ctx.effects) {
      switch (effect.kind) {
        case 'send':
          outbox.push(commandEntry(record(effect.command, effect.to, `${base._id}:${step}:${sent++}`)))
          break
        case 'compensateWith':
          compensations.push(record(effect.command, effect.to, `${base._id}:${step}:c${compensations.length}`))
          break
        case 'compensate':
          // Most recent step first; each keeps the id it was recorded with, so it has one effect however often it is sent.
          for (const c of [...compensations].reverse()) outbox.push(commandEntry({ ...c, metadata: metadata(c.id) }))
          compensations = []
          break
        case 'associate': {
          const a = associationOf(effect.key, effect.value)
          if (!associations.includes(a)) associations.push(a)
          break
        }
        case 'schedule': {
          const { when } = effect
          const dueAt = 'after' in when ? now + when.after : typeof when.at === 'number' ? when.at : when.at.getTime()
          outbox.push({ kind: 'schedule', id: `${base._id}:${step}:s${outbox.length}`, name: effect.name, dueAt, payload: effect.payload })
          break
        }
        case 'cancel':
          outbox.push({ kind: 'cancel', id: `${base._id}:${step}:x${outbox.length}`, name: effect.name })
          break
        case 'end':
          ended = true
          break
      }
    }
    if (ended) {
      // An instance that ended has no use for its deadlines left pending.
      const scheduled = new Set([...base.history.flatMap((h) => h.scheduled), ...outbox.flatMap((e) => (e.kind === 'schedule' ? [e.name] : []))])
      // The deadline being delivered is settled by its worker, not cancelled under it.
      scheduled.delete(message.type.startsWith('deadline:') ? message.type.slice('deadline:'.length) : '')
      for (const name of scheduled) outbox.push({ kind: 'cancel', id: `${base._id}:${step}:x${outbox.length}`, name })
    }
    const added = outbox.slice(base.outbox.length)
    const entry: SagaHistoryEntry = {
      step,
      messageId: message.id,
      type: message.type,
      at: now,
      sent: added.flatMap((e) => (e.kind === 'command' ? [e.command.id] : [])),
      scheduled: added.flatMap((e) => (e.kind === 'schedule' ? [e.name] : [])),
      cancelled: added.flatMap((e) => (e.kind === 'cancel' ? [e.name] : [])),
    }
    return {
      ...base,
      state,
      status: ended ? 'ended' : 'active',
      associations,
      step,
      handled: [...base.handled, message.id].slice(-HANDLED_KEPT),
      history: [...base.history, entry],
      compensations,
      outbox,
      updatedAt: now,
      endedAt: ended ? now : null,
    }
  }

  /** Sends what a stored step asked for, then takes it off the outbox; a crash in between sends it again, with the same ids. */
  private async flush(definition: Definition, sagaId: string, entries: readonly OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return
    const scope = this.options.deadlines?.scope(sagaDeadlineScope(definition.name, sagaId))
    for (const entry of entries) {
      if (entry.kind === 'command') {
        const { command } = entry
        const sender = command.to === undefined ? this.options.local : this.options.integration
        if (sender === undefined) throw new NoCommandRouteError(definition.name, sagaId, command.type, command.to)
        await sender(this.commandObject(command), command)
      } else if (scope === undefined) {
        throw new NoCommandRouteError(definition.name, sagaId, `deadline '${entry.name}'`, 'deadlines')
      } else if (entry.kind === 'schedule') {
        await scope.schedule(entry.name, { at: entry.dueAt }, entry.payload)
      } else {
        await scope.cancel(entry.name)
      }
    }
    const done = new Set(entries.map((e) => e.id))
    for (let conflicts = 0; conflicts < this.maxConflicts; conflicts++) {
      const stored = (await this.documents.getMany(this.collection, [sagaId])).get(sagaId)
      if (stored === undefined) return
      const instance = stored.doc as SagaInstance
      if (!instance.outbox.some((e) => done.has(e.id))) return
      const doc: SagaInstance = { ...instance, outbox: instance.outbox.filter((e) => !done.has(e.id)) }
      try {
        await this.documents.commit({
          writes: [{ kind: 'put', collection: this.collection, doc, meta: { revision: stored.meta.revision + 1, positions: {} }, expectedRevision: stored.meta.revision }],
        })
        return
      } catch (error) {
        if (!isDocumentConflictError(error)) throw error
      }
    }
    // Left on the outbox, the entries are sent again (same ids) on a redelivery; the receiver dedupes them.
  }

  private commandObject(command: SagaCommand): object {
    const prototype = commandPrototypes.get(command.type)
    return prototype === undefined ? { type: command.type, ...command.data } : Object.assign(Object.create(prototype) as object, command.data)
  }
}

const commandEntry = (command: SagaCommand): OutboxEntry => ({ kind: 'command', id: command.id, command })

/** The id of the instance a start message creates: derived from the saga and the message, so a redelivery finds it. */
const instanceIdOf = (saga: string, messageId: string): string => {
  const h = createHash('sha256').update(`${saga}\n${messageId}`).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`
}
