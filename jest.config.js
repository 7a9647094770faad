/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    // NestJS decorators need experimentalDecorators/emitDecoratorMetadata: only that suite's tsconfig sets them.
    '/test/compat/nest/.+\\.ts$': ['<rootDir>/test/compat/nest/ts-jest-decorators.cjs', { useESM: true, tsconfig: 'test/compat/nest/tsconfig.json' }],
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  collectCoverage: true,
  coverageProvider: 'v8',
  collectCoverageFrom: ['src/**/*.ts', '!src/emulator/cli.ts', '!src/emulator/types.ts'],
  coverageReporters: ['text-summary', 'text'],
  coverageThreshold: { global: { lines: 90 } },
  testTimeout: 30000,
}
