import { describe, test } from '@jest/globals'
import { redisAvailable } from './redis-server.js'
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
