/**
 * Bench worker: a Freedom ID emulator in automatic sign-in mode, in its own process.
 * argv: `<sub> [idTokenAlg]`. Messages: `stats` (counters since the last `reset`), `reset` (clears tokens, codes and
 * counters, so the emulator does not grow over a long run), `cpu` (CPU µs so far).
 */
import { startEmulator, type EmulatorSigningAlg } from '../src/emulator/index.js'
import { cpuMicros, serveWorker } from './worker.js'

const sub = process.argv[2]
if (!sub) throw new Error('usage: emulator-process.ts <sub> [idTokenAlg]')
const alg = (process.argv[3] ?? 'RS256') as EmulatorSigningAlg

const emulator = await startEmulator({ autoLogin: sub, idTokenAlg: alg })

serveWorker(
  { url: emulator.url },
  {
    stats: () => ({ ...emulator.stats }),
    cpu: () => cpuMicros(),
    reset: () => {
      const stats = { ...emulator.stats }
      emulator.reset()
      return stats
    },
  },
)
