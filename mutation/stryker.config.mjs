/**
 * Stryker configuration of one module of mutation/modules.mjs, chosen by the MUTATE_MODULE environment variable.
 * Run it through `npm run mutate` (mutation/run.mjs), which sets the variable and runs each module in turn.
 */
import { fileURLToPath } from 'node:url'
import { MODULES } from './modules.mjs'

const name = process.env.MUTATE_MODULE ?? ''
const module = MODULES[name]
if (!module) throw new Error(`MUTATE_MODULE must be one of: ${Object.keys(MODULES).join(', ')}`)

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'jest',
  testRunnerNodeArgs: ['--experimental-vm-modules'],
  coverageAnalysis: 'perTest',
  plugins: ['@stryker-mutator/jest-runner', fileURLToPath(new URL('./message-ignorer.mjs', import.meta.url))],
  ignorers: ['message-text'],
  mutate: module.mutate,
  jest: {
    projectType: 'custom',
    configFile: 'jest.config.js',
    enableFindRelatedTests: false,
    config: {
      collectCoverage: false,
      coverageThreshold: {},
      testMatch: module.tests.map((glob) => `<rootDir>/${glob}`),
    },
  },
  concurrency: Number(process.env.MUTATE_CONCURRENCY ?? 2),
  timeoutMS: 10_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  thresholds: { high: 90, low: 80, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
}
