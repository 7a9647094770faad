/**
 * `npm start`: reads the environment (see `.env.example`), starts the embedded Freedom ID emulator unless
 * `FREEDOM_ID_CLIENT_ID` is set, then the app, and prints both URLs. Stops cleanly on SIGINT and SIGTERM.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { DEFAULT_USERS, DEMO_CLIENT, startEmulator, type RunningEmulator } from '../src/emulator/index.js'
import { DEFAULT_ISSUER } from '../src/index.js'
import { createApp } from './app.js'
import { CALLBACK_PATH, ConfigError, loadConfig, type AppConfig } from './config.js'
import { createStores, type AppStores } from './stores.js'

const SHUTDOWN_GRACE_MS = 5_000

function listen(server: Server, port: number, host: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve((server.address() as AddressInfo).port)
    })
  })
}

/**
 * When a port is taken, says which server wanted it and how to pick another; any other error is rethrown as it is.
 * @param variable the environment variable that sets the port (`PORT`, `EMULATOR_PORT`)
 */
export async function portOrAdvice<T>(what: string, variable: string, port: number, start: () => Promise<T>): Promise<T> {
  try {
    return await start()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err
    throw new Error(
      `${what} could not listen on port ${port}: another program is using it. Stop that program, or pick another ` +
        `port with ${variable}=${port + 1} (or ${variable}=0 for any free port), e.g. ${variable}=0 npm start.`,
    )
  }
}

function isLoopbackOrAny(host: string | undefined): boolean {
  return host === undefined || ['127.0.0.1', 'localhost', '0.0.0.0', '::', '::1'].includes(host)
}

/** The URL to open in a browser, and the one the emulator (same machine) posts sign-outs to. */
function appURLs(host: string | undefined, port: number): { browser: string; local: string } {
  if (isLoopbackOrAny(host)) {
    const local = host === '::1' ? `http://[::1]:${port}` : `http://127.0.0.1:${port}`
    return { browser: `http://localhost:${port}`, local }
  }
  const shown = host!.includes(':') ? `[${host}]` : host
  return { browser: `http://${shown}:${port}`, local: `http://${shown}:${port}` }
}

async function startProvider(config: AppConfig): Promise<RunningEmulator | undefined> {
  if (config.mode !== 'emulator') return undefined
  const autoLogin = config.emulatorAutoLogin === true ? DEFAULT_USERS[0]!.sub : (config.emulatorAutoLogin ?? false)
  return portOrAdvice('The Freedom ID emulator', 'EMULATOR_PORT', config.emulatorPort, () => startEmulator({
    port: config.emulatorPort,
    ...(config.host !== undefined && { host: config.host }),
    autoLogin,
    clients: [{ ...DEMO_CLIENT, name: 'Freedom ID example app' }],
    ...(config.emulatorStrict && { strict: true }),
  }))
}

async function main(): Promise<void> {
  let config: AppConfig
  try {
    config = loadConfig(process.env)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    console.error(`Configuration error: ${err.message}`)
    process.exit(1)
  }

  const emulator = await startProvider(config)
  let stores: AppStores
  try {
    stores = await createStores(config)
  } catch (err) {
    console.error((err as Error).message)
    await emulator?.close()
    process.exit(1)
  }
  const server = createServer()
  const port = await portOrAdvice('The example app', 'PORT', config.port, () => listen(server, config.port, config.host)).catch(
    async (err: unknown) => {
      await Promise.allSettled([stores.close(), emulator?.close()])
      throw err
    },
  )
  const urls = appURLs(config.host, port)
  const origins = [...new Set([urls.browser, urls.local])]
  // Strict: register the callback URLs exactly, as Freedom ID support registers the one a partner emails them.
  if (emulator && config.emulatorStrict) emulator.clients[0]!.redirectURIs = origins.map((origin) => `${origin}${CALLBACK_PATH}`)
  const app = createApp(
    {
      ...config,
      ...(emulator && { issuer: emulator.url, revokeURL: `${urls.local}${config.revokePath}`, origins }),
    },
    stores,
  )
  server.on('request', app)

  const provider = emulator
    ? `Emulator: ${emulator.url}${config.emulatorStrict ? ' (strict)' : ''}`
    : `Freedom ID: ${config.issuer ?? DEFAULT_ISSUER}`
  console.log(`App: ${urls.browser}  ${provider}`)
  if (emulator && config.emulatorAutoLogin === undefined) {
    console.log('Open the app, click "Sign in with Freedom ID" and pick a test user on the emulator\'s page.')
  }
  if (!emulator && config.redisURL === undefined) {
    console.log('Sessions are kept in this process\'s memory: set REDIS_URL to share them between processes and restarts.')
  }

  let stopping = false
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(1)
    stopping = true
    console.log(`${signal}: shutting down`)
    const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS)
    force.unref()
    server.close(async () => {
      clearTimeout(force)
      await Promise.allSettled([stores.close(), emulator?.close()])
      process.exit(0)
    })
    server.closeIdleConnections()
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

main().catch((err: unknown) => {
  console.error(`The example app could not start: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
})
