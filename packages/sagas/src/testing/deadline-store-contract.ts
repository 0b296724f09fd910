import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import type { DeadlineInput } from '../deadlines/deadline'
import type { DeadlineStore } from '../deadlines/deadline-store'

/** What a {@link deadlineStoreContract} factory returns: a ready store, and how to dispose of it. */
export interface DeadlineStoreUnderTest {
  readonly store: DeadlineStore
  /** Runs after each test, e.g. to close the store's connection. */
  readonly teardown?: () => Promise<void>
}

/**
 * Registers the contract every {@link DeadlineStore} must pass as jest
 * tests. The factory runs before each test. The store may be shared: each
 * test uses scopes and names that start with a random tag.
 * @example
 * ```ts
 * deadlineStoreContract('InMemoryDeadlineStore', async () => ({ store: new InMemoryDeadlineStore() }))
 * ```
 */
export const deadlineStoreContract = (name: string, factory: () => Promise<DeadlineStoreUnderTest>): void => {
  describe(`${name} (DeadlineStore contract)`, () => {
    let store: DeadlineStore
    let teardown: (() => Promise<void>) | undefined
    let tag: string
    const T0 = 1_800_000_000_000
    const lease = { owner: 'w1', leaseMs: 1000, limit: 10 }

    const named = (n: string): string => `${tag}-${n}`
    const input = (scope: string, n: string, dueAt: number, payload: unknown = { n }): DeadlineInput => ({
      id: `${tag}-${scope}-${n}-${dueAt}`,
      scope: named(scope),
      name: named(n),
      dueAt,
      payload,
      scheduledAt: T0,
    })
    const mine = async (state?: 'pending' | 'fired' | 'parked') =>
      (await store.list(state ? { state, limit: 100_000 } : { limit: 100_000 })).filter((d) => d.scope.startsWith(tag))

    beforeEach(async () => {
      tag = `t${randomBytes(4).toString('hex')}`
      ;({ store, teardown } = await factory())
    })
    afterEach(async () => {
      await teardown?.()
    })

    it('stores a scheduled deadline as pending, with its payload', async () => {
      await store.schedule(input('Order-1', 'timeout', T0 + 5000, { orderId: '1', nested: { a: [1, 'x', null] } }))
      const [d] = await mine()
      expect(d).toMatchObject({
        scope: named('Order-1'),
        name: named('timeout'),
        dueAt: T0 + 5000,
        scheduledAt: T0,
        payload: { orderId: '1', nested: { a: [1, 'x', null] } },
        state: 'pending',
        leaseUntil: 0,
      })
    })

    it('refuses a payload that is not JSON data, and stores nothing', async () => {
      await expect(store.schedule(input('Order-1', 'timeout', T0, { amount: 10n }))).rejects.toMatchObject({ type: 'serialization', path: 'payload.amount' })
      expect(await mine()).toEqual([])
    })

    it('replaces a deadline scheduled again under the same scope and name', async () => {
      await store.schedule(input('Order-1', 'timeout', T0 + 5000))
      await store.schedule({ ...input('Order-1', 'timeout', T0 + 9000), id: `${tag}-second` })
      const all = await mine()
      expect(all).toHaveLength(1)
      expect(all[0]).toMatchObject({ id: `${tag}-second`, dueAt: T0 + 9000, state: 'pending' })
    })

    it('cancels a pending deadline, and reports when there was none', async () => {
      await store.schedule(input('Order-1', 'timeout', T0 + 5000))
      await expect(store.cancel(named('Order-1'), named('timeout'))).resolves.toBe(true)
      await expect(store.cancel(named('Order-1'), named('timeout'))).resolves.toBe(false)
      await expect(store.claimDue(T0 + 10_000, { ...lease, names: [named('timeout')] })).resolves.toEqual([])
      expect(await mine()).toEqual([])
    })

    it('claims only due deadlines with the names asked for, earliest first, up to the limit', async () => {
      await store.schedule(input('A', 'late', T0 + 3000))
      await store.schedule(input('B', 'early', T0 + 1000))
      await store.schedule(input('C', 'early', T0 + 2000))
      await store.schedule(input('D', 'future', T0 + 60_000))
      await store.schedule(input('E', 'other', T0 + 1000))
      const names = [named('late'), named('early'), named('future')]
      const first = await store.claimDue(T0 + 5000, { ...lease, limit: 2, names })
      expect(first.map((c) => c.scope)).toEqual([named('B'), named('C')])
      expect(first[0]).toMatchObject({ owner: 'w1', leaseUntil: T0 + 6000 })
      const rest = await store.claimDue(T0 + 5000, { ...lease, names })
      expect(rest.map((c) => c.scope)).toEqual([named('A')])
    })

    it('does not hand a claimed deadline out again until its lease expires, then with a higher token', async () => {
      await store.schedule(input('A', 'timeout', T0))
      const names = [named('timeout')]
      const [first] = await store.claimDue(T0, { ...lease, names })
      expect(await store.claimDue(T0 + 999, { ...lease, owner: 'w2', names })).toEqual([])
      expect(await store.nextDueAt(names)).toBe(T0 + 1000)
      const [second] = await store.claimDue(T0 + 1000, { ...lease, owner: 'w2', names })
      expect(second).toMatchObject({ owner: 'w2', id: first!.id })
      expect(second!.token).toBeGreaterThan(first!.token)
    })

    it('refuses to settle a claim that was lost to another worker', async () => {
      await store.schedule(input('A', 'timeout', T0))
      const names = [named('timeout')]
      const [stale] = await store.claimDue(T0, { ...lease, names })
      const [fresh] = await store.claimDue(T0 + 2000, { ...lease, owner: 'w2', names })
      await expect(store.settle(stale!, { state: 'fired', at: T0 + 2001 })).resolves.toBe(false)
      await expect(store.settle(fresh!, { state: 'fired', at: T0 + 2002 })).resolves.toBe(true)
      await expect(store.settle(fresh!, { state: 'fired', at: T0 + 2003 })).resolves.toBe(false)
      expect(await mine('fired')).toEqual([expect.objectContaining({ scope: named('A'), settledAt: T0 + 2002 })])
    })

    it('never claims a fired or parked deadline again, and cannot cancel it', async () => {
      await store.schedule(input('A', 'timeout', T0))
      await store.schedule(input('B', 'timeout', T0))
      const names = [named('timeout')]
      const [a, b] = await store.claimDue(T0, { ...lease, names })
      await store.settle(a!, { state: 'fired', at: T0 + 1 })
      await store.settle(b!, { state: 'parked', at: T0 + 2, error: 'Error: boom' })
      expect(await store.claimDue(T0 + 100_000, { ...lease, names })).toEqual([])
      expect(await store.nextDueAt(names)).toBeUndefined()
      await expect(store.cancel(named('A'), named('timeout'))).resolves.toBe(false)
      expect(await mine('parked')).toEqual([expect.objectContaining({ scope: named('B'), error: 'Error: boom', settledAt: T0 + 2 })])
    })

    it('refuses to settle a deadline that was cancelled or replaced after the claim', async () => {
      await store.schedule(input('A', 'timeout', T0))
      await store.schedule(input('B', 'timeout', T0))
      const names = [named('timeout')]
      const [a, b] = await store.claimDue(T0, { ...lease, names })
      await store.cancel(a!.scope, a!.name)
      await store.schedule({ ...input('B', 'timeout', T0 + 50), id: `${tag}-replaced` })
      await expect(store.settle(a!, { state: 'fired', at: T0 })).resolves.toBe(false)
      await expect(store.settle(b!, { state: 'fired', at: T0 })).resolves.toBe(false)
      expect(await mine()).toEqual([expect.objectContaining({ id: `${tag}-replaced`, state: 'pending' })])
    })

    it('lists the pending deadlines due by a moment', async () => {
      await store.schedule(input('A', 'timeout', T0 + 10))
      await store.schedule(input('B', 'timeout', T0 + 20))
      await store.schedule(input('C', 'timeout', T0 + 30))
      const due = (await store.list({ dueBy: T0 + 20, limit: 100_000 })).filter((d) => d.scope.startsWith(tag))
      expect(due.map((d) => d.scope)).toEqual([named('A'), named('B')])
    })

    it('lists the deadlines of one scope', async () => {
      await store.schedule(input('A', 'timeout', T0 + 10))
      await store.schedule(input('A', 'reminder', T0 + 30))
      await store.schedule(input('B', 'timeout', T0 + 20))
      const listed = await store.list({ scope: named('A') })
      expect(listed.map((d) => [d.scope, d.name])).toEqual([
        [named('A'), named('timeout')],
        [named('A'), named('reminder')],
      ])
      expect(await store.list({ scope: named('A'), state: 'fired' })).toEqual([])
    })

    it('hands each deadline to one of many concurrent claims', async () => {
      for (let i = 0; i < 40; i++) await store.schedule(input(`S${i}`, 'timeout', T0 + i))
      const names = [named('timeout')]
      const claims = await Promise.all(Array.from({ length: 8 }, (_, w) => store.claimDue(T0 + 100, { owner: `w${w}`, leaseMs: 60_000, limit: 7, names })))
      const rest = await store.claimDue(T0 + 100, { owner: 'last', leaseMs: 60_000, limit: 100, names })
      const ids = [...claims.flat(), ...rest].map((c) => c.scope)
      expect(new Set(ids).size).toBe(ids.length)
      expect(ids.length).toBe(40)
    })
  })
}
