import { dirname } from 'node:path'
import type { Command } from 'commander'
import { runInScope } from '../config/command-scope'
import type { ServiceLogConnection } from '../config/define-config'
import { UsageError } from '../errors'
import { printJson } from '../output/json'
import { escapeControls, quote, writeErr, writeOut } from '../output/terminal'
import { renderTraceTree, traceNodeJson } from '../output/trace-tree'
import { causalTree, type TracedEvent } from '../trace/causal-tree'
import { CorrelationNotFoundError } from '../trace/errors'
import { findCorrelated, type ScanProgress } from '../trace/find-correlated'
import { withContext } from './context'

/** How often a scan's progress is redrawn on a terminal. */
const PROGRESS_MS = 250

/** A one-line progress display on stderr, redrawn in place; nothing when stderr is not a terminal. */
const scanProgress = () => {
  if (!process.stderr.isTTY) return { update: (_p: ScanProgress) => {}, clear: () => {} }
  let shownAt = 0
  let shown = false
  return {
    update: (p: ScanProgress) => {
      const now = Date.now()
      if (now - shownAt < PROGRESS_MS) return
      shownAt = now
      shown = true
      const percent = p.head > 0n ? Number((p.position * 1000n) / p.head) / 10 : 100
      process.stderr.write(`\r\x1b[Kscanning the log of ${quote(p.service)} (no correlation index): position ${p.position} of ${p.head} (${percent}%)`)
    },
    clear: () => {
      if (shown) process.stderr.write('\r\x1b[K')
      shown = false
    },
  }
}

/** `eventfold trace <correlation-id>`. */
export const traceCommand = (program: Command): void => {
  program
    .command('trace')
    .description("the causal tree of one flow's commands and events (one correlation id), across the logs of every service the config names")
    .argument('<correlation-id>', 'the correlation id every event of the flow carries in its metadata')
    .option('--json', 'print the tree as JSON')
    .action(async (correlationId: string, opts: { json?: boolean }, command: Command) =>
      withContext(
        command,
        async (ctx) => {
          if (correlationId === '') throw new UsageError('the correlation id must not be empty')
          const app = await ctx.app()
          const names = [...app.services.keys()]
          const connections: ServiceLogConnection[] = []
          const events: TracedEvent[] = []
          const lookups: { name: string; events: number; lookup: 'index' | 'scan'; unreadable: number }[] = []
          const progress = scanProgress()
          try {
            for (const [name, service] of app.services) {
              const connection = await runInScope({ readOnly: true, configDir: dirname(app.configPath) }, () => service.connect({ readOnly: true }))
              connections.push(connection)
              const found = await findCorrelated(name, connection.eventStore, correlationId, { onScan: progress.update })
              progress.clear()
              events.push(...found.events)
              lookups.push({ name, events: found.events.length, lookup: found.scanned ? 'scan' : 'index', unreadable: found.unreadable })
            }
          } finally {
            progress.clear()
            await Promise.all(connections.map((c) => c.close()))
          }
          if (events.length === 0) throw new CorrelationNotFoundError(correlationId, names)
          for (const l of lookups) {
            if (l.unreadable > 0) writeErr(`eventfold: warning: ${l.unreadable} event(s) of ${quote(l.name)} have metadata that is not JSON and were left out\n`)
          }
          const tree = causalTree(events, names)
          if (opts.json) {
            printJson({ correlationId, events: events.length, services: lookups, tree: tree.map(traceNodeJson) })
            return
          }
          const spanning = lookups.filter((l) => l.events > 0).map((l) => escapeControls(l.name))
          writeOut(`trace ${quote(correlationId)}: ${events.length} event(s) in ${spanning.length} service(s) (${spanning.join(', ')})\n\n`)
          process.stdout.write(renderTraceTree(tree))
        },
        { readOnly: true },
      ),
    )
}
