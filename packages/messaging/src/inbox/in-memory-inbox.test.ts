import { inboxContract, inMemoryInbox } from '../testing'

inboxContract('in-memory', { appends: true }, async () => ({ inbox: inMemoryInbox() }))
