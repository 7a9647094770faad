// The package as users get it: `npm pack` of this checkout installed into temporary consumer projects (ESM and
// CommonJS JavaScript; TypeScript nodenext ESM and CJS, bundler, node10 + commonjs), each type-checking the README
// quick start verbatim (strict, skipLibCheck false; TypeScript 5.9, and 7 where it still has the mode) and signing in
// against the emulator from `passport-freedom-id/emulator` over HTTP with a cookie jar; `npx freedom-id-emulator
// --port 0`; publint and attw on the tarball; and `npm install git+file://` of this checkout.
// Usage: node .ci/consumers.mjs RESULTS_FILE   (writes {"passed":N,"failed":N}; progress on stdout)
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const repo = process.cwd()
const tmp = mkdtempSync(join(tmpdir(), 'freedom-id-consumers-'))
const counts = { passed: 0, failed: 0 }

function sh(cmd, args, cwd, options = {}) {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options })
}

async function check(name, fn) {
  const started = Date.now()
  try {
    await fn()
    counts.passed++
    console.log(`ok   ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`)
  } catch (err) {
    counts.failed++
    console.log(`FAIL ${name}\n${String(err.stdout ?? '')}${String(err.stderr ?? '')}${err.message}`)
  }
}

function write(dir, files) {
  mkdirSync(dir, { recursive: true })
  for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), typeof text === 'string' ? text : JSON.stringify(text, null, 2))
}

/** A README block, verbatim: the first ```ts block under the level-2 heading `heading`. */
function readmeBlock(heading) {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8')
  const at = readme.indexOf(`\n## ${heading}\n`)
  const match = at < 0 ? null : /```ts\n([\s\S]*?)```/.exec(readme.slice(at))
  if (!match) throw new Error(`no ts block under "## ${heading}"`)
  return match[1]
}
/** The README's verify forms, with the `options` they spread declared as a consumer's code would have them. */
const VERIFY_FORMS = `${readmeBlock('The verify callback')}
declare const options: Omit<import('passport-freedom-id').FreedomIdStrategyOptions, 'passReqToCallback' | 'passParamsToCallback'>
`

// 1. The tarball, packed from this checkout (prepack builds dist/).
console.log('::: npm pack')
const tarball = join(tmp, sh('npm', ['pack', '--silent', '--pack-destination', tmp], repo).trim().split('\n').pop())

await check('publint on the tarball reports no error', () => sh('npx', ['--no-install', 'publint', 'run', tarball], repo))
// ESM-only package: attw's "node16 (from CJS): ESM (dynamic import only)" is what TypeScript < 5.8 says of every
// ESM package required from CommonJS; Node >= 20.19 require()s it (the CommonJS consumers below prove it).
await check('attw on the tarball reports no problem (cjs-resolves-to-esm expected, see README)', () =>
  sh('npx', ['--no-install', 'attw', tarball, '--ignore-rules', 'cjs-resolves-to-esm'], repo),
)

// 2. One install shared by every consumer: each consumer is a folder inside it, resolving node_modules upwards.
console.log('::: npm install (shared by the consumer projects)')
const base = join(tmp, 'consumers')
write(base, {
  'package.json': {
    name: 'consumers',
    private: true,
    dependencies: {
      'passport-freedom-id': `file:${tarball}`,
      express: '^5',
      'express-session': '^1',
      passport: '^0.7',
      '@types/express': '^5',
      '@types/express-session': '^1',
      '@types/passport': '^1',
      typescript: '~5.9',
      ts7: 'npm:typescript@^7',
    },
  },
  'sign-in.mjs': SIGN_IN(),
})
sh('npm', ['install', '--no-audit', '--no-fund'], base)

