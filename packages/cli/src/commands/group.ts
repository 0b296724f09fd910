import type { Command } from 'commander'
import { UsageError } from '../errors'
import { quote } from '../output/terminal'

/**
 * A command that only holds subcommands (`eventfold streams …`). Called
 * without one, or with one it does not have, it fails with a usage error
 * naming the subcommands, instead of commander's bare help screen.
 */
export const commandGroup = (parent: Command, name: string, description: string): Command => {
  const group = parent.command(name).description(description)
  group.argument('[command]').action((sub: string | undefined) => {
    const known = group.commands.map((c) => c.name()).join(', ')
    throw new UsageError(
      sub === undefined
        ? `'${parent.name()} ${name}' needs a command: ${known} (add --help for usage)`
        : `unknown command ${quote(sub)} for '${parent.name()} ${name}': expected one of ${known} (add --help for usage)`,
    )
  })
  return group
}
