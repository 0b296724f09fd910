export * from './aggregate-spec'
export * from './event-store-contract'
export * from './seeded-random'
