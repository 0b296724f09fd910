/** Container identifiers of eventfold's services. */
export const TOKENS = {
  EventStore: Symbol.for('eventfold.EventStore'),
  SnapshotStore: Symbol.for('eventfold.SnapshotStore'),
  EventRegistry: Symbol.for('eventfold.EventRegistry'),
  AggregateRepository: Symbol.for('eventfold.AggregateRepository'),
  CommandBus: Symbol.for('eventfold.CommandBus'),
  QueryBus: Symbol.for('eventfold.QueryBus'),
  EventBus: Symbol.for('eventfold.EventBus'),
} as const
