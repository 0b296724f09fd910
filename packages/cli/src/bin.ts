#!/usr/bin/env node
import { runCli } from './cli'
import { EXIT } from './errors'

// A reader that stops early (`eventfold streams read … | head`) closes the
// pipe: the command stops quietly, as a tool killed by SIGPIPE does. Work
// that was writing (a rebuild) stays resumable, as after any interruption.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(EXIT.brokenPipe)
    throw error
  })
}

void runCli(process.argv).then((code) => {
  process.exitCode = code
  // A store that leaks a timer or handle must not keep a finished command alive.
  setTimeout(() => process.exit(code), 2000).unref()
})
