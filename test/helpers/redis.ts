import { describe, test } from '@jest/globals'
import { createClient } from 'redis'
import { redisAvailable, startRedis } from './redis-server.js'
import { noteSkip } from './skip-note.js'

export { redisAvailable, startRedis, type RedisServer } from './redis-server.js'

const INSTALL_HINT = 'install it with apt-get install redis-server'

/**
 * `describe` for suites that need a real Redis. Without `redis-server` the suite is skipped with a note, except under
 * `CI=true`, where it fails.
 */
export function describeWithRedis(name: string, fn: () => void): void {
  if (redisAvailable()) return describe(name, fn)
  if (process.env.CI === 'true') {
    return describe(name, () => {
      test('redis-server is installed', () => {
        throw new Error(`redis-server not found; ${INSTALL_HINT}`)
      })
    })
  }
  noteSkip(name, `redis-server not found; ${INSTALL_HINT}`)
  describe.skip(name, fn)
}

/**
 * A connected node-redis client on a throw-away server that a test can take down. `goOffline()` stops the server and
 * waits until the client has seen its socket close: until then a command fails at once ("Socket closed
 * unexpectedly"), after it node-redis queues every command offline (its default), retrying every 100 ms. The caller
 * destroys the client.
 */
export async function redisThatGoesOffline() {
  const server = await startRedis()
  const client = createClient({ url: server.url, socket: { reconnectStrategy: 100 } })
  client.on('error', () => undefined)
  await client.connect()
  return {
    client,
    async goOffline(): Promise<void> {
      await server.stop()
      for (let waited = 0; client.isReady && waited < 5000; waited += 10) await new Promise((r) => setTimeout(r, 10))
    },
  }
}
