export { TestClock } from '../clock/test-clock'
export { deadlineStoreContract, type DeadlineStoreUnderTest } from './deadline-store-contract'
export { deadlineWorkerSuite, type DeadlineWorkerSuiteOptions, type DeadlineSuiteStores } from './deadline-worker-suite'
export { sagaSuite, type SagaStoresUnderTest } from './saga-suite'
