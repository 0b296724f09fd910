export * from './eventfold-error'
export * from './errors'
