import type { Collection, MongoClient } from 'mongodb'
import { fromJson, toJson } from '@eventfold/core/spi'
import type { Deadline, DeadlineState, DeadlineStore, ListDeadlinesOptions } from '@eventfold/sagas'
import { claimsOf, deadlineOf, type ClaimedDeadline, type ClaimOptions, type DeadlineInput, type SettleOutcome } from '@eventfold/sagas/spi'
import { MongoErrorCode, serverErrorCode } from '../mongo-errors'

/** The collection that holds deadlines by default. */
export const DEADLINE_COLLECTION = '_ef_deadlines'

/** A deadline as stored: one document per scope and name. */
export interface DeadlineDocument {
  /** `[scope, name]` as JSON text: one key per scope and name, whatever characters they hold. */
  readonly _id: string
  readonly scope: string
  readonly name: string
  readonly id: string
  readonly dueAt: number
  /** JSON text: exactly the payload given, whatever its keys (dots and `$` included). */
  readonly payload: string
  readonly scheduledAt: number
  readonly state: DeadlineState
  readonly token: number
  readonly owner: string | null
  readonly leaseUntil: number
  /** When it may be claimed: `dueAt`, or the end of the lease that holds it. Kept so one indexed field orders the claims. */
  readonly claimableAt: number
  readonly settledAt: number | null
  readonly error: string | null
}

/** Options of {@link MongoDeadlineStore}. */
export interface MongoDeadlineStoreOptions {
  /** @default '_ef_deadlines' */
  readonly collection?: string
}

const keyOf = (scope: string, name: string): string => JSON.stringify([scope, name])

const decode = (payload: unknown): unknown => fromJson(payload as string, 'payload')

/**
 * The {@link DeadlineStore} in a MongoDB collection. Each claim is one
 * `findOneAndUpdate` on a due deadline whose lease is free, atomic on the
 * server, so concurrent workers never claim the same deadline.
 * @example
 * ```ts
 * const deadlines = new Deadlines(new MongoDeadlineStore(client, 'shop'))
 * ```
 */
export class MongoDeadlineStore implements DeadlineStore {
  private readonly deadlines: Collection<DeadlineDocument>
  private indexed: Promise<void> | undefined

  /** Keeps deadlines in database `dbName` of a client the caller owns. */
  constructor(client: MongoClient, dbName: string, { collection = DEADLINE_COLLECTION }: MongoDeadlineStoreOptions = {}) {
    this.deadlines = client.db(dbName).collection<DeadlineDocument>(collection)
  }

  /** @throws {@link SerializationError} when the payload is not JSON data. */
  async schedule(d: DeadlineInput): Promise<void> {
    const payload = toJson(d.payload, 'payload')
    await this.ready()
    const fields = { scope: d.scope, name: d.name, id: d.id, dueAt: d.dueAt, payload, scheduledAt: d.scheduledAt }
    const reset = { state: 'pending' as const, owner: null, leaseUntil: 0, claimableAt: d.dueAt, settledAt: null, error: null }
    // Two first schedules of one key can both try to insert: the loser updates the winner's document.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.deadlines.updateOne({ _id: keyOf(d.scope, d.name) }, { $set: { ...fields, ...reset }, $setOnInsert: { token: 0 } }, { upsert: true })
        return
      } catch (error) {
        if (serverErrorCode(error) !== MongoErrorCode.DuplicateKey || attempt > 1) throw error
      }
    }
  }

  async cancel(scope: string, name: string): Promise<boolean> {
    const { deletedCount } = await this.deadlines.deleteOne({ _id: keyOf(scope, name), state: 'pending' })
    return deletedCount > 0
  }

  async claimDue(now: number, { owner, leaseMs, limit, names }: ClaimOptions): Promise<ClaimedDeadline[]> {
    await this.ready()
    const claimed: DeadlineDocument[] = []
    while (claimed.length < limit) {
      const doc = await this.deadlines.findOneAndUpdate(
        { state: 'pending', name: { $in: [...names] }, claimableAt: { $lte: now } },
        { $set: { owner, leaseUntil: now + leaseMs, claimableAt: now + leaseMs }, $inc: { token: 1 } },
        { sort: { claimableAt: 1 }, returnDocument: 'after', includeResultMetadata: false },
      )
      if (!doc) break
      claimed.push(doc)
    }
    return claimsOf(claimed, decode)
  }

  async settle(claim: Pick<ClaimedDeadline, 'scope' | 'name' | 'id' | 'token'>, outcome: SettleOutcome): Promise<boolean> {
    const { matchedCount } = await this.deadlines.updateOne(
      { _id: keyOf(claim.scope, claim.name), id: claim.id, token: claim.token, state: 'pending' },
      { $set: { state: outcome.state, settledAt: outcome.at, error: outcome.state === 'parked' ? outcome.error : null, leaseUntil: 0 } },
    )
    return matchedCount > 0
  }

  async nextDueAt(names: readonly string[]): Promise<number | undefined> {
    const next = await this.deadlines.findOne({ state: 'pending', name: { $in: [...names] } }, { sort: { claimableAt: 1 }, projection: { claimableAt: 1 } })
    return next?.claimableAt
  }

  async list({ dueBy, state, scope, limit = 1000 }: ListDeadlinesOptions = {}): Promise<Deadline[]> {
    const filter = {
      ...(state !== undefined && { state }),
      ...(scope !== undefined && { scope }),
      ...(dueBy !== undefined && { state: 'pending' as const, dueAt: { $lte: dueBy } }),
    }
    const docs = await this.deadlines.find(filter, { sort: { dueAt: 1, scope: 1, name: 1 }, limit }).toArray()
    // A state asked for beside `dueBy` other than pending matches nothing.
    return docs.filter((d) => state === undefined || d.state === state).map((d) => deadlineOf(d, decode(d.payload)))
  }

  /** Creates the index claims are ordered by, once per store. */
  private ready(): Promise<void> {
    this.indexed ??= this.deadlines
      .createIndex({ state: 1, claimableAt: 1 }, { name: 'ef_deadlines_claimable' })
      .then(
        () => undefined,
        (error: unknown) => {
          this.indexed = undefined
          throw error
        },
      )
    return this.indexed
  }
}
