import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createEmulator } from './create-emulator.js'
import type { RunningEmulator, StartEmulatorOptions } from './types.js'

function baseURL(host: string, port: number): string {
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`
}

/** True for a host name or address that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase()
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || /^::ffff:127\./.test(h)
}

/**
 * Starts an emulator on a socket (default `127.0.0.1`, port `0`: any free port). Its issuer defaults to its own URL.
 * Resolves once it listens. On a host that is not loopback it emits a process warning (code
 * `FREEDOM_ID_EMULATOR_EXPOSED`): the emulator is for development, its token list and sign-out controls are open to
 * anyone who can reach it.
 */
export async function startEmulator(options: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  const { port = 0, host = '127.0.0.1', ...emulatorOptions } = options
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const url = baseURL(host, (server.address() as AddressInfo).port)
  if (!isLoopbackHost(host)) {
    process.emitWarning(
      `The Freedom ID emulator listens on ${host}, reachable from other machines: anyone who can reach it can list its ` +
        'tokens (GET /__emulator/tokens), sign users out and make it POST to any revoke_uri. Use it for development ' +
        'only, on 127.0.0.1 unless you must.',
      { code: 'FREEDOM_ID_EMULATOR_EXPOSED' },
    )
  }
  let emulator
  try {
    emulator = createEmulator({ ...emulatorOptions, issuer: emulatorOptions.issuer ?? url })
  } catch (err) {
    server.close()
    throw err
  }
  server.on('request', emulator.app)
  server.on('connection', () => {
    emulator.stats.connections++
  })

  const close = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (!server.listening) {
        resolve()
        return
      }
      server.close((err) => (err ? reject(err) : resolve()))
      server.closeAllConnections()
    })

  return Object.defineProperties(emulator, {
    url: { value: url, enumerable: true },
    close: { value: close, enumerable: true },
  }) as RunningEmulator
}
