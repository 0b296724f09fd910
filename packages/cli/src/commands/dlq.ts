import { DeadLetters, retryDeadLetter, type DeadLetter, type DocumentStore } from '@eventfold/projections'
import type { Command } from 'commander'
import { impossibleName, quoteShort } from '../args/names'
import { DeadLetterRetryFailedError, UsageError } from '../errors'
import { printJson } from '../output/json'
import { printTable } from '../output/table'
import type { CliApp } from '../config/app'
import { withContext } from './context'
import { commandGroup } from './group'
import { escapeControls, quote, writeOut } from '../output/terminal'

const unknownLetter = (id: string): UsageError => new UsageError(`no dead letter with id ${quote(id)} (see: eventfold dlq list)`)

const requireLetter = async (documents: DocumentStore, id: string): Promise<DeadLetter> => {
  const impossible = impossibleName(id, 'a dead letter id')
  if (impossible) throw new UsageError(`no dead letter with id ${quoteShort(id)}: ${impossible} (see: eventfold dlq list)`)
  const letter = await new DeadLetters(documents).get(id)
  if (!letter) throw unknownLetter(id)
  return letter
}

/**
 * Applies a dead letter again with the projection's current code, into the
 * generation it was parked from; on success the writes and its removal
 * commit together. Returns the letter as it was before the retry.
 * @throws {@link UsageError} for an unknown letter, an unregistered projection or a retired generation
 * @throws {@link DeadLetterRetryFailedError} when the handler fails again (the letter stays, with one more attempt)
 */
export const retryLetter = async (app: CliApp, documents: DocumentStore, id: string): Promise<DeadLetter> => {
  const letter = await requireLetter(documents, id)
  const projection = app.projections.get(letter.projection)
  if (!projection) {
    throw new UsageError(
      `dead letter ${quote(id)} belongs to projection ${quote(letter.projection)}, which the config does not register ` +
        `(known: ${[...app.projections.keys()].join(', ') || 'none'})`,
    )
  }
  try {
    await retryDeadLetter(documents, projection, id, app.registry)
  } catch (error) {
    if ((error as { type?: unknown }).type === 'dead-letter-not-found') throw unknownLetter(id)
    // A read-only or broken file is not the handler failing again: say what it is.
    if ((error as { type?: unknown }).type === 'permanent-store') throw error
    if ((error as { type?: unknown }).type === 'dead-letter-generation-retired') {
      const { letterGeneration, activeGeneration } = error as { letterGeneration: number; activeGeneration?: number }
      throw new UsageError(
        `dead letter ${quote(id)} of ${quote(letter.projection)} was parked from generation ${letterGeneration}, which is no longer in use ` +
          `(active generation: ${activeGeneration ?? 'none'}): the generation that replaced it read the event again, so it is not applied twice; ` +
          `remove it with: eventfold dlq discard ${quote(id)}`,
      )
    }
    throw new DeadLetterRetryFailedError(id, letter.projection, letter.attempts + 1, error)
  }
  return letter
}

/**
 * Removes a dead letter without applying it; returns it as it was.
 * @throws {@link UsageError} for an unknown letter
 */
export const discardLetter = async (documents: DocumentStore, id: string): Promise<DeadLetter> => {
  const letter = await requireLetter(documents, id)
  if (!(await new DeadLetters(documents).discard(id))) throw unknownLetter(id)
  return letter
}

/** `eventfold dlq list|retry|discard`. */
export const dlqCommand = (program: Command): void => {
  const dlq = commandGroup(program, 'dlq', 'events projections could not apply, parked with their error')

  dlq
    .command('list')
    .description('the dead letters, oldest first')
    .option('--projection <name>', 'only those of this projection')
    .option('--json', 'print JSON')
    .action(async (opts: { projection?: string; json?: boolean }, command: Command) =>
      withContext(command, async (ctx) => {
        if (opts.projection !== undefined) (await ctx.app()).projection(opts.projection)
        const { documents } = await ctx.stores()
        const letters = await new DeadLetters(documents).list(opts.projection)
        // The error's stack stays in the JSON: it is what a person debugging the handler needs.
        if (opts.json) return printJson(letters)
        printTable(
          letters,
          [
            { header: 'ID', value: (d) => d.id },
            { header: 'PROJECTION', value: (d) => d.projection },
            { header: 'PARTITION', value: (d) => d.partition },
            { header: 'EVENT', value: (d) => `${d.event.type} ${d.event.streamId}@${d.event.revision}` },
            { header: 'POSITION', value: (d) => d.event.position, align: 'right' },
            { header: 'ATTEMPTS', value: (d) => String(d.attempts), align: 'right' },
            { header: 'PARKED AT', value: (d) => d.parkedAt },
            { header: 'ERROR', value: (d) => `${d.error.name}: ${d.error.message}`, maxWidth: 80 },
          ],
          opts.projection !== undefined ? `no dead letters for ${quote(opts.projection)}` : 'no dead letters',
        )
      }, { readOnly: true }),
    )

  dlq
    .command('retry')
    .description("apply a dead letter again with the projection's current code; on success it is removed")
    .argument('<id>', 'dead letter id (see: eventfold dlq list)')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }, command: Command) =>
      withContext(command, async (ctx) => {
        const app = await ctx.app()
        const { documents } = await ctx.stores()
        const letter = await retryLetter(app, documents, id)
        const report = { id, projection: letter.projection, event: letter.event, retried: true }
        if (opts.json) return printJson(report)
        writeOut(
          `applied ${escapeControls(`${letter.event.type} ${letter.event.streamId}`)}@${letter.event.revision} (position ${letter.event.position}) to ${quote(letter.projection)}; dead letter ${quote(id)} removed\n`,
        )
      }),
    )

  dlq
    .command('discard')
    .description('remove a dead letter without applying it')
    .argument('<id>', 'dead letter id (see: eventfold dlq list)')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }, command: Command) =>
      withContext(command, async (ctx) => {
        const { documents } = await ctx.stores()
        const letter = await discardLetter(documents, id)
        if (opts.json) return printJson({ id, projection: letter.projection, event: letter.event, discarded: true })
        writeOut(`discarded dead letter ${quote(id)} (${escapeControls(`${letter.event.type} ${letter.event.streamId}`)}@${letter.event.revision} of ${quote(letter.projection)})\n`)
      }),
    )
}
