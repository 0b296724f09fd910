import { Command, CommanderError } from 'commander'
import { dlqCommand } from './commands/dlq'
import { projectionsCommand } from './commands/projections'
import { replayCommand } from './commands/replay'
import { streamsCommand } from './commands/streams'
import { EXIT, exitCodeOf } from './errors'

const VERSION: string = (require('../package.json') as { version: string }).version

/** Commander's own errors that mean "the command line was wrong". */
const isCommanderUsageError = (e: CommanderError): boolean =>
  // A group called without a subcommand prints its help as an error (exit code 1).
  e.code === 'commander.help' ? e.exitCode !== 0 : !['commander.helpDisplayed', 'commander.version', 'commander.executeSubCommandAsync'].includes(e.code)

/** The `eventfold` program, with every command registered. */
export const createProgram = (): Command => {
  const program = new Command('eventfold')
    .description('Inspect the event log, replay aggregates, and run, rebuild and repair projections.')
    .version(VERSION, '-V, --version')
    .option('-c, --config <path>', 'config file (default: eventfold.config.{js,cjs,mjs,json,ts} in the working directory)')
    .showHelpAfterError('(add --help for usage)')
    // Errors are turned into exit codes by runCli, never by commander's process.exit.
    .exitOverride()
  streamsCommand(program)
  replayCommand(program)
  projectionsCommand(program)
  dlqCommand(program)
  return program
}

const describe = (error: unknown): string => {
  const e = error as Error
  const cause = e?.cause as Error | undefined
  return `${e?.message ?? String(error)}${cause?.message && !e.message.includes(cause.message) ? ` (cause: ${cause.message})` : ''}`
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
    process.stderr.write(`eventfold: error: ${describe(error)}\n`)
    if (code === EXIT.failure && process.env.EVENTFOLD_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`)
    return code
  }
}
