import { EventfoldError } from '@eventfold/core'
import type { DocumentStore, DocumentWrite, StoredDocument } from '../documents/document-store'
import { DocumentConflictError } from '../errors/errors'

/** The system collection of partition leases, in the projection's document store. */
export const LEASE_COLLECTION = '_ef_leases'

/** A lease this process holds: who may write one partition, until when. */
export interface HeldLease {
  readonly key: string
  readonly owner: string
  readonly revision: number
  readonly expiresAt: number
}

/** Another process took the lease over (this one was too slow to renew it). */
export class LeaseLostError extends EventfoldError {
  readonly type = 'lease-lost' as const
  constructor(
    readonly key: string,
    readonly owner: string,
  ) {
    super(`Lease '${key}' held by '${owner}' was lost to another process`)
  }
}

interface LeaseDoc {
  readonly owner: string
  readonly expiresAt: number
}

/**
 * Leases stored as documents with compare-and-set, so every document store
 * (SQLite, PostgreSQL, MongoDB) can coordinate worker processes. A lease is
 * taken when missing or expired, renewed by its owner, and — because a
 * worker's batch commit carries the lease's compare-and-set too (see
 * {@link LeaseFence}) — a process that lost its lease cannot commit again.
 *
 * Expiry uses the wall clock of each process: hosts sharing a store need
 * clocks in sync to well within the lease time.
 */
export class Leases {
  constructor(
    private readonly store: DocumentStore,
    readonly owner: string,
    private readonly ttlMs: number,
  ) {}

  /** Takes the lease when it is free or expired; `undefined` when someone else holds it. */
  async tryAcquire(key: string, now = Date.now()): Promise<HeldLease | undefined> {
    const current = await this.read(key)
    const doc = current?.doc as LeaseDoc | undefined
    if (doc && doc.owner !== this.owner && doc.expiresAt > now) return undefined
    return this.write(key, current?.meta.revision ?? 0, now)
  }

  /** Extends a held lease; `undefined` when it was lost meanwhile. */
  async renew(lease: HeldLease, now = Date.now()): Promise<HeldLease | undefined> {
    return this.write(lease.key, lease.revision, now)
  }

  /**
   * Gives a lease up so another process can take it at once. The lease is
   * expired, not deleted: its revision only ever grows, so the
   * compare-and-set of a holder that lost it can never match a later
   * holder's (a deleted lease taken again would start over at revision 1).
   */
  async release(lease: HeldLease): Promise<void> {
    try {
      await this.store.commit({
        writes: [
          {
            kind: 'put',
            collection: LEASE_COLLECTION,
            doc: { _id: lease.key, owner: this.owner, expiresAt: 0 },
            meta: { revision: lease.revision + 1, positions: {} },
            expectedRevision: lease.revision,
          },
        ],
      })
    } catch (error) {
      if (!(error instanceof DocumentConflictError)) throw error
    }
  }

  /** Every lease with its owner and expiry (a released lease has expired: `expiresAt` 0). */
  async list(prefix = ''): Promise<{ key: string; owner: string; expiresAt: number }[]> {
    const docs = await this.store.find(LEASE_COLLECTION, {}, { sort: { _id: 1 } })
    return docs.filter((d) => d._id.startsWith(prefix)).map((d) => ({ key: d._id, owner: d.owner as string, expiresAt: d.expiresAt as number }))
  }

  /** The write that renews `lease`, to commit with a batch (its fencing token). */
  renewalWrite(lease: HeldLease, now = Date.now()): DocumentWrite {
    return {
      kind: 'put',
      collection: LEASE_COLLECTION,
      doc: { _id: lease.key, owner: this.owner, expiresAt: now + this.ttlMs },
      meta: { revision: lease.revision + 1, positions: {} },
      expectedRevision: lease.revision,
    }
  }

  private async read(key: string): Promise<StoredDocument | undefined> {
    return (await this.store.getMany(LEASE_COLLECTION, [key])).get(key)
  }

  private async write(key: string, expectedRevision: number, now: number): Promise<HeldLease | undefined> {
    const lease: HeldLease = { key, owner: this.owner, revision: expectedRevision, expiresAt: now + this.ttlMs }
    try {
      await this.store.commit({ writes: [this.renewalWrite(lease, now)] })
    } catch (error) {
      if (error instanceof DocumentConflictError) return undefined
      throw error
    }
    return { ...lease, revision: expectedRevision + 1 }
  }
}

/**
 * Ties a worker's commits to a lease: each batch commit also renews the
 * lease by compare-and-set, so a process whose lease was taken over fails
 * its next commit instead of writing. Renewals by timer and by commit are
 * serialized here so they never race each other.
 */
export class LeaseFence {
  private lease: HeldLease
  private queue: Promise<unknown> = Promise.resolve()
  private lostFlag = false

  constructor(
    private readonly leases: Leases,
    lease: HeldLease,
  ) {
    this.lease = lease
  }

  get held(): HeldLease {
    return this.lease
  }

  get lost(): boolean {
    return this.lostFlag
  }

  /**
   * Runs `commit` with the renewal write to pass as the commit's `fence`.
   * @throws {@link LeaseLostError} when the lease was taken over.
   */
  commit<T>(commit: (renewal: DocumentWrite) => Promise<T>): Promise<T> {
    return this.serialized(async () => {
      if (this.lostFlag) throw new LeaseLostError(this.lease.key, this.lease.owner)
      const renewal = this.leases.renewalWrite(this.lease)
      try {
        const result = await commit(renewal)
        const expiresAt = renewal.kind === 'put' ? (renewal.doc.expiresAt as number) : this.lease.expiresAt
        this.lease = { ...this.lease, revision: this.lease.revision + 1, expiresAt }
        return result
      } catch (error) {
        if (error instanceof DocumentConflictError && error.collection === LEASE_COLLECTION) {
          this.lostFlag = true
          throw new LeaseLostError(this.lease.key, this.lease.owner)
        }
        throw error
      }
    })
  }

  /** Renews the lease outside a batch (idle workers); false when it was lost. */
  renew(): Promise<boolean> {
    return this.serialized(async () => {
      if (this.lostFlag) return false
      const renewed = await this.leases.renew(this.lease)
      if (!renewed) this.lostFlag = true
      else this.lease = renewed
      return renewed !== undefined
    })
  }

  /** Releases the lease (after the worker stopped). */
  release(): Promise<void> {
    return this.serialized(() => (this.lostFlag ? Promise.resolve() : this.leases.release(this.lease)))
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work)
    this.queue = run.catch(() => undefined)
    return run
  }
}
