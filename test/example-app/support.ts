import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import request from 'supertest'
import { request as httpRequest } from 'undici'
import { createApp } from '../../example-app/app.js'
import { loadConfig, type AppConfig } from '../../example-app/config.js'
import { createMemoryStores, type AppStores } from '../../example-app/stores.js'
import type { RunningEmulator } from '../../src/emulator/index.js'
import { authorize } from '../helpers/login.js'

/** The example app listening on 127.0.0.1 port 0, talking to `emulator`. */
export interface RunningApp {
  url: string
  config: AppConfig
  stores: AppStores
  /** Lines the app logged. */
  logs: string[]
  close(): Promise<void>
}

/** Starts `createApp` on a real socket (the emulator POSTs sign-outs to it) with the emulator-mode configuration. */
export async function startApp(
  emulator: RunningEmulator,
  overrides: Partial<AppConfig> = {},
  stores: AppStores = createMemoryStores(),
): Promise<RunningApp> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const logs: string[] = []
  const loaded = loadConfig({})
  const revokePath = overrides.revokePath ?? loaded.revokePath
  const config: AppConfig = {
    ...loaded,
    issuer: emulator.url,
    revokeURL: `${url}${revokePath}`,
    origins: [url],
    log: (line) => logs.push(line),
    ...overrides,
  }
  server.on('request', createApp(config, stores))
  return {
    url,
    config,
    stores,
    logs,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

export type Agent = ReturnType<typeof request.agent>

/**
 * Signs in through the app with the emulator in automatic mode: start, the emulator's redirect, the callback.
 * Resolves with the callback's redirect target.
 */
export async function signIn(agent: Agent, startPath = '/auth/freedom-id'): Promise<string> {
  const start = await agent.get(startPath).expect(302)
  const callback = await authorize(start.headers.location!)
  const done = await agent.get(`/auth/freedom-id/callback?${callback}`).expect(302)
  return done.headers.location!
}

/** Reads the hidden inputs and action of the form whose button says `button`. */
export function formWithButton(html: string, button: string): { action: string; fields: Record<string, string> } {
  const forms = html.match(/<form[\s\S]*?<\/form>/g) ?? []
  const form = forms.find((f) => f.includes(`>${button}</button>`))
  if (!form) throw new Error(`no form with a "${button}" button`)
  const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')
  const action = unescape(/action="([^"]*)"/.exec(form)![1]!)
  const fields: Record<string, string> = {}
  for (const [, name, value] of form.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    fields[unescape(name!)] = unescape(value!)
  }
  return { action, fields }
}

/** POSTs a form to another server (the emulator) and returns the status and `Location`. */
export async function postForm(url: string, fields: Record<string, string>): Promise<{ status: number; location?: string }> {
  const res = await httpRequest(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  })
  await res.body.dump()
  const location = res.headers.location
  return { status: res.statusCode, ...(typeof location === 'string' && { location }) }
}
