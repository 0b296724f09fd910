import type { SchemaModule } from '../pg/migrate'

/**
 * The deadline table, as migration steps of the `'eventfold.deadlines'`
 * schema module: one row per scope and name, kept after it fired (or was
 * parked) so that `eventfold deadlines list` shows what happened. Times are
 * epoch milliseconds as bigint.
 */
export const DEADLINE_SCHEMA: SchemaModule = {
  name: 'eventfold.deadlines',
  steps: [
    (schema) => `
      CREATE TABLE ${schema}.eventfold_deadlines (
        scope        text COLLATE "C" NOT NULL,
        name         text COLLATE "C" NOT NULL,
        id           text NOT NULL,
        due_at       bigint NOT NULL,
        payload      jsonb NOT NULL,
        scheduled_at bigint NOT NULL,
        state        text NOT NULL CHECK (state IN ('pending', 'fired', 'parked')),
        token        bigint NOT NULL DEFAULT 0,
        owner        text,
        lease_until  bigint NOT NULL DEFAULT 0,
        settled_at   bigint,
        error        text,
        PRIMARY KEY (scope, name)
      );
      CREATE INDEX eventfold_deadlines_due ON ${schema}.eventfold_deadlines (state, due_at)`,
  ],
}