const strict = { strict: true, skipLibCheck: false, target: 'es2022', outDir: 'build' }
const flavours = [
  { name: 'ESM JavaScript', dir: 'esm-js', type: 'module', files: { 'app.js': JS_APP('esm') }, run: ['app.js'] },
  { name: 'CommonJS JavaScript (require)', dir: 'cjs-js', type: 'commonjs', files: { 'app.js': JS_APP('cjs') }, run: ['app.js'] },
  { name: 'TypeScript nodenext, ESM', dir: 'ts-nodenext-esm', type: 'module', ts: { ...strict, module: 'nodenext', moduleResolution: 'nodenext' }, ts7: true },
  { name: 'TypeScript nodenext, CommonJS', dir: 'ts-nodenext-cjs', type: 'commonjs', ts: { ...strict, module: 'nodenext', moduleResolution: 'nodenext' }, ts7: true },
  { name: 'TypeScript bundler', dir: 'ts-bundler', type: 'module', ts: { ...strict, module: 'preserve', moduleResolution: 'bundler' }, ts7: true },
  { name: 'TypeScript node10 + commonjs', dir: 'ts-node10-cjs', type: 'commonjs', ts: { ...strict, module: 'commonjs', moduleResolution: 'node10', esModuleInterop: true } },
]
const tsc5 = join(base, 'node_modules/typescript/bin/tsc')
const tsc7 = join(base, 'node_modules/ts7/bin/tsc')
for (const f of flavours) {
  const dir = join(base, f.dir)
  const files = { 'package.json': { name: f.dir, private: true, type: f.type }, ...f.files }
  if (f.ts) {
    files['app.ts'] = readmeBlock('Quick start')
    // Every verify form must get its parameter types from the constructor, strict, under each resolution.
    files['verify-forms.ts'] = VERIFY_FORMS
    // Node's own emulator check for the node10 project: the subpath's types resolve through typesVersions.
    files['emulator-types.ts'] = "import { startEmulator, DEMO_CLIENT } from 'passport-freedom-id/emulator'\nexport const start: typeof startEmulator = startEmulator\nexport const id: string = DEMO_CLIENT.clientID\n"
    files['tsconfig.json'] = { compilerOptions: f.ts, files: ['app.ts', 'verify-forms.ts', 'emulator-types.ts'] }
  }
  write(dir, files)
  if (f.ts) {
    await check(`${f.name}: the README quick start and verify forms type-check (TypeScript 5.9)`, () => sh(process.execPath, [tsc5, '-p', '.'], dir))
    if (f.ts7) {
      await check(`${f.name}: the README quick start and verify forms type-check (TypeScript 7)`, () =>
        sh(process.execPath, [tsc7, '-p', '.', '--noEmit'], dir),
      )
    }
  }
  const command = f.run ?? [join('build', 'app.js')]
  await check(`${f.name}: signs in against the emulator over HTTP`, () =>
    sh(process.execPath, [join(base, 'sign-in.mjs'), dir, process.execPath, ...command], base, { timeout: 60_000 }),
  )
}

await check('npx freedom-id-emulator --port 0 starts from a consumer project', () => startsAndListens(base))
await check('npx freedom-id-emulator --strict --port 0 starts the strict preset from a consumer project', () =>
  startsAndListens(base, ['--strict'], /strict\s+no discovery/),
)

// 3. A git install builds the package through `prepare`.
await check('npm install git+file://<this checkout> gives a working package', () => {
  const dir = join(tmp, 'git-install')
  write(dir, { 'package.json': { name: 'git-install', private: true, type: 'module' } })
  sh('npm', ['install', '--no-audit', '--no-fund', `git+file://${repo}`], dir, { timeout: 900_000 })
  if (!existsSync(join(dir, 'node_modules/passport-freedom-id/dist/index.js'))) throw new Error('dist/index.js missing')
  sh(process.execPath, ['-e', "const m = await import('passport-freedom-id'); if (typeof m.FreedomIdStrategy !== 'function') process.exit(1)", '--input-type=module'], dir)
})

writeFileSync(process.argv[2], JSON.stringify(counts))
console.log(`consumers: ${counts.passed} passed, ${counts.failed} failed`)
// Whatever a check left running (a server, a child's pipe) must not keep CI waiting.
process.exit()

