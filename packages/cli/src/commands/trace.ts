import type { Command } from 'commander'
import { printJson } from '../output/json'
import { escapeControls, quote, writeErr, writeOut } from '../output/terminal'
import { renderTraceTree } from '../output/trace-tree'
import { scanPercent, type ScanProgress } from '../trace/find-correlated'
import { flowTraceJson, traceFlow, type FlowTrace } from '../trace/trace-flow'
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
      process.stderr.write(`\r\x1b[Kscanning the log of ${quote(p.service)} (no correlation index): position ${p.position} of ${p.head} (${scanPercent(p)}%)`)
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
          const progress = scanProgress()
          let trace: FlowTrace
          try {
            trace = await traceFlow(await ctx.app(), correlationId, { onScan: progress.update })
          } finally {
            progress.clear()
          }
          for (const l of trace.services) {
            if (l.unreadable > 0) writeErr(`eventfold: warning: ${l.unreadable} event(s) of ${quote(l.name)} have metadata that is not JSON and were left out\n`)
          }
          if (opts.json) {
            printJson(flowTraceJson(trace))
            return
          }
          const spanning = trace.services.filter((l) => l.events > 0).map((l) => escapeControls(l.name))
          writeOut(`trace ${quote(correlationId)}: ${trace.events.length} event(s) in ${spanning.length} service(s) (${spanning.join(', ')})\n\n`)
          process.stdout.write(renderTraceTree(trace.tree))
        },
        { readOnly: true },
      ),
    )
}
