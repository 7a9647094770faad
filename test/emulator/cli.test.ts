import { afterEach, describe, expect, it, jest } from '@jest/globals'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { request } from 'undici'
import { DEMO_CLIENT } from '../../src/emulator/index.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

jest.setTimeout(30_000)

const running: ChildProcess[] = []
afterEach(async () => {
  await Promise.all(
    running.splice(0).map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      await once(child, 'exit')
    }),
  )
})

/** Runs `freedom-id-emulator` (from source, through tsx) with `args` and waits for the URL it prints. */
async function startCLI(args: string[]): Promise<{ url: string; output: () => string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== 'NODE_OPTIONS'))
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/emulator/cli.ts', '--port', '0', ...args], { cwd: ROOT, env })
  running.push(child)
  let output = ''
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()))
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    const match = /listening on (http:\/\/\S+)/.exec(output)
    if (match && /client_id/.test(output) && (!args.includes('--strict') || /strict/.test(output.split('client_id')[1]!))) {
      return { url: match[1]!, output: () => output }
    }
    if (child.exitCode !== null) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`the emulator printed no URL:\n${output}`)
}

const basic = `Basic ${Buffer.from(`${DEMO_CLIENT.clientID}:${DEMO_CLIENT.clientSecret}`).toString('base64')}`

describe('freedom-id-emulator', () => {
  it('serves discovery by default', async () => {
    const { url, output } = await startCLI([])
    const res = await request(`${url}/.well-known/openid-configuration`)
    expect(res.statusCode).toBe(200)
    expect(((await res.body.json()) as { issuer: string }).issuer).toBe(url)
    expect(output()).not.toMatch(/strict/)
  })

  it('--strict runs the strict preset and says so', async () => {
    const { url, output } = await startCLI(['--strict'])
    expect(output()).toMatch(/strict\s+no discovery, no JWKS, HS256 id_tokens/)
    expect((await request(`${url}/.well-known/openid-configuration`)).statusCode).toBe(404)
    const form = await request(`${url}/api/v1/oauth/token`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'authorization_code=x',
    })
    expect(form.statusCode).toBe(415)
    await form.body.dump()
    const json = await request(`${url}/api/v1/oauth/token`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/json' },
      body: JSON.stringify({ authorization_code: 'x' }),
    })
    expect([json.statusCode, await json.body.json()]).toEqual([200, { error: { message: 'Invalid authorization_code.', code: 100101 } }])
  })

  it('--redirect-uri registers exact redirect URIs for the client', async () => {
    const { url } = await startCLI(['--strict', '--redirect-uri', 'https://app.example/cb', '--redirect-uri', 'https://app.example/cb2'])
    const link = async (redirectURI: string) => {
      const res = await request(`${url}/api/v1/oauth/authorize`, {
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/json' },
        body: JSON.stringify({ redirect_uri: redirectURI, grants: ['read.email'] }),
      })
      return (await res.body.json()) as Record<string, unknown>
    }
    expect((await link('https://app.example/cb2')).redirect_uri).toEqual(expect.stringContaining('/login?track_id='))
    expect((await link('https://app.example/cb?state=1')).error).toBeDefined()
  })
})
