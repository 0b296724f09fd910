import { Command, CommanderError, Option } from 'commander'
import { deadlinesCommand } from './commands/deadlines'
import { sagasCommand } from './commands/sagas'
import { consumersCommand } from './commands/consumers'
import { dlqCommand } from './commands/dlq'
import { parkedCommand } from './commands/parked'
import { projectionsCommand } from './commands/projections'
import { relayCommand } from './commands/relay'
import { replayCommand } from './commands/replay'
import { streamsCommand } from './commands/streams'
import { traceCommand } from './commands/trace'
import { serveCommand } from './serve/command'
import { EXIT, exitCodeOf } from './errors'
import { escapeControls, escapeLines } from './output/terminal'
import { LOG_LEVELS, logToStderr } from './telemetry/logging'

const VERSION: string = (require('../package.json') as { version: string }).version

/** Commander's own errors that mean "the command line was wrong". */
const isCommanderUsageError = (e: CommanderError): boolean =>
  // A group called without a subcommand prints its help as an error (exit code 1).
  e.code === 'commander.help' ? e.exitCode !== 0 : !['commander.helpDisplayed', 'commander.version', 'commander.executeSubCommandAsync'].includes(e.code)

/** The `eventfold` program, with every command registered. */
export const createProgram = (): Command => {
  const program = new Command('eventfold')
    .description('Inspect the event log, trace flows across services, replay aggregates, and run, rebuild and repair projections.')
    .version(VERSION, '-V, --version')
    .option('-c, --config <path>', 'config file (default: eventfold.config.{js,cjs,mjs,json,ts} in the working directory)')
    .addOption(new Option('--log-level <level>', "the framework's logs as JSON lines on stderr, with trace and correlation ids (default: warnings only, as process warnings)").choices(LOG_LEVELS))
    // Commander's own messages ("error: unknown option …") in the form of every other error, escaped like
    // them, on one line with the pointer to --help that the command groups' messages carry too.
    .configureOutput({
      outputError: (text, write) => write(text.startsWith('error: ') ? `eventfold: ${escapeControls(text.trimEnd())} (add --help for usage)\n` : escapeLines(text)),
    })
    // Errors are turned into exit codes by runCli, never by commander's process.exit.
    .exitOverride()
    .hook('preAction', (_program, action) => {
      const { logLevel } = action.optsWithGlobals() as { logLevel?: (typeof LOG_LEVELS)[number] }
      if (logLevel !== undefined) logToStderr(logLevel)
    })
  streamsCommand(program)
  replayCommand(program)
  projectionsCommand(program)
  dlqCommand(program)
  deadlinesCommand(program)
  sagasCommand(program)
  relayCommand(program)
  consumersCommand(program)
  parkedCommand(program)
  traceCommand(program)
  serveCommand(program)
  return program
}

/** The error's message, and the first line of its cause's when it adds something. */
const describe = (error: unknown): string => {
  const e = error as Error
  const message = e?.message ?? String(error)
  // A store error that names its file and driver code says all its cause would.
  if ((e as { type?: unknown } | null)?.type === 'permanent-store') return message
  const cause = String((e?.cause as Error | undefined)?.message ?? '').split('\n')[0]!
  return cause && !message.includes(cause) ? `${message} (cause: ${cause})` : message
}

/**
 * Runs the CLI on `argv` (as `process.argv`) and resolves with the exit code:
 * 0 ok, 1 failure, 2 usage error (nothing was changed).
 */
export const runCli = async (argv: readonly string[]): Promise<number> => {
  try {
    await createProgram().parseAsync(argv as string[])
    return EXIT.ok
  } catch (error) {
    if (error instanceof CommanderError) return isCommanderUsageError(error) ? EXIT.usage : EXIT.ok
    const code = exitCodeOf(error)
    // One line, escaped: messages quote stream ids, event types and errors that anyone may have written.
    process.stderr.write(`eventfold: error: ${escapeControls(describe(error))}\n`)
    if (code === EXIT.failure && process.env.EVENTFOLD_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`)
    return code
  }
}
