/**
 * Bench worker: one app under test in its own process.
 * argv: `<ours|ours-cookie|peer|peer-sig|floor> <emulatorURL> [memory|redis://…]`; the third names a session index
 * that `ours` binds each sign-in to. Messages: `cpu` (CPU µs so far), `heap` (settled heap; needs `--expose-gc`),
 * `sessions` (sessions in the store), `mark-sessions` (remembers the sessions now in the store), `drop-new-sessions`
 * (deletes the sessions created since), `index` (the session index's entries).
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { DEMO_CLIENT } from '../src/emulator/index.js'
import { createFloorApp } from './apps/floor.js'
import { createOursApp } from './apps/ours.js'
import { createOursCookieApp } from './apps/ours-cookie.js'
import { createPeerApp } from './apps/peer.js'
import { openSessionIndex } from './apps/session-index.js'
import { dropSessionsExcept, sessionCount, sessionIds } from './apps/shell.js'
import type { BenchApp, BenchAppConfig } from './apps/types.js'
import { cpuMicros, serveWorker, settledHeap } from './worker.js'

const [kind, issuer, indexSpec] = process.argv.slice(2)
if (!kind || !issuer) throw new Error('usage: app-process.ts <ours|ours-cookie|peer|peer-sig|floor> <emulatorURL> [memory|redis://…]')
if (indexSpec !== undefined && kind !== 'ours') throw new Error('only ours takes a session index')

const server = createServer()
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const appURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
const sessionIndex = indexSpec === undefined ? undefined : await openSessionIndex(indexSpec)
const config: BenchAppConfig = { issuer, appURL, ...DEMO_CLIENT, ...(sessionIndex && { sessionIndex: sessionIndex.index }) }

const factories: Record<string, (c: BenchAppConfig) => Promise<BenchApp>> = {
  ours: createOursApp,
  'ours-cookie': createOursCookieApp,
  peer: (c) => createPeerApp(c, false),
  'peer-sig': (c) => createPeerApp(c, true),
  floor: createFloorApp,
}
const factory = factories[kind]
if (!factory) throw new Error(`unknown app "${kind}"`)
const bench = await factory(config)
server.on('request', bench.app)

let marked = new Set<string>()

serveWorker(
  { url: appURL },
  {
    cpu: () => cpuMicros(),
    heap: () => settledHeap(),
    sessions: () => sessionCount(bench.store),
    'mark-sessions': () => {
      marked = sessionIds(bench.store)
      return marked.size
    },
    'drop-new-sessions': () => dropSessionsExcept(bench.store, marked),
    index: () => {
      if (!sessionIndex) throw new Error('this app has no session index')
      return sessionIndex.entries()
    },
  },
)
