export { decodeEnvelope, encodeEnvelope } from './envelope/codec'
export type { Delivery, PartitionLag, StartFrom, SubscribeOptions, Subscription, TopicSpec, Transport, TransportMessage } from './transport/transport'
export type { InboxCommitRequest, InboxStore, StreamAppend } from './inbox/inbox-store'
export { INBOX_COLLECTION, PARKED_COLLECTION } from './inbox/inbox-records'
