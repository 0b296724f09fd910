export { TestClock } from '../clock/test-clock'
export { deadlineStoreContract, type DeadlineStoreUnderTest } from './deadline-store-contract'
