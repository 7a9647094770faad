import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, test } from '@jest/globals'
import { consumerProject, writeFiles } from './consumer-project.js'

const run = promisify(execFile)

/**
 * Lists every module a fresh Node process loads for one import: ES modules through a load hook, CommonJS modules
 * from `require.cache` (express and its dependencies are CommonJS).
 */
const LIST_MODULES = `
import { register, createRequire } from 'node:module'
import { appendFileSync } from 'node:fs'
const log = process.env.LOADED_LOG
register('data:text/javascript,' + encodeURIComponent(\`
  import { appendFileSync } from 'node:fs'
  export async function load(url, context, next) {
    appendFileSync(\${JSON.stringify(log)}, url + '\\\\n')
    return next(url, context)
  }\`))
await import(process.argv[2])
appendFileSync(log, Object.keys(createRequire(import.meta.url).cache).join('\\n') + '\\n')
`

describe('the main entry', () => {
  let dir: string
  const loaded = async (specifier: string): Promise<string[]> => {
    const log = join(dir, `loaded-${specifier.replace(/\W/g, '_')}.txt`)
    writeFiles(dir, { [log.slice(dir.length + 1)]: '' })
    await run(process.execPath, ['list-modules.mjs', specifier], { cwd: dir, env: { ...process.env, NODE_OPTIONS: '', LOADED_LOG: log } })
    return readFileSync(log, 'utf8').split('\n').filter(Boolean)
  }

  beforeAll(async () => {
    dir = await consumerProject('light-entry')
    writeFiles(dir, { 'list-modules.mjs': LIST_MODULES })
  }, 120_000)

  test('importing passport-freedom-id loads neither express nor the emulator', async () => {
    const modules = await loaded('passport-freedom-id')
    expect(modules.some((m) => m.includes('/passport-freedom-id/dist/index.js'))).toBe(true)
    expect(modules.filter((m) => /\/node_modules\/express\//.test(m))).toEqual([])
    expect(modules.filter((m) => m.includes('/passport-freedom-id/dist/emulator/'))).toEqual([])
  }, 60_000)

  test('importing passport-freedom-id/emulator does load express (the list sees what is loaded)', async () => {
    const modules = await loaded('passport-freedom-id/emulator')
    expect(modules.some((m) => /\/node_modules\/express\//.test(m))).toBe(true)
    expect(modules.some((m) => m.includes('/passport-freedom-id/dist/emulator/index.js'))).toBe(true)
  }, 60_000)
})
