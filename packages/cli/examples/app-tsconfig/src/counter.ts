// An application module compiled with the tsconfig beside it (by the CLI's
// readme test), so that the tsconfig the README shows is known to work.
import { Aggregate, AggregateId, AggregateRoot, Command, CommandHandler, Event, EventSourcingHandler, type RecordedEvent } from '@eventfold/core'
import { On, Projection, type Documents } from '@eventfold/projections'

@Event('CounterIncremented')
export class CounterIncremented {
  constructor(
    readonly counterId: string,
    readonly by: number,
  ) {}
}

@Command('IncrementCounter')
export class IncrementCounter {
  @AggregateId() counterId!: string
  by!: number
}

@Aggregate('Counter')
export class Counter extends AggregateRoot {
  value = 0

  @CommandHandler(IncrementCounter, { creates: true })
  increment(c: IncrementCounter): void {
    this.apply(new CounterIncremented(c.counterId, c.by))
  }

  @EventSourcingHandler(CounterIncremented)
  onIncremented(e: CounterIncremented): void {
    this.value += e.by
  }
}

@Projection('counter-totals', { collection: 'counter_totals' })
export class CounterTotals {
  @On(CounterIncremented)
  incremented(e: RecordedEvent<CounterIncremented>, view: Documents): void {
    view.update(e.data.counterId, { $inc: { total: e.data.by } })
  }
}
