import { ProjectionStates, ProjectionWorker, type WorkerProgress } from '@eventfold/projections'
import type { Command } from 'commander'
import { partitionsOption, portOption } from '../../args/integers'
import { withMetrics } from '../../telemetry/with-metrics'
import { observeProjections, observeSagas } from '../../telemetry/status-gauges'
import { UsageError } from '../../errors'
import { printJson } from '../../output/json'
import { printTable } from '../../output/table'
import { withContext } from '../context'
import { onStopSignal } from '../signals'
import { quote, writeErr } from '../../output/terminal'

interface RunOptions {
  readonly partitions?: number
  readonly catchUp?: boolean
  readonly json?: boolean
  readonly metricsPort?: number
}

/** How often a running worker reports on stderr. */
const REPORT_EVERY_MS = 5000

/** `eventfold projections run [names…]`. */
export const runCommand = (projections: Command): void => {
  projections
    .command('run')
    .description('run projection workers until SIGINT/SIGTERM (the batches in flight finish first)')
    .argument('[names...]', 'projections to run (default: all)')
    .option('--partitions <count>', 'workers per projection, each on one partition (default: what the read model was built with, or 1)', partitionsOption)
    .option('--catch-up', 'stop by itself once every worker has caught up with the head')
    .option('--json', 'print the final counters as JSON')
    .option('--metrics-port <port>', 'serve Prometheus metrics (these workers, and every projection’s lag as `projections status` counts it, active sagas as `sagas list` lists them) at http://127.0.0.1:<port>/metrics; 0 picks a free port', portOption)
    .action(async (names: string[], opts: RunOptions, command: Command) =>
      withContext(command, async (ctx) => {
        const app = await ctx.app()
        const selected = names.length > 0 ? [...new Set(names)].map((n) => app.projection(n)) : [...app.projections.values()]
        if (selected.length === 0) throw new UsageError('the config registers no projections')
        const { eventStore, documents } = await ctx.stores()
        const states = new ProjectionStates(documents)
        // Check every projection before starting any worker, so that bad input changes nothing.
        const plan: { projection: (typeof selected)[number]; partitions: number }[] = []
        for (const projection of selected) {
          const state = await states.get(projection.name)
          const partitions = opts.partitions ?? state?.partitions ?? 1
          if (state && state.generation === 0 && state.rebuilding) {
            throw new UsageError(
              `projection ${quote(projection.name)} has no read model yet: a first rebuild into generation ${state.rebuilding.generation} is in progress; ` +
                `finish it with: eventfold projections rebuild ${projection.name}`,
            )
          }
          if (state && state.partitions !== partitions) {
            throw new UsageError(
              `projection ${quote(projection.name)} is built with ${state.partitions} partition(s), not ${partitions}: ` +
                `run it with --partitions ${state.partitions}, or change the count with: eventfold projections rebuild ${projection.name} --partitions ${partitions}`,
            )
          }
          plan.push({ projection, partitions })
        }

        const workers = plan.flatMap(({ projection, partitions }) =>
          Array.from(
            { length: partitions },
            (_, index) =>
              new ProjectionWorker({
                eventStore,
                documents,
                projection,
                partition: { index, count: partitions },
                registry: app.registry,
                stopAtHead: opts.catchUp === true,
              }),
          ),
        )
        const dispose = onStopSignal((signal) => {
          writeErr(`${signal}: stopping after the batches in flight…\n`)
          void Promise.all(workers.map((w) => w.stop()))
        })
        const reporter = setInterval(() => reportOnStderr(workers.map((w) => w.status)), REPORT_EVERY_MS)
        writeErr(
          `running ${plan.map((p) => `${p.projection.name} (${p.partitions} partition${p.partitions === 1 ? '' : 's'})`).join(', ')}` +
            (opts.catchUp ? ' until caught up\n' : '; Ctrl-C to stop\n'),
        )
        let results: WorkerProgress[]
        // Every projection of the config: one that no worker runs is the one whose lag grows.
        const metrics = await withMetrics(opts.metricsPort, () => {
          observeProjections(eventStore, documents, [...app.projections.values()])
          observeSagas(documents)
        })
        try {
          results = await Promise.all(
            workers.map((w) =>
              w.run().catch(async (error: unknown) => {
                // One failed worker stops the others: a half-running set of projections hides the failure.
                await Promise.all(workers.map((other) => other.stop()))
                throw error
              }),
            ),
          )
        } finally {
          clearInterval(reporter)
          dispose()
          await metrics.close()
        }
        // The engine's lag is milliseconds; `projections status` calls a count of events lag.
        if (opts.json) return printJson(results.map(({ lag, ...rest }) => ({ ...rest, checkpoint: rest.checkpoint ?? null, lagMs: lag })))
        printTable(
          results,
          [
            { header: 'PROJECTION', value: (p) => p.projection },
            { header: 'PARTITION', value: (p) => p.partition },
            { header: 'GEN', value: (p) => String(p.generation), align: 'right' },
            { header: 'CHECKPOINT', value: (p) => p.checkpoint?.toString() ?? 'none', align: 'right' },
            { header: 'APPLIED', value: (p) => String(p.eventsApplied), align: 'right' },
            { header: 'BATCHES', value: (p) => String(p.batches), align: 'right' },
            { header: 'PARKED', value: (p) => String(p.parked), align: 'right' },
          ],
          'no workers ran',
        )
      }),
    )
}

const reportOnStderr = (progress: readonly WorkerProgress[]): void => {
  for (const p of progress) {
    writeErr(`${p.projection} ${p.partition}: checkpoint ${p.checkpoint ?? 'none'}, applied ${p.eventsApplied}, parked ${p.parked}\n`)
  }
}
