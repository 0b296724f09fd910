import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import { EventfoldError } from '@eventfold/core'
import type { DocumentStore } from '../documents/document-store'
import { LeaseFence, Leases } from '../worker/leases'

/** Another process owns the rebuild of this projection: two rebuilds would build and switch the same generation. */
export class RebuildOwnedError extends EventfoldError {
  readonly type = 'rebuild-owned' as const
  constructor(
    readonly projection: string,
    /** The process that holds the rebuild's lease. */
    readonly owner: string,
    /** When its lease expires unless renewed, in epoch milliseconds. */
    readonly expiresAt: number,
  ) {
    super(
      `A rebuild of projection '${projection}' is already running in '${owner}' (its lease ends at ${new Date(expiresAt).toISOString()} unless renewed); ` +
        'run the rebuild again once it has ended, or after its lease has expired to take it over',
    )
  }
}
export const isRebuildOwnedError = (e: unknown): e is RebuildOwnedError => e instanceof RebuildOwnedError

/** The lease key a rebuild of `projection` holds. */
export const rebuildLeaseKey = (projection: string): string => `rebuild/${projection}`

/** A rebuild's lease while it runs: its fence, renewed on a timer between commits. */
export interface RebuildLease {
  readonly fence: LeaseFence
  /** Stops renewing, and releases the lease unless it was lost. */
  release(): Promise<void>
}

/**
 * Takes the exclusive lease of a projection's rebuild, renewed every quarter
 * of `ttlMs` until released; a crashed owner stops renewing, so its lease
 * expires and the next rebuild takes it over.
 * @throws {@link RebuildOwnedError} when another process holds it.
 */
export const acquireRebuildLease = async (
  documents: DocumentStore,
  projection: string,
  { owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`, ttlMs = 10_000 }: { owner?: string; ttlMs?: number } = {},
): Promise<RebuildLease> => {
  const leases = new Leases(documents, owner, ttlMs)
  const key = rebuildLeaseKey(projection)
  const lease = await leases.tryAcquire(key)
  if (!lease) {
    const holder = (await leases.list(key)).find((l) => l.key === key)
    throw new RebuildOwnedError(projection, holder?.owner ?? 'another process', holder?.expiresAt ?? 0)
  }
  const fence = new LeaseFence(leases, lease)
  const timer = setInterval(() => void fence.renew().catch(() => undefined), Math.max(1, Math.floor(ttlMs / 4)))
  timer.unref()
  return {
    fence,
    release: async () => {
      clearInterval(timer)
      await fence.release()
    },
  }
}
