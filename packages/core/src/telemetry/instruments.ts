import { metrics, type Meter, type MeterProvider } from '@opentelemetry/api'

const VERSION: string = (require('../../package.json') as { version: string }).version

/**
 * Instruments made on first use from the global meter provider, and made
 * again when the application registers another: the metrics API has no
 * proxy meter, so instruments taken before the SDK would stay no-ops.
 * @example
 * ```ts
 * const instruments = lazyInstruments('@eventfold/core', (meter) => ({ handled: meter.createCounter('eventfold.commands.handled') }))
 * instruments().handled.add(1)
 * ```
 */
export const lazyInstruments = <I>(packageName: string, create: (meter: Meter) => I): (() => I) => {
  let provider: MeterProvider | undefined
  let made: I | undefined
  return () => {
    const current = metrics.getMeterProvider()
    if (current !== provider || made === undefined) {
      provider = current
      made = create(current.getMeter(packageName, VERSION))
    }
    return made
  }
}
