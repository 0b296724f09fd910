export * from './document-store-contract'
export * from './document-store-hostile-input'
export * from './batch-writes'
export * from './scale-out-suite'
// Also its own entry point, `@eventfold/projections/testing/scale-out-worker`, for worker processes that run without jest.
export * from './scale-out-worker'
export * from './pinned-competing-source'
export * from './competing-consumer-suite'
export * from './unstorable-event-suite'
