import type { IntegrationEnvelope, IntegrationHandler } from '@eventfold/messaging'
import type { SagaMessage } from './saga-message'
import type { Sagas } from './sagas'

/** The saga message an integration event is: its id (what a redelivery repeats), type, data and flow ids. */
export const sagaMessageOf = (envelope: IntegrationEnvelope): SagaMessage => ({
  id: envelope.id,
  type: envelope.type,
  data: envelope.data,
  metadata: {
    eventId: envelope.id,
    source: envelope.source,
    ...(envelope.correlationId !== undefined && { correlationId: envelope.correlationId }),
    ...(envelope.causationId !== undefined && { causationId: envelope.causationId }),
  },
})

/**
 * Consumer handlers that hand every integration event type some saga routes
 * to `sagas`: spread them into a consumer's `handlers` so other services'
 * events start and move sagas.
 * @example
 * ```ts
 * const consumer = defineConsumer('orders-sagas', { topics: ['payments'], handlers: sagaConsumerHandlers(sagas) })
 * ```
 */
export const sagaConsumerHandlers = (sagas: Sagas): Record<string, IntegrationHandler> =>
  Object.fromEntries(
    sagas.eventTypes.map((type): [string, IntegrationHandler] => [
      type,
      async (envelope) => {
        await sagas.handle(sagaMessageOf(envelope))
      },
    ]),
  )
