import { inboxContract, inMemoryInbox } from '../testing'

inboxContract('in-memory', { appends: true, transactions: true }, async () => ({ inbox: inMemoryInbox() }))
