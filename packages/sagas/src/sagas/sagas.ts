import { createHash } from 'node:crypto'
import type { BackoffPolicy, RecordedEvent } from '@eventfold/core'
import { backoffDelay, sleep } from '@eventfold/core/spi'
import { isDocumentConflictError, isDuplicateDocumentError, type DocumentStore, type Filter } from '@eventfold/projections'
import type { DocumentWrite, StoredDocument } from '@eventfold/projections/spi'
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

/** Active instances read to learn the saga names when a runtime knows none; each name's count is exact. */
const ACTIVE_NAMES_SCANNED = 10_000

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
  /** Told after each message an instance handled, recognised as a redelivery, or ignored as come after its end. @default nothing */
  readonly onOutcome?: (outcome: SagaOutcome) => void
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
  /** True when this message ended the instance. */
  readonly ended: boolean
  readonly commands: readonly SagaCommand[]
}

/** A batch of messages stored in one commit: see {@link Sagas.beginBatch}. */
export interface SagaBatch {
  /** Decides `message` on the instances as the batch left them. */
  apply(message: SagaMessage): Promise<void>
  /** The instance and index writes to commit with the batch. */
  writes(): DocumentWrite[]
  /** After the commit: sends what the steps asked for, each step's entries `attempts` times at most before telling `failed`. */
  committed(options?: SendRetryOptions): Promise<void>
}

/** How {@link SagaBatch.committed} retries a send that fails. */
export interface SendRetryOptions {
  /** @default 3 */
  readonly attempts?: number
  /** @default { initialDelayMs: 5, maxDelayMs: 500 } */
  readonly retry?: BackoffPolicy
  /** Told about a step whose entries could not be sent; they stay on the instance's outbox. @default nothing */
  readonly failed?: (failure: { saga: string; sagaId: string; entries: readonly OutboxEntry[]; error: unknown }) => Promise<void>
}

/** Options of {@link Sagas.list}. */
export interface ListSagasOptions {
  readonly saga?: string
  readonly status?: SagaStatus
  /** Only instances with this association, `key=value` as stored (e.g. `orderId=o1`). @default any */
  readonly association?: string
  /** Only instances that handled a message of this flow (its `correlationId`). @default any */
  readonly correlationId?: string
  /** Instances to pass over first, for paging. @default 0 */
  readonly skip?: number
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
  /** Where instances are found by association: one document per saga and association, listing the instance ids. */
  readonly indexCollection: string
  private readonly documents: DocumentStore
  private readonly clock: Clock
  private readonly maxConflicts: number
  private readonly queues = new Map<string, Promise<unknown>>()
  /** By instance: outbox entries this process sent that are still on the stored outbox. */
  private readonly sent = new Map<string, Set<string>>()

