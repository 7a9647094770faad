import { afterAll, beforeAll, describe, expect, it, jest, test } from '@jest/globals'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'
import { noteSkip } from '../helpers/skip-note.js'
import { printedURLs, spawnServer, type SpawnedServer } from './spawn-server.js'

const CHROMIUM = '/usr/bin/chromium'
const SHOTS = fileURLToPath(new URL('../../test-artifacts/browser/', import.meta.url))
const INSTALL_HINT = 'install Debian\'s Chromium with: sudo apt-get install -y chromium'

jest.setTimeout(60_000)

function describeWithChromium(name: string, fn: () => void): void {
  if (existsSync(CHROMIUM)) return describe(name, fn)
  if (process.env.CI === 'true') {
    return describe(name, () => {
      test('Chromium is installed', () => {
        throw new Error(`${CHROMIUM} not found; ${INSTALL_HINT}`)
      })
    })
  }
  noteSkip(name, `${CHROMIUM} not found; ${INSTALL_HINT}`)
  describe.skip(name, fn)
}

/** Both of the sample app's modes: sessions (the default), and LOGIN_STATE=cookie with no session middleware. */
const MODES: Array<[string, Record<string, string>]> = [
  ['session', {}],
  ['cookie', { LOGIN_STATE: 'cookie' }],
]

for (const [mode, modeEnv] of MODES) describeWithChromium(`the example app in a real browser (LOGIN_STATE=${mode})`, () => {
  let server: SpawnedServer
  let urls: { app: string; emulator: string }
  let browser: Browser

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true })
    server = spawnServer({ PORT: '0', EMULATOR_PORT: '0', ...modeEnv })
    urls = await printedURLs(server)
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    })
  })
  afterAll(async () => {
    await browser?.close()
    server?.kill('SIGTERM')
    await server?.exited
  })

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(SHOTS, `${mode}-${name}.png`), fullPage: true })
  }

  async function signInAsAigerim(page: Page, prefix: string): Promise<void> {
    await page.goto(urls.app)
    await shot(page, `${prefix}-1-home`)
    await page.getByRole('link', { name: 'Sign in with Freedom ID' }).click()
    await page.waitForURL((url) => url.href.startsWith(`${urls.emulator}/openid?`))
    expect(await page.locator('main p').first().textContent()).toContain('asks to sign you in')
    await shot(page, `${prefix}-2-emulator-pick-a-user`)
    await page.getByRole('button', { name: 'Continue as Aigerim Bekova' }).click()
    await page.waitForURL(`${urls.app}/profile`)
    await shot(page, `${prefix}-3-profile`)
  }

  it('signs in on the emulator page, shows the profile, and signing out of Freedom ID ends the app session', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    try {
      await signInAsAigerim(page, 'provider-sign-out')
      expect(await page.locator('h1').textContent()).toBe('Aigerim Bekova')
      expect(await page.locator('dd').allTextContents()).toEqual(
        expect.arrayContaining(['aigerim.bekova@example.kz', '+77011234567']),
      )
      expect(await page.locator('th', { hasText: /^nonce$/ }).count()).toBe(1)
      const names = (await context.cookies(urls.app)).map((c) => c.name)
      if (mode === 'cookie') expect(names).toEqual(['freedom-id-example.user'])
      else expect(names).toEqual(['freedom-id-example.sid'])

      await page.getByRole('button', { name: 'Sign out of Freedom ID' }).click()
      await page.waitForURL(`${urls.app}/?signedOut=freedom-id`)
      await shot(page, 'provider-sign-out-4-back-in-the-app')
      expect(await page.getByRole('status').textContent()).toContain('You signed out of Freedom ID')
      expect(await page.getByRole('link', { name: 'Sign in with Freedom ID' }).count()).toBe(1)

      await page.goto(`${urls.app}/profile`)
      expect(page.url()).toBe(`${urls.app}/`)
      expect(await page.getByRole('link', { name: 'Sign in with Freedom ID' }).count()).toBe(1)
    } finally {
      await context.close()
    }
  })

  it('signs out of the app alone with the "Sign out" button', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    try {
      await signInAsAigerim(page, 'app-sign-out')
      await page.getByRole('button', { name: 'Sign out', exact: true }).click()
      await page.waitForURL(`${urls.app}/?signedOut=app`)
      await shot(page, 'app-sign-out-4-signed-out')
      expect(await page.getByRole('status').textContent()).toContain('You signed out of this app.')
      await page.goto(`${urls.app}/profile`)
      expect(page.url()).toBe(`${urls.app}/`)
    } finally {
      await context.close()
    }
  })

  it("shows a sentence for people, not the library's message, when the user cancels on the emulator page", async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    try {
      await page.goto(urls.app)
      await page.getByRole('link', { name: 'Sign in with Freedom ID' }).click()
      await page.waitForURL((url) => url.href.startsWith(`${urls.emulator}/openid?`))
      await page.getByRole('button', { name: 'Cancel' }).click()
      await page.waitForURL(`${urls.app}/?error=ACCESS_DENIED`)
      await shot(page, 'cancel-1-failure-shown')
      expect(await page.getByRole('alert').textContent()).toBe('You cancelled the sign-in. Nothing was shared with this app.')
    } finally {
      await context.close()
    }
  })

  it.each([1280, 375])('at %i px wide: no email, id or URL is broken mid-word and nothing scrolls sideways', async (width) => {
    const context = await browser.newContext({ viewport: { width, height: 800 } })
    const page = await context.newPage()
    try {
      await page.goto(urls.app)
      await shot(page, `width-${width}-1-home`)
      expect(await page.locator('link[rel="icon"]').getAttribute('href')).toBe('/favicon.svg')
      await page.getByRole('link', { name: 'Sign in with Freedom ID' }).click()
      await page.waitForURL((url) => url.href.startsWith(`${urls.emulator}/openid?`))
      await shot(page, `width-${width}-2-emulator-pick-a-user`)
      expect(await sidewaysOverflow(page)).toBe(false)
      await page.getByRole('button', { name: 'Continue as Aigerim Bekova' }).click()
      await page.waitForURL(`${urls.app}/profile`)
      await shot(page, `width-${width}-3-profile`)
      expect(await midWordBreaks(page, '.id')).toEqual([])
      expect(await sidewaysOverflow(page)).toBe(false)
      await page.goto(`${urls.emulator}/`)
      await shot(page, `width-${width}-4-emulator-home`)
      expect(await page.locator('.id').count()).toBeGreaterThan(3)
      expect(await midWordBreaks(page, '.id')).toEqual([])
      // The signed-in user's token names the app's revoke_uri, which has nowhere to wrap but mid-word.
      expect(await page.locator('.uri').count()).toBeGreaterThan(0)
      expect(await midWordBreaks(page, '.uri')).toEqual([])
      expect(await sidewaysOverflow(page)).toBe(false)
    } finally {
      await context.close()
    }
  })
})

