import { EventfoldError } from '@eventfold/core'
import { quote } from '../output/terminal'

/** No event of any log the config names carries the correlation id asked for. */
export class CorrelationNotFoundError extends EventfoldError {
  readonly type = 'correlation-not-found' as const
  constructor(
    readonly correlationId: string,
    /** The services whose logs were searched. */
    readonly services: readonly string[],
  ) {
    super(
      `no event has correlation id ${quote(correlationId)} in the log${services.length === 1 ? '' : 's'} of ` +
        `${services.length === 1 ? 'service' : 'services'} ${services.map(quote).join(', ')}`,
    )
  }
}

/** True for a {@link CorrelationNotFoundError}. */
export const isCorrelationNotFoundError = (e: unknown): e is CorrelationNotFoundError => (e as { type?: unknown } | null)?.type === 'correlation-not-found'