  constructor(private readonly options: SagasOptions) {
    this.documents = options.documents
    this.clock = options.clock ?? systemClock
    this.collection = options.collection ?? 'eventfold_sagas'
    this.indexCollection = `${this.collection}_associations`
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
      for (let attempt = 1; ; attempt++) {
        const found = await this.associated(definition.name, association, message.id)
        if (found.size > 0) {
          for (const [id, stored] of found) outcomes.push(this.told(await this.serialised(id, () => this.existing(definition, id, message, stored))))
          break
        }
        if (!route.starts) break
        // A start with no instance yet creates one whose id is its message's, so a redelivered start finds it.
        const id = instanceIdOf(definition.name, message.id)
        const outcome = await this.serialised(id, () => this.step(definition, id, message, association, undefined))
        if (outcome !== STARTED_ELSEWHERE) {
          outcomes.push(this.told(outcome))
          break
        }
        // Another start of the same association won: the message goes to the instance it created.
        if (attempt >= this.maxConflicts) throw new SagaConcurrencyError(definition.name, id, message.id, attempt)
      }
    }
    return outcomes
  }

  /**
   * A batch of messages whose steps are stored in one commit (with a
   * worker's checkpoint): `apply` decides each on the instances as the
   * batch left them, `writes` is what to commit, `committed` sends what the
   * steps asked for. A commit refused for a conflict is redone on a fresh
   * batch. For `SagaWorker`; a crash after the commit and before the sends
   * leaves them on the instances' outboxes, which `resendUnsent` sends.
   */
  beginBatch(): SagaBatch {
    const instances = new Map<string, { doc: SagaInstance | undefined; revision: number; changed: boolean }>()
    const index = new Map<string, { ids: string[]; revision: number; changed: boolean }>()
    const sends: { definition: Definition; sagaId: string; entries: readonly OutboxEntry[]; resend: boolean }[] = []
    const outcomes: SagaOutcome[] = []
    const instance = async (id: string) => {
      let entry = instances.get(id)
      if (entry === undefined) {
        const stored = (await this.documents.getMany(this.collection, [id])).get(id)
        entry = { doc: stored?.doc as SagaInstance | undefined, revision: stored?.meta.revision ?? 0, changed: false }
        instances.set(id, entry)
      }
      return entry
    }
    const indexEntry = async (id: string) => {
      let entry = index.get(id)
      if (entry === undefined) {
        const stored = (await this.documents.getMany(this.indexCollection, [id])).get(id)
        entry = { ids: [...((stored?.doc as { ids?: string[] } | undefined)?.ids ?? [])], revision: stored?.meta.revision ?? 0, changed: false }
        index.set(id, entry)
      }
      return entry
    }
    const stepOn = async (definition: Definition, sagaId: string, message: SagaMessage, association: string | undefined): Promise<void> => {
      const entry = await instance(sagaId)
      const current = entry.doc
      if (current !== undefined && current.handled.includes(message.id)) {
        const step = current.history.find((h) => h.messageId === message.id)
        const left = step === undefined ? [] : current.outbox.filter((e) => (e.kind === 'command' ? step.sent.includes(e.command.id) : e.id.startsWith(`${sagaId}:${step.step}:`)))
        sends.push({ definition, sagaId, entries: left, resend: true })
        outcomes.push({ saga: definition.name, sagaId, result: 'duplicate', conflicts: 0, ended: false, commands: [] })
        return
      }
      if (current !== undefined && current.status === 'ended') {
        outcomes.push({ saga: definition.name, sagaId, result: 'ended', conflicts: 0, ended: false, commands: [] })
        return
      }
      if (current === undefined && association === undefined) return
      const now = this.clock.now()
      const base = current ?? newInstance(definition, sagaId, association, now)
      const { next, entries } = await this.decide(definition, base, message, now)
      for (const a of next.associations.filter((x) => !(current?.associations ?? []).includes(x))) {
        const ix = await indexEntry(indexIdOf(definition.name, a))
        if (!ix.ids.includes(sagaId)) ix.ids.push(sagaId)
        ix.changed = true
      }
      entry.doc = next
      entry.changed = true
      sends.push({ definition, sagaId, entries, resend: false })
      outcomes.push({ saga: definition.name, sagaId, result: 'handled', conflicts: 0, ended: next.status === 'ended', commands: entries.flatMap((e) => (e.kind === 'command' ? [e.command] : [])) })
    }
    return {
      apply: async (message) => {
        for (const definition of this.definitions) {
          const route = definition.routes.get(message.type)
          if (route === undefined) continue
          const value = route.valueOf(message.data)
          if (value === undefined) continue
          const association = associationOf(route.key, value)
          const ix = await indexEntry(indexIdOf(definition.name, association))
          const targets: string[] = []
          for (const id of ix.ids) {
            const doc = (await instance(id)).doc
            if (doc !== undefined && (doc.status === 'active' || doc.handled.includes(message.id))) targets.push(id)
          }
          if (targets.length === 0 && route.starts) await stepOn(definition, instanceIdOf(definition.name, message.id), message, association)
          for (const id of targets) await stepOn(definition, id, message, undefined)
        }
      },
      writes: () => [
        ...[...index].filter(([, e]) => e.changed).map(([id, e]): DocumentWrite => ({ kind: 'put', collection: this.indexCollection, doc: { _id: id, ids: e.ids }, meta: { revision: e.revision + 1, positions: {} }, expectedRevision: e.revision })),
        ...[...instances].filter(([, e]) => e.changed && e.doc !== undefined).map(([, e]): DocumentWrite => ({ kind: 'put', collection: this.collection, doc: e.doc!, meta: { revision: e.revision + 1, positions: {} }, expectedRevision: e.revision })),
      ],
      committed: async ({ attempts = 3, retry, failed } = {}) => {
        const sent = new Map<string, string[]>()
        for (const { definition, sagaId, entries, resend } of sends) {
          for (let attempt = 1; ; attempt++) {
            try {
              await this.flush(definition, sagaId, entries, false, resend || attempt > 1)
              sent.set(sagaId, [...(sent.get(sagaId) ?? []), ...entries.map((e) => e.id)])
              break
            } catch (error) {
              // The step is stored and its entries stay on the outbox: sent again when a worker starts.
              if (attempt >= attempts) {
                await failed?.({ saga: definition.name, sagaId, entries, error })
                break
              }
              await sleep(backoffDelay(attempt + 1, retry))
            }
          }
        }
        // An instance that ended, or a redelivery's resends, get no next step to take what was sent off the outbox.
        for (const [sagaId, ids] of sent) {
          const doc = instances.get(sagaId)?.doc
          const redelivered = sends.some((x) => x.sagaId === sagaId && x.resend)
          if (ids.length > 0 && (doc?.status === 'ended' || redelivered)) await this.clearOutbox(sagaId, ids)
        }
        for (const o of outcomes) this.told(o)
      },
    }
  }

  /**
   * Sends again what instances left on their outboxes (a worker stopped
   * between storing steps and sending them), marked as sent again for the
   * receiver to dedupe; what a worker does when it starts.
   * @returns the number of instances that had something left.
   */
  async resendUnsent(): Promise<number> {
    const left = (await this.documents.find(this.collection, { 'outbox.0': { $exists: true } })) as SagaInstance[]
    let resent = 0
    for (const doc of left) {
      const definition = this.definitions.find((d) => d.name === doc.saga)
      if (definition === undefined || doc.associations[0] === undefined) continue
      // An instance its association index does not list lost a start race on a store without transactions: it never took effect.
      const entry = (await this.documents.get(this.indexCollection, indexIdOf(doc.saga, doc.associations[0]))) as { ids?: string[] } | undefined
      if (!(entry?.ids ?? []).includes(doc._id)) continue
      await this.flush(definition, doc._id, doc.outbox, true, true)
      resent++
    }
    return resent
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
      return this.told(await this.serialised(id, () => this.existing(definition, id, message, undefined)))
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
  async list({ saga, status, association, correlationId, skip = 0, limit = 100 }: ListSagasOptions = {}): Promise<SagaInstance[]> {
    const filter: Filter = {
      ...(saga !== undefined && { saga }),
      ...(status !== undefined && { status }),
      ...(association !== undefined && { associations: association }),
      ...(correlationId !== undefined && { history: { $elemMatch: { correlationId } } }),
    }
    // The id breaks ties, so pages of instances updated in the same millisecond neither repeat nor skip one.
    return (await this.documents.find(this.collection, filter, { sort: { updatedAt: -1, _id: 1 }, skip, limit })) as SagaInstance[]
  }

  /**
   * Active (not ended) instances per saga name: of this runtime's sagas
   * (0 for one with none), or of every saga in the collection when the
   * runtime was made with none (as a tool that only reads makes it).
   */
  async countActive(): Promise<Map<string, number>> {
    const names =
      this.definitions.length > 0
        ? this.definitions.map((d) => d.name)
        : [...new Set(((await this.documents.find(this.collection, { status: 'active' }, { limit: ACTIVE_NAMES_SCANNED })) as SagaInstance[]).map((s) => s.saga))].sort()
    const counts = new Map<string, number>()
    for (const saga of names) counts.set(saga, await this.documents.count(this.collection, { saga, status: 'active' }))
    return counts
  }

  /**
   * The instances associated with `association` that a message goes to: the
   * active ones, and an ended one that handled this very message (a crash
   * may have left its commands unsent). Looked up by id in an index
   * collection, so finding an instance costs the same in every store however
   * many instances there are.
   */
  private async associated(saga: string, association: string, messageId: string): Promise<Map<string, StoredDocument>> {
    const entry = (await this.documents.get(this.indexCollection, indexIdOf(saga, association))) as { ids?: string[] } | undefined
    if (entry?.ids === undefined || entry.ids.length === 0) return new Map()
    const instances = await this.documents.getMany(this.collection, entry.ids)
    return new Map(
      [...instances].filter(([, stored]) => {
        const doc = stored.doc as SagaInstance
        return doc.status === 'active' || doc.handled.includes(messageId)
      }),
    )
  }

  /** The index entries that make `associations` find instance `sagaId`, written with the instance, compare-and-set. */
  private async indexWrites(saga: string, sagaId: string, associations: readonly string[]): Promise<DocumentWrite[]> {
    if (associations.length === 0) return []
    const ids = associations.map((a) => indexIdOf(saga, a))
    const stored = await this.documents.getMany(this.indexCollection, ids)
    return ids.map((id): DocumentWrite => {
      const entry = stored.get(id)
      const revision = entry?.meta.revision ?? 0
      const previous = (entry?.doc as { ids?: string[] } | undefined)?.ids ?? []
      return { kind: 'put', collection: this.indexCollection, doc: { _id: id, ids: [...previous, sagaId] }, meta: { revision: revision + 1, positions: {} }, expectedRevision: revision }
    })
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

  private told(outcome: SagaOutcome): SagaOutcome {
    this.options.onOutcome?.(outcome)
    return outcome
  }

  /** Deletes instance `sagaId` if it is still at `revision` (what this process wrote). */
  private async discard(sagaId: string, revision: number): Promise<void> {
    try {
      await this.documents.commit({ writes: [{ kind: 'delete', collection: this.collection, id: sagaId, expectedRevision: revision }] })
    } catch (error) {
      if (!isDocumentConflictError(error)) throw error
    }
  }

  /** A step on an instance that exists (or is gone: then nothing happens). */
  private async existing(definition: Definition, sagaId: string, message: SagaMessage, prefetched: StoredDocument | undefined): Promise<SagaOutcome> {
    const outcome = await this.step(definition, sagaId, message, undefined, prefetched)
    return outcome === STARTED_ELSEWHERE ? { saga: definition.name, sagaId, result: 'ended', conflicts: 0, ended: false, commands: [] } : outcome
  }

  /** Handles `message` on instance `sagaId`; `association` is given for a start, which creates the instance when it is not there. */
  private async step(definition: Definition, sagaId: string, message: SagaMessage, association: string | undefined, prefetched?: StoredDocument): Promise<SagaOutcome | typeof STARTED_ELSEWHERE> {
    for (let conflicts = 0; ; conflicts++) {
      if (conflicts >= this.maxConflicts) throw new SagaConcurrencyError(definition.name, sagaId, message.id, conflicts)
      // The association lookup read the instance already; a retry reads it again.
      const stored = conflicts === 0 && prefetched !== undefined ? prefetched : (await this.documents.getMany(this.collection, [sagaId])).get(sagaId)
      const current = stored?.doc as SagaInstance | undefined
      const revision = stored?.meta.revision ?? 0
      if (current !== undefined && current.handled.includes(message.id)) {
        // What the step of this message left unsent (a crash between storing it and sending): sent again with the same ids.
        const step = current.history.find((h) => h.messageId === message.id)
        const left = step === undefined ? [] : current.outbox.filter((e) => (e.kind === 'command' ? step.sent.includes(e.command.id) : e.id.startsWith(`${sagaId}:${step.step}:`)))
        await this.flush(definition, sagaId, left, true, true)
        return { saga: definition.name, sagaId, result: 'duplicate', conflicts, ended: false, commands: [] }
      }
      if (current !== undefined && current.status === 'ended') {
        return { saga: definition.name, sagaId, result: 'ended', conflicts, ended: false, commands: [] }
      }
      // A message for an instance that is gone (never stored) has nothing to act on.
      if (current === undefined && association === undefined) return { saga: definition.name, sagaId, result: 'ended', conflicts, ended: false, commands: [] }
      const now = this.clock.now()
      const base: SagaInstance = current ?? newInstance(definition, sagaId, association, now)
      const { next, entries } = await this.decide(definition, base, message, now)
      const added = next.associations.filter((a) => !(current?.associations ?? []).includes(a))
      try {
        await this.documents.commit({
          // The index first: a store without transactions that stops between them leaves an index entry to an instance that is not there, which lookups skip.
          writes: [
            ...(await this.indexWrites(definition.name, sagaId, added)),
            { kind: 'put', collection: this.collection, doc: next, meta: { revision: revision + 1, positions: {} }, expectedRevision: revision },
          ],
        })
      } catch (error) {
        if (!isDocumentConflictError(error) && !isDuplicateDocumentError(error)) throw error
        if (current === undefined && association !== undefined) {
          // Without transactions the instance may have been written though its index entry was refused: take it back.
          if (!this.documents.capabilities.transactions) await this.discard(sagaId, revision + 1)
          return STARTED_ELSEWHERE
        }
        continue
      }
      // What this process had sent is off the stored outbox now.
      const sent = this.sent.get(sagaId)
      if (sent !== undefined) for (const e of base.outbox) sent.delete(e.id)
      // Only this step's own entries: another writer's are sent by that writer (or by a redelivery after its crash).
      const commands = entries.flatMap((e) => (e.kind === 'command' ? [e.command] : []))
      await this.flush(definition, sagaId, entries, next.status === 'ended')
      return { saga: definition.name, sagaId, result: 'handled', conflicts, ended: next.status === 'ended', commands }
    }
  }

  /** Runs the handler on the stored state and turns what it asked for into the next document, outbox included. */
  private async decide(definition: Definition, base: SagaInstance, message: SagaMessage, now: number): Promise<{ next: SagaInstance; entries: OutboxEntry[] }> {
    const ctx = new EffectCollector(base._id, message)
    const state = await definition.handle(structuredClone(base.state), message, ctx)
    const step = base.step + 1
    const associations = [...base.associations]
    let compensations = [...base.compensations]
    // Entries this process sent leave the outbox with this write; the others stay until whoever sends them does.
    const sentHere = this.sent.get(base._id)
    const kept = base.outbox.filter((e) => sentHere === undefined || !sentHere.has(e.id))
    const outbox: OutboxEntry[] = [...kept]
    let ended = false
    let sent = 0
    let recorded = 0
    const correlationId = typeof message.metadata.correlationId === 'string' ? message.metadata.correlationId : message.id
    const metadata = (commandId: string): Record<string, string> => ({ commandId, sagaId: base._id, sagaName: definition.name, causationId: message.id, correlationId })
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
          compensations.push(record(effect.command, effect.to, `${base._id}:${step}:c${recorded++}`))
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
    const added = outbox.slice(kept.length)
    const entry: SagaHistoryEntry = {
      step,
      messageId: message.id,
      type: message.type,
      correlationId,
      at: now,
      sent: added.flatMap((e) => (e.kind === 'command' ? [e.command.id] : [])),
      scheduled: added.flatMap((e) => (e.kind === 'schedule' ? [e.name] : [])),
      cancelled: added.flatMap((e) => (e.kind === 'cancel' ? [e.name] : [])),
    }
    const next: SagaInstance = {
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
    return { next, entries: added }
  }

  /**
   * Sends what a stored step asked for. The entries leave the stored outbox
   * with the instance's next step, or at once (`clear`) when the instance
   * ended or the step is a redelivery's (`resend`: these may have taken
   * effect before); a crash before sends them again, with the same ids.
   */
  private async flush(definition: Definition, sagaId: string, entries: readonly OutboxEntry[], clear: boolean, resend = false): Promise<void> {
    if (entries.length === 0) return
    const scope = this.options.deadlines?.scope(sagaDeadlineScope(definition.name, sagaId))
    for (const entry of entries) {
      if (entry.kind === 'command') {
        const { command } = entry
        const sender = command.to === undefined ? this.options.local : this.options.integration
        if (sender === undefined) throw new NoCommandRouteError(definition.name, sagaId, command.type, command.to)
        // Only a redelivery sends a command that may have taken effect already: it says so, for the receiver to look.
        const sent = resend ? { ...command, metadata: { ...command.metadata, sagaResend: 'true' } } : command
        await sender(this.commandObject(command), sent)
      } else if (scope === undefined) {
        throw new NoCommandRouteError(definition.name, sagaId, `deadline '${entry.name}'`, 'deadlines')
      } else if (entry.kind === 'schedule') {
        await scope.schedule(entry.name, { at: entry.dueAt }, entry.payload)
      } else {
        await scope.cancel(entry.name)
      }
    }
    if (!clear) {
      const sent = this.sent.get(sagaId) ?? new Set<string>()
      for (const e of entries) sent.add(e.id)
      this.sent.set(sagaId, sent)
      return
    }
    await this.clearOutbox(sagaId, entries.map((e) => e.id))
  }

  /** Takes sent entries (`ids`, and whatever else this process sent) off an instance's stored outbox, compare-and-set. */
  private async clearOutbox(sagaId: string, ids: readonly string[]): Promise<void> {
    const done = new Set([...ids, ...(this.sent.get(sagaId) ?? [])])
    this.sent.delete(sagaId)
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

const newInstance = (definition: Definition, sagaId: string, association: string | undefined, now: number): SagaInstance => ({
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
})

/** What a start that lost to another start of the same association returns: the message then goes to the winner's instance. */
const STARTED_ELSEWHERE = Symbol('started elsewhere')

const indexIdOf = (saga: string, association: string): string => `${saga}\n${association}`

const commandEntry = (command: SagaCommand): OutboxEntry => ({ kind: 'command', id: command.id, command })

/** The id of the instance a start message creates: derived from the saga and the message, so a redelivery finds it. */
const instanceIdOf = (saga: string, messageId: string): string => {
  const h = createHash('sha256').update(`${saga}\n${messageId}`).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`
}
