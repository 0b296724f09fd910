import type { Command } from 'commander'
import { commandGroup } from '../group'
import { listCommand } from './list'
import { rebuildCommand } from './rebuild'
import { resetCommand } from './reset'
import { runCommand } from './run'
import { statusCommand } from './status'

/** `eventfold projections list|status|run|rebuild|reset`. */
export const projectionsCommand = (program: Command): void => {
  const projections = commandGroup(program, 'projections', 'inspect, run, rebuild and reset projections')
  listCommand(projections)
  statusCommand(projections)
  runCommand(projections)
  rebuildCommand(projections)
  resetCommand(projections)
}
