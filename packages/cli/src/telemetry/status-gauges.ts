import { metrics } from '@opentelemetry/api'
import type { EventStore } from '@eventfold/core'
import type { DocumentStore, ProjectionDefinition } from '@eventfold/projections'
import { relayStatus } from '@eventfold/messaging'
import { observeActiveSagas, Sagas } from '@eventfold/sagas'
import { projectionStatus } from '../commands/projections/status-report'

// Gauges read from the stores at each scrape, by the same functions as the `status` commands, so a scrape and a status agree.

const meter = () => metrics.getMeter('@eventfold/cli')

/**
 * Reports each projection's lag in events (per generation and partition,
 * as `projections status` counts it) and its dead letters.
 */
export const observeProjections = (eventStore: EventStore, documents: DocumentStore, projections: readonly ProjectionDefinition[]): void => {
  const m = meter()
  const lag = m.createObservableGauge('eventfold.projection.lag.events', { description: 'Events of the projection’s types after its checkpoint, per partition' })
  const deadLetters = m.createObservableGauge('eventfold.projection.dead_letters', { description: 'Dead letters parked by the projection' })
  m.addBatchObservableCallback(
    async (result) => {
      for (const projection of projections) {
        const status = await projectionStatus(eventStore, documents, projection)
        result.observe(deadLetters, status.deadLetters, { projection: status.name })
        for (const [generation, rebuilding] of [[status.active, false], [status.rebuilding, true]] as const) {
          for (const p of generation?.partitions ?? []) {
            result.observe(lag, p.lag, { projection: status.name, generation: String(generation!.generation), partition: p.partition, rebuilding: String(rebuilding) })
          }
        }
      }
    },
    [lag, deadLetters],
  )
}

/** Reports the relay's lag in positions per partition (as `relay status` counts it) and its parked events. */
export const observeRelay = (eventStore: EventStore, documents: DocumentStore, name: string | undefined): void => {
  const m = meter()
  const lag = m.createObservableGauge('eventfold.relay.lag.events', { description: 'Positions between the relay’s checkpoint and the head of the log, per partition' })
  const parked = m.createObservableGauge('eventfold.relay.parked', { description: 'Events the relay parked' })
  m.addBatchObservableCallback(
    async (result) => {
      const status = await relayStatus(eventStore, documents, name !== undefined ? { name } : {})
      result.observe(parked, status.parked, { relay: status.relay })
      for (const p of status.partitions) result.observe(lag, Number(p.lag), { relay: status.relay, partition: p.partition })
    },
    [lag, parked],
  )
}

/** Reports the active saga instances per saga name (`eventfold.sagas.active`), as `sagas list --state active` lists them. */
export const observeSagas = (documents: DocumentStore): void => {
  observeActiveSagas(new Sagas({ documents, sagas: [] }))
}
