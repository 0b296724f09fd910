export { decodeEnvelope, encodeEnvelope } from './envelope/codec'
export type { Delivery, PartitionLag, StartFrom, SubscribeOptions, Subscription, TopicSpec, Transport, TransportMessage } from './transport/transport'
