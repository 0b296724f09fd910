// The CLI config of packages/adapters/postgresql/README.md and packages/cli/README.md.
// It is compiled with the sample and run by readme.int.test.ts;
// scripts/readme-snippets.test.ts checks that the READMEs quote it verbatim.
// #region cli-connect
import { PostgresDocumentStore, PostgresEventStore } from '@eventfold/postgresql'

// `connect` of an eventfold.config: the CLI passes readOnly: true for the
// commands that only read, so they never create or migrate the schema.
export const connect = async ({ readOnly }: { readOnly: boolean }) => {
  const url = process.env.POSTGRES_URL!
  const schema = process.env.BANK_SCHEMA ?? 'bank'
  const eventStore = new PostgresEventStore(url, { schema, readOnly })
  const documents = new PostgresDocumentStore(url, { schema, readOnly })
  return {
    eventStore,
    documents,
    close: async () => {
      await eventStore.close()
      await documents.close()
    },
  }
}
// #endregion cli-connect
