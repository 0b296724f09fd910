#!/usr/bin/env node
import { runCli } from './cli'

void runCli(process.argv).then((code) => {
  process.exitCode = code
  // A store that leaks a timer or handle must not keep a finished command alive.
  setTimeout(() => process.exit(code), 2000).unref()
})
