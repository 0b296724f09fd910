export { sqliteInbox } from './sqlite-inbox'
