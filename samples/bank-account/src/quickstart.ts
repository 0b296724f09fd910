// The README's quick start. It is compiled with the sample and run by
// quickstart.test.ts; scripts/readme-snippets.test.ts checks that README.md
// quotes it verbatim, so the README cannot drift from the API.
// #region quickstart
import {
  Aggregate,
  AggregateId,
  AggregateRoot,
  Command,
  CommandHandler,
  createEventfold,
  DomainError,
  Event,
  EventSourcingHandler,
  InMemoryEventStore,
} from '@eventfold/core'

@Event('CounterIncremented')
class CounterIncremented {
  constructor(
    readonly counterId: string,
    readonly by: number,
  ) {}
}

@Command('IncrementCounter')
class IncrementCounter {
  @AggregateId() counterId: string
  constructor(
    counterId: string,
    readonly by: number,
  ) {
    this.counterId = counterId
  }
}

@Aggregate('Counter')
class Counter extends AggregateRoot {
  value = 0

  // `creates: false` (the default) would demand an existing stream.
  @CommandHandler(IncrementCounter, { creates: true })
  increment({ counterId, by }: IncrementCounter): void {
    if (by <= 0) throw new DomainError('by must be positive')
    this.apply(new CounterIncremented(counterId, by))
  }

  @EventSourcingHandler(CounterIncremented)
  onIncremented({ by }: CounterIncremented): void {
    this.value += by
  }
}

export async function quickstart(): Promise<number> {
  const app = createEventfold({ eventStore: new InMemoryEventStore(), aggregates: [Counter] })
  const { streamId, nextRevision, position } = await app.commandBus.execute(new IncrementCounter('c1', 2))
  console.log(streamId, nextRevision, position) // Counter-c1 0n 1n
  const { state } = await app.repository.get<Counter>(Counter, 'c1')
  return state.value // 2
}
// #endregion quickstart
