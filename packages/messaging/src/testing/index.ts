export { type TransportCapabilities, type TransportContractOptions, type TransportUnderTest, transportContract } from './transport-contract'
