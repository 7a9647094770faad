import { afterAll, afterEach, describe, expect, it } from '@jest/globals'
import express from 'express'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import passport from 'passport'
import { DEFAULT_USERS } from '../../src/emulator/index.js'
import { cookieLoginState, createRevokeRouter } from '../../src/index.js'
import { CookieBrowser } from '../helpers/cookie-browser.js'
import { withEmulator } from '../helpers/emulator.js'
import { appServers } from '../helpers/http-server.js'
import { authorize } from '../helpers/login.js'
import { strategyMaker } from '../helpers/strategies.js'

/** Express 4, installed under an npm alias beside Express 5. */
const express4 = createRequire(import.meta.url)('express4') as typeof express

const REVOKE = '/auth/freedom-id/revoke/s3cr3t'
const alice = DEFAULT_USERS[0]!
const emulator = withEmulator({ autoLogin: alice.sub })
const makeStrategy = strategyMaker(() => emulator().url)
const servers = appServers()
afterEach(() => servers.closeAll())
afterAll(() => makeStrategy.closeAll())

describe.each([
  ['Express 5', express],
  ['Express 4', express4],
])('%s with no session middleware', (_name, framework) => {
  it('signs in with session: false and signs out through onRevoke', async () => {
    const revoked: string[] = []
    const app = framework()
    app.use(REVOKE, createRevokeRouter({ onRevoke: (id) => void revoked.push(id) }))
    const pp = new passport.Passport()
    app.use(pp.initialize())
    app.get('/auth/freedom-id', pp.authenticate('freedom-id', { session: false }))
    app.get('/auth/freedom-id/callback', pp.authenticate('freedom-id', { session: false }), (req, res) => {
      res.json({ user: req.user, tokenId: (req.authInfo as { tokenId?: string }).tokenId })
    })
    const server = await servers.listen(app)
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    pp.use(
      makeStrategy({
        callbackURL: `${base}/auth/freedom-id/callback`,
        revokeURL: `${base}${REVOKE}`,
        loginState: cookieLoginState({ secret: 'a-cookie-secret-of-at-least-32-characters' }),
      }),
    )
    const browser = new CookieBrowser()
    const start = await browser.get(`${base}/auth/freedom-id`)
    expect(start.setCookies[0]).toMatchObject({ httpOnly: true, sameSite: 'lax', path: '/auth/freedom-id/callback', maxAge: 600 })
    const done = await browser.get(`${base}/auth/freedom-id/callback?${await authorize(start.location!)}`)
    expect(done.status).toBe(200)
    const body = JSON.parse(done.body) as { user: { id: string }; tokenId: string }
    expect(body.user).toEqual({ id: alice.sub })
    expect(browser.jar.size).toBe(0)
    await emulator().logout({ tokenId: body.tokenId })
    expect(revoked).toEqual([body.tokenId])
  })
})
