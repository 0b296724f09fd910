export { decodeEnvelope, encodeEnvelope } from './envelope/codec'
export type { Delivery, PartitionLag, StartFrom, SubscribeOptions, Subscription, TopicSpec, Transport, TransportMessage } from './transport/transport'
export { inMemoryDeadLetterTopic } from './transport/in-memory-transport'
export { DEAD_LETTER_REASON_HEADER } from './transport/transport'
