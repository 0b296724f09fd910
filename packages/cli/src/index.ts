// The application API: what an `eventfold.config.*` file and a program that runs
// the command line use. Commands, argument parsing and output are internal.
export { defineConfig, type ConnectOptions, type ConsumerClass, type EventfoldCliConfig, type EventfoldConnection, type ProjectionClass, type RelayConfig, type ServiceContainer, type ServiceLog, type ServiceLogConnection, type TransportFactory } from './config/define-config'
export { connectSqlite } from './config/sqlite'
export { type JsonConfig } from './config/json-config'
export { runCli } from './cli'
export { EXIT } from './errors'
