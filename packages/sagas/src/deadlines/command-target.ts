import type { CommandBus } from '@eventfold/core'
import type { DeadlineDelivery, DeadlineHandler } from './deadline-worker'

/**
 * Delivers a deadline to an aggregate: the command `toCommand` builds, on the
 * command bus, with the deadline's id as causation id and `deadlineId` in the
 * metadata of every event it causes (so a redelivery is recognisable in the
 * stream, and the command's decision should be idempotent against the state).
 * @example
 * ```ts
 * handlers: { 'payment-timeout': commandTarget(bus, (d) => new CancelUnpaidOrder(d.scope.slice('Order-'.length))) }
 * ```
 */
export const commandTarget =
  (bus: CommandBus, toCommand: (delivery: DeadlineDelivery) => object): DeadlineHandler =>
  async (delivery) => {
    await bus.execute(toCommand(delivery), { metadata: { causationId: delivery.id, deadlineId: delivery.id } })
  }
