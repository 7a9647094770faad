import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createEmulator } from './create-emulator.js'
import type { RunningEmulator, StartEmulatorOptions } from './types.js'

function baseURL(host: string, port: number): string {
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`
}

/**
 * Starts an emulator on a socket (default `127.0.0.1`, port `0`: any free port). Its issuer defaults to its own URL.
 * Resolves once it listens.
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
