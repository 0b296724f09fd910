import { BatchReader } from '../batch-reader'
import type { EngineSource } from './ports'

/**
 * An async iterable (a consumer group's deliveries, a broker's messages) as
 * a worker's source, finished when the iteration ends. It has no `replay`:
 * the engine keeps each open batch's items, to redo it and to settle them
 * (acknowledge, park) after the commit.
 */
export class IterableSource<T> implements EngineSource<T> {
  private readonly reader: BatchReader<T>

  constructor(items: AsyncIterable<T>) {
    this.reader = new BatchReader(items[Symbol.asyncIterator]())
  }

  read(maxCount: number, maxWaitMs: number, wake: Promise<void>): Promise<T[]> {
    return this.reader.read(maxCount, maxWaitMs, wake)
  }

  get finished(): boolean {
    return this.reader.done
  }
}
