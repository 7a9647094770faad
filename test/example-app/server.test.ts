import { createServer, type Server } from 'node:net'
import { afterEach, describe, expect, it } from '@jest/globals'
import { request } from 'undici'
import { printedURLs, spawnServer, type SpawnedServer } from './spawn-server.js'

let server: SpawnedServer | undefined

afterEach(async () => {
  server?.kill('SIGKILL')
  await server?.exited
  server = undefined
})

describe('npm start (example-app/server.ts)', () => {
  it('starts the emulator and the app on free ports with PORT=0, prints both, and stops on SIGTERM', async () => {
    server = spawnServer({ PORT: '0', EMULATOR_PORT: '0' })
    const urls = await printedURLs(server)
    expect(urls.app).toMatch(/^http:\/\/localhost:[1-9]\d*$/)
    expect(urls.emulator).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/)
    const appPort = new URL(urls.app).port
    const home = await request(`http://127.0.0.1:${appPort}/`)
    expect(home.statusCode).toBe(200)
    expect(await home.body.text()).toContain('Sign in with Freedom ID')
    const start = await request(`http://127.0.0.1:${appPort}/auth/freedom-id`)
    await start.body.dump()
    expect(String(start.headers.location)).toMatch(new RegExp(`^${urls.emulator}/openid\\?`))
    const discovery = await request(`${urls.emulator}/.well-known/openid-configuration`)
    expect(((await discovery.body.json()) as { issuer: string }).issuer).toBe(urls.emulator)
    server.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    expect(server.output()).toContain('SIGTERM: shutting down')
  })

  it('refuses to start without SESSION_SECRET outside emulator mode, naming the variable', async () => {
    server = spawnServer({
      FREEDOM_ID_CLIENT_ID: '6f1c2a9e-0000-4000-8000-000000000001',
      FREEDOM_ID_CLIENT_SECRET: 'client-secret',
      FREEDOM_ID_CALLBACK_URL: 'https://shop.example.kz/auth/freedom-id/callback',
      PORT: '0',
    })
    expect(await server.exited).toBe(1)
    expect(server.output()).toMatch(/^Configuration error: SESSION_SECRET is required when FREEDOM_ID_CLIENT_ID is set/m)
    expect(server.output()).not.toMatch(/\bat .+:\d+:\d+/)
  })

  it.each([
    ['the app', 'PORT', 'The example app'],
    ['the emulator', 'EMULATOR_PORT', 'The Freedom ID emulator'],
  ])('when the port of %s is taken, it says which server and how to pick another', async (_name, variable, what) => {
    const blocker = await occupy()
    const taken = (blocker.address() as { port: number }).port
    try {
      server = spawnServer({ PORT: '0', EMULATOR_PORT: '0', [variable]: String(taken) })
      expect(await server.exited).toBe(1)
      const output = server.output()
      expect(output).toContain(`${what} could not listen on port ${taken}: another program is using it.`)
      expect(output).toContain(`${variable}=0`)
      expect(output).not.toMatch(/EADDRINUSE|\bat .+:\d+:\d+/)
    } finally {
      await new Promise((resolve) => blocker.close(resolve))
    }
  })
})

function occupy(): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer()
    s.listen(0, () => resolve(s))
  })
}
