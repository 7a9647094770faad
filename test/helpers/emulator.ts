import { afterAll, beforeAll } from '@jest/globals'
import { startEmulator, type RunningEmulator, type StartEmulatorOptions } from '../../src/emulator/index.js'

/**
 * Starts a Freedom ID emulator on 127.0.0.1:0 before the file's tests and closes it after them.
 * Returns a getter, since the emulator exists only once `beforeAll` has run.
 *
 * @example
 * const emulator = withEmulator({ autoLogin: DEFAULT_USERS[0]!.sub })
 * it('…', async () => { await fetch(`${emulator().url}/.well-known/openid-configuration`) })
 */
export function withEmulator(options: StartEmulatorOptions = {}): () => RunningEmulator {
  let running: RunningEmulator | undefined
  beforeAll(async () => {
    running = await startEmulator(options)
  })
  afterAll(async () => {
    await running?.close()
  })
  return () => {
    if (!running) throw new Error('withEmulator(): the emulator is only available inside tests and hooks')
    return running
  }
}
