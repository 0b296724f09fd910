export { type TransportCapabilities, type TransportContractOptions, type TransportUnderTest, transportContract } from './transport-contract'
export { type InboxCapabilities, type InboxUnderTest, inboxContract } from './inbox-contract'
export { inMemoryInbox } from './in-memory-inbox'
