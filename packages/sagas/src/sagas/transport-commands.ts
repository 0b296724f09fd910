import { encodeEnvelope, type Transport } from '@eventfold/messaging/spi'
import type { CommandSender } from './command-senders'

/** Options of {@link transportCommands}. */
export interface TransportCommandsOptions {
  /** The sending service, the envelope's `source`. */
  readonly source: string
  /** The topic of a service's commands. @default `<service>.commands` */
  readonly topicOf?: (service: string) => string
  /** @default the system time */
  readonly now?: () => Date
}

/**
 * Sends saga commands `to` another service as integration commands: one
 * message on the service's commands topic, keyed by the saga instance (its
 * commands keep their order), whose id is the command id. The receiving
 * service consumes the topic with a consumer whose handlers execute the
 * commands; its inbox, keyed by the message id, gives a command sent again
 * no second effect.
 * @example
 * ```ts
 * const sagas = new Sagas({ documents, sagas: [OrderSaga], integration: transportCommands(transport, { source: 'orders' }) })
 * ```
 */
export const transportCommands = (transport: Transport, { source, topicOf = (service) => `${service}.commands`, now = () => new Date() }: TransportCommandsOptions): CommandSender => {
  return async (_command, record) => {
    const { sagaId, correlationId, causationId } = record.metadata
    const message = encodeEnvelope({
      id: record.id,
      type: record.type,
      source,
      streamId: sagaId ?? record.id,
      revision: 0n,
      position: 0n,
      occurredAt: now().toISOString(),
      ...(correlationId !== undefined && { correlationId }),
      ...(causationId !== undefined && { causationId }),
      payload: 'full',
      data: record.data,
    })
    await transport.publish(topicOf(record.to ?? source), [message])
  }
}
