// One jest run over every package. Sources are transformed by SWC with the
// same decorator settings as tsc (legacy decorators + design:* metadata), so
// tests run against src/ without a build step; packages map to their src/.
/** @type {import('jest').Config} */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
]

module.exports = {
  testEnvironment: 'node',
  // Only source trees (and the scripts' own tests): .services/ holds server data jest must not crawl.
  roots: ['<rootDir>/packages', '<rootDir>/samples', '<rootDir>/scripts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: {
    '^@eventfold/core$': '<rootDir>/packages/core/src/index.ts',
    '^@eventfold/core/spi$': '<rootDir>/packages/core/src/spi.ts',
    '^@eventfold/core/testing$': '<rootDir>/packages/core/src/testing/index.ts',
    '^@eventfold/core/testing/seeded-random$': '<rootDir>/packages/core/src/testing/seeded-random.ts',
    '^@eventfold/projections$': '<rootDir>/packages/projections/src/index.ts',
    '^@eventfold/projections/spi$': '<rootDir>/packages/projections/src/spi.ts',
    '^@eventfold/projections/engine$': '<rootDir>/packages/projections/src/worker/engine/index.ts',
    '^@eventfold/projections/testing$': '<rootDir>/packages/projections/src/testing/index.ts',
    '^@eventfold/messaging$': '<rootDir>/packages/messaging/src/index.ts',
    '^@eventfold/messaging/spi$': '<rootDir>/packages/messaging/src/spi.ts',
    '^@eventfold/messaging/testing$': '<rootDir>/packages/messaging/src/testing/index.ts',
    '^@eventfold/projections/testing/scale-out-worker$': '<rootDir>/packages/projections/src/testing/scale-out-worker.ts',
    '^@eventfold/(sqlite|mongodb|postgresql|eventstoredb|kafka)$': '<rootDir>/packages/adapters/$1/src/index.ts',
  },
  testMatch: ['<rootDir>/{packages,samples}/**/src/**/*.test.ts', '<rootDir>/scripts/*.test.{ts,js}'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/'],
  testTimeout: 30000,
  reporters: ['default', '<rootDir>/scripts/jest-summary-reporter.js'],
}
