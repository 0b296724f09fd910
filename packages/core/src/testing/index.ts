export * from './aggregate-spec'
export * from './event-store-contract'
export * from './event-store-hostile-input'
export * from './seeded-random'