/**
 * The elements matching `selector` whose text wraps inside a word: a line ends with a character that is neither
 * white space nor one of `.@_+-`. Measured from each character's box in the page (string source: no DOM types here).
 */
async function midWordBreaks(page: Page, selector: string): Promise<string[]> {
  return page.evaluate(`(() => {
    const bad = []
    for (const el of document.querySelectorAll(${JSON.stringify(selector)})) {
      const chars = []
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT)
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.textContent || ''
        for (let i = 0; i < text.length; i++) {
          const range = document.createRange()
          range.setStart(node, i)
          range.setEnd(node, i + 1)
          const rect = range.getClientRects()[0]
          if (rect) chars.push({ ch: text[i], top: rect.top })
        }
      }
      for (let i = 1; i < chars.length; i++) {
        const wrapped = chars[i].top > chars[i - 1].top + 4
        if (wrapped && !/[\\s.@_+-]/.test(chars[i - 1].ch) && !/\\s/.test(chars[i].ch)) {
          bad.push(el.textContent + ' (after "' + chars.slice(0, i).map((c) => c.ch).join('') + '")')
        }
      }
    }
    return bad
  })()`)
}

/** Whether the page is wider than the window. */
async function sidewaysOverflow(page: Page): Promise<boolean> {
  return page.evaluate('document.documentElement.scrollWidth > window.innerWidth + 1')
}

describeWithChromium('the example app in a real browser on the strict emulator (EMULATOR_STRICT=1)', () => {
  let browser: Browser
  const servers: SpawnedServer[] = []

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true })
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    })
  })
  afterAll(async () => {
    await browser?.close()
    for (const server of servers) server.kill('SIGTERM')
    await Promise.all(servers.map((s) => s.exited))
  })

  async function strictServer(env: Record<string, string> = {}): Promise<{ app: string; emulator: string; output: () => string }> {
    const server = spawnServer({ PORT: '0', EMULATOR_PORT: '0', EMULATOR_STRICT: '1', ...env })
    servers.push(server)
    return { ...(await printedURLs(server)), output: server.output }
  }

  it.each([
    ['oidc', '/openid?'],
    ['oauth2', '/login?'],
  ])('%s: signs in on the emulator page, shows the profile, and signing out of Freedom ID ends the app session', async (protocol, path) => {
    const urls = await strictServer({ FREEDOM_ID_PROTOCOL: protocol })
    expect(urls.output()).toMatch(/Emulator: http:\/\/\S+ \(strict\)/)
    const context = await browser.newContext()
    const page = await context.newPage()
    const shot = (name: string) => page.screenshot({ path: join(SHOTS, `strict-${protocol}-${name}.png`), fullPage: true })
    try {
      await page.goto(urls.app)
      await page.getByRole('link', { name: 'Sign in with Freedom ID' }).click()
      await page.waitForURL((url) => url.href.startsWith(`${urls.emulator}${path}`))
      await shot('1-emulator-pick-a-user')
      await page.getByRole('button', { name: 'Continue as Aigerim Bekova' }).click()
      await page.waitForURL(`${urls.app}/profile`)
      await shot('2-profile')
      expect(await page.locator('h1').textContent()).toBe('Aigerim Bekova')

      await page.getByRole('button', { name: 'Sign out of Freedom ID' }).click()
      await page.waitForURL(`${urls.app}/?signedOut=freedom-id`)
      expect(await page.getByRole('status').textContent()).toContain('You signed out of Freedom ID')
      await page.goto(`${urls.app}/profile`)
      expect(page.url()).toBe(`${urls.app}/`)
    } finally {
      await context.close()
    }
  })
})
