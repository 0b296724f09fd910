import { EXIT } from '../errors'
import { writeErr } from '../output/terminal'

/**
 * Calls `onFirst` on the first SIGINT or SIGTERM; a second one exits at once
 * (for the operator whose graceful stop takes too long). Returns a function
 * that removes the handlers.
 */
export const onStopSignal = (onFirst: (signal: NodeJS.Signals) => void): (() => void) => {
  let received = false
  const handler = (signal: NodeJS.Signals): void => {
    if (received) {
      writeErr(`\n${signal} again: exiting without waiting\n`)
      process.exit(EXIT.interrupted)
    }
    received = true
    onFirst(signal)
  }
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
  return () => {
    process.off('SIGINT', handler)
    process.off('SIGTERM', handler)
  }
}
