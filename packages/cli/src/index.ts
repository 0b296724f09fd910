// The application API: what an `eventfold.config.*` file and a program that runs
// the command line use. Commands, argument parsing and output are internal.
export { defineConfig, type ConnectOptions, type EventfoldCliConfig, type EventfoldConnection, type ProjectionClass, type ServiceContainer, type ServiceLog, type ServiceLogConnection } from './config/define-config'
export { connectSqlite } from './config/sqlite'
export { type JsonConfig } from './config/json-config'
export { runCli } from './cli'
export { EXIT } from './errors'
