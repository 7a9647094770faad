import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import request from 'supertest'
import { DEFAULT_USERS, DEMO_CLIENT, startEmulator, type RunningEmulator } from '../../src/emulator/index.js'
import { authorize } from '../helpers/login.js'
import { README, codeBlocks, consumerProject, typeCheck, writeFiles } from './consumer-project.js'

/**
 * The names README blocks use without declaring them (the app, the options and verify function of the quick start,
 * a session store …), declared once as a consumer's surrounding code would have them. A block that imports a name
 * shadows the declaration here.
 */
const CONTEXT = `
declare const app: import('express').Express
declare const passport: import('passport').PassportStatic
declare const session: typeof import('express-session')
declare const sessionStore: import('express-session').Store
declare const options: Omit<import('passport-freedom-id').FreedomIdStrategyOptions, 'passReqToCallback' | 'passParamsToCallback'>
declare const verify: import('passport-freedom-id').VerifyFunction
declare const clientID: string
declare const clientSecret: string
declare const accessToken: string
declare const refreshToken: string
declare const signal: AbortSignal
declare const denyList: Set<string>
declare const FreedomIdStrategy: typeof import('passport-freedom-id').FreedomIdStrategy
declare const RedisSessionIndex: typeof import('passport-freedom-id').RedisSessionIndex
`

/** What a TypeScript consumer compiles with: strict, and the library's own .d.ts files checked too. */
const TSCONFIG = {
  compilerOptions: {
    strict: true,
    skipLibCheck: false,
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2022',
    lib: ['es2023'],
    noEmit: true,
    esModuleInterop: true,
    types: [],
  },
}

const blocks = codeBlocks(README(), 'ts')
const fileOf = (i: number) => `readme-${String(i + 1).padStart(2, '0')}.ts`

describe('the README', () => {
  let dir: string
  beforeAll(async () => {
    dir = await consumerProject('readme')
    const files: Record<string, string> = { 'context.d.ts': CONTEXT, 'tsconfig.json': JSON.stringify(TSCONFIG, null, 2) }
    blocks.forEach((block, i) => {
      // `export {}` keeps each block a module, so that two blocks' top-level names never collide.
      if (!block.fragment) files[fileOf(i)] = `${block.code}\nexport {}\n`
    })
    writeFiles(dir, files)
  }, 120_000)

  test('has TypeScript blocks for the quick start, verify forms, revoke wiring, refresher, API client, errors and emulator', () => {
    const headings = blocks.filter((b) => !b.fragment).map((b) => b.heading)
    for (const heading of [
      'Quick start',
      'The verify callback',
      'Provider sign-out (revoke_uri)',
      'createTokenRefresher(options)',
      'createFreedomIdClient(options)',
      'Errors',
      'Testing with the emulator',
    ]) {
      expect(headings).toContain(heading)
    }
  })

  test('only excerpts of apps tested elsewhere are marked as fragments', () => {
    const fragments = blocks.filter((b) => b.fragment)
    // The Frameworks section's blocks are the compatibility suite's code (test/compat/readme.test.ts checks them).
    const tested = ['NestJS, Fastify', 'Express 4 and 5', 'cookie-session', 'NestJS', 'Fastify']
    for (const b of fragments) expect(tested).toContain(b.heading)
  })

  test('every TypeScript block type-checks as a consumer would: strict, skipLibCheck false, nodenext', async () => {
    const { code, output } = await typeCheck(dir)
    const located = output.replace(/readme-(\d+)\.ts\((\d+),/g, (_m, n: string, line: string) => {
      const block = blocks[Number(n) - 1]!
      return `README.md line ${block.line + Number(line) - 1} (under "${block.heading}") (`
    })
    expect(located).toBe('')
    expect(code).toBe(0)
  }, 120_000)

  describe('the quick start, run as written', () => {
    let emulator: RunningEmulator
    let app: ChildProcess | undefined
    let port: number
    let log = ''

    beforeAll(async () => {
      emulator = await startEmulator({ autoLogin: DEFAULT_USERS[0]!.sub })
      port = await freePort()
      const quickStart = blocks.findIndex((b) => b.heading === 'Quick start')
      app = spawn(process.execPath, ['--import', 'tsx', join(dir, fileOf(quickStart))], {
        cwd: dir,
        env: {
          ...process.env,
          NODE_OPTIONS: '',
          PORT: String(port),
          FREEDOM_ID_ISSUER: emulator.url,
          FREEDOM_ID_CALLBACK_URL: `http://localhost:${port}/auth/freedom-id/callback`,
          FREEDOM_ID_CLIENT_ID: DEMO_CLIENT.clientID,
          FREEDOM_ID_CLIENT_SECRET: DEMO_CLIENT.clientSecret,
          SESSION_SECRET: 'readme quick start test',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      app.stdout!.on('data', (d: Buffer) => (log += d))
      app.stderr!.on('data', (d: Buffer) => (log += d))
      await waitForPort(port, () => log)
    }, 60_000)

    afterAll(async () => {
      app?.kill()
      await emulator?.close()
    })

    test('signs in over plain http://localhost against the emulator', async () => {
      const agent = request.agent(`http://localhost:${port}`)
      const start = await agent.get('/auth/freedom-id').expect(302)
      expect(start.headers.location).toMatch(new RegExp(`^${emulator.url}/openid\\?`))
      const cookie = String(start.headers['set-cookie'])
      expect(cookie).toMatch(/HttpOnly/)
      expect(cookie).not.toMatch(/Secure/)
      const callback = await authorize(start.headers.location!)
      await agent.get(`/auth/freedom-id/callback?${callback}`).expect(302).expect('location', '/profile')
      const profile = await agent.get('/profile').expect(200)
      const user = DEFAULT_USERS[0]!
      expect(profile.body).toEqual({ id: user.sub, name: `${user.firstname} ${user.lastname}`, email: user.email })
    })
  })
})

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

async function waitForPort(port: number, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    const up = await fetch(`http://localhost:${port}/profile`, { redirect: 'manual' }).then(
      () => true,
      () => false,
    )
    if (up) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`the quick start did not listen on ${port}:\n${log()}`)
}
