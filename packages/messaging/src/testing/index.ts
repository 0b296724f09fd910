export { type TransportCapabilities, type TransportContractOptions, type TransportUnderTest, transportContract } from './transport-contract'
export { type InboxCapabilities, type InboxUnderTest, inboxContract } from './inbox-contract'
export { inMemoryInbox } from './in-memory-inbox'
export { type ConsumerCrashOptions, consumerCrashSuite } from './consumer-crash-suite'
