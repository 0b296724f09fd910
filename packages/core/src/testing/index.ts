export * from './aggregate-spec'
export * from './event-store-contract'