function startsAndListens(cwd, args = [], banner = /listening on/) {
  return new Promise((resolve, reject) => {
    // Its own process group: npx runs the emulator as a child of its own, and killing npx alone would leave the
    // emulator holding the pipes, so this script would never exit.
    const child = spawn('npx', ['--no-install', 'freedom-id-emulator', ...args, '--port', '0'], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    const stop = () => {
      try {
        process.kill(-child.pid, 'SIGTERM')
      } catch {
        child.kill()
      }
    }
    let out = ''
    const timer = setTimeout(() => {
      stop()
      reject(new Error(`no "listening on" line within 30 s:\n${out}`))
    }, 30_000)
    const onData = (d) => {
      out += d
      if (/listening on http:\/\/127\.0\.0\.1:\d+/.test(out) && banner.test(out)) {
        clearTimeout(timer)
        stop()
        resolve()
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.on('exit', (code) => {
      clearTimeout(timer)
      if (!/listening on/.test(out)) reject(new Error(`exited ${code}:\n${out}`))
    })
  })
}

/** The quick start in plain JavaScript, for the JavaScript consumers; the CommonJS one require()s everything. */
function JS_APP(kind) {
  const imports =
    kind === 'esm'
      ? "import express from 'express'\nimport session from 'express-session'\nimport passport from 'passport'\nimport { FreedomIdStrategy } from 'passport-freedom-id'\nimport { startEmulator } from 'passport-freedom-id/emulator'\n"
      : "const express = require('express')\nconst session = require('express-session')\nconst passport = require('passport')\nconst { FreedomIdStrategy } = require('passport-freedom-id')\nconst { startEmulator } = require('passport-freedom-id/emulator')\n"
  return `${imports}
if (typeof startEmulator !== 'function') throw new Error('passport-freedom-id/emulator has no startEmulator')
passport.use(new FreedomIdStrategy({
  clientID: process.env.FREEDOM_ID_CLIENT_ID,
  clientSecret: process.env.FREEDOM_ID_CLIENT_SECRET,
  callbackURL: process.env.FREEDOM_ID_CALLBACK_URL,
  scope: ['read.email', 'read.firstname', 'read.lastname', 'read.phone'],
  issuer: process.env.FREEDOM_ID_ISSUER,
}, async (accessToken, refreshToken, profile) => ({ id: profile.id, name: profile.displayName, email: profile.emails[0]?.value })))
passport.serializeUser((user, done) => done(null, user))
passport.deserializeUser((user, done) => done(null, user))
const app = express()
app.use(session({ secret: process.env.SESSION_SECRET, resave: false, saveUninitialized: false,
  cookie: { httpOnly: true, sameSite: 'lax', secure: 'auto' } }))
app.use(passport.initialize())
app.use(passport.session())
app.get('/auth/freedom-id', passport.authenticate('freedom-id'))
app.get('/auth/freedom-id/callback', passport.authenticate('freedom-id', { failureRedirect: '/login' }), (req, res) => res.redirect('/profile'))
app.get('/profile', (req, res) => (req.user ? res.json(req.user) : res.redirect('/auth/freedom-id')))
app.listen(Number(process.env.PORT ?? 3000))
`
}

/** Starts the emulator (from the installed package), runs the app, and signs in with a cookie jar. */
function SIGN_IN() {
  return `import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { DEFAULT_USERS, DEMO_CLIENT, startEmulator } from 'passport-freedom-id/emulator'

const [cwd, ...command] = process.argv.slice(2)
const user = DEFAULT_USERS[0]
const emulator = await startEmulator({ autoLogin: user.sub })
const port = await new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)) })
})
const origin = 'http://localhost:' + port
let log = ''
const app = spawn(command[0], command.slice(1), {
  cwd,
  stdio: ['ignore', 'pipe', 'pipe'],
  env: { ...process.env, PORT: String(port), FREEDOM_ID_ISSUER: emulator.url, FREEDOM_ID_CALLBACK_URL: origin + '/auth/freedom-id/callback',
    FREEDOM_ID_CLIENT_ID: DEMO_CLIENT.clientID, FREEDOM_ID_CLIENT_SECRET: DEMO_CLIENT.clientSecret, SESSION_SECRET: 'consumer test' },
})
app.stdout.on('data', (d) => (log += d))
app.stderr.on('data', (d) => (log += d))
const jar = new Map()
async function get(url) {
  const cookie = url.startsWith(origin) ? [...jar].map(([k, v]) => k + '=' + v).join('; ') : ''
  const res = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} })
  if (url.startsWith(origin)) for (const c of res.headers.getSetCookie()) { const [pair] = c.split(';'); const i = pair.indexOf('='); jar.set(pair.slice(0, i), pair.slice(i + 1)) }
  return res
}
try {
  for (let i = 0; ; i++) {
    if (await fetch(origin + '/profile', { redirect: 'manual' }).then(() => true, () => false)) break
    if (i > 300 || app.exitCode !== null) throw new Error('the app did not listen')
    await new Promise((r) => setTimeout(r, 100))
  }
  const start = await get(origin + '/auth/freedom-id')
  const toEmulator = start.headers.get('location')
  if (start.status !== 302 || !toEmulator?.startsWith(emulator.url)) throw new Error('start: ' + start.status + ' ' + toEmulator)
  const authorized = await get(toEmulator)
  const callback = authorized.headers.get('location')
  if (!callback?.startsWith(origin + '/auth/freedom-id/callback')) throw new Error('emulator: ' + authorized.status + ' ' + callback)
  const done = await get(callback)
  if (done.status !== 302 || done.headers.get('location') !== '/profile') throw new Error('callback: ' + done.status + ' ' + done.headers.get('location'))
  const profile = await get(origin + '/profile')
  const body = await profile.json()
  if (profile.status !== 200 || body.id !== user.sub) throw new Error('profile: ' + profile.status + ' ' + JSON.stringify(body))
} catch (err) {
  console.error(err.message + '\\n' + log)
  process.exitCode = 1
} finally {
  app.kill()
  await emulator.close()
}
`
}
