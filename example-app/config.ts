import { randomBytes } from 'node:crypto'
import { DEMO_CLIENT } from '../src/emulator/index.js'
import { KNOWN_GRANTS } from '../src/index.js'

/** The path of the app's callback route; a real-mode `FREEDOM_ID_CALLBACK_URL` must end in it. */
export const CALLBACK_PATH = '/auth/freedom-id/callback'

/**
 * The base of the revoke route's path; the route itself is mounted one secret segment below it
 * (`REVOKE_PATH_SECRET`), since Freedom ID's revoke call carries no authentication.
 */
export const REVOKE_PATH = '/auth/freedom-id/revoke'

/** A `REVOKE_PATH_SECRET`: at least 32 URL-safe characters. */
const PATH_SECRET = /^[A-Za-z0-9_-]{32,}$/

/** Grants asked for when `FREEDOM_ID_SCOPE` is unset (`openid` is added by the strategy in OIDC). */
export const DEFAULT_SCOPE = ['read.firstname', 'read.lastname', 'read.email', 'read.phone']

/** What the example app needs; {@link loadConfig} reads it from the environment. */
export interface AppConfig {
  /** `'emulator'`: the embedded Freedom ID emulator is the provider. `'freedom-id'`: the real one. */
  mode: 'emulator' | 'freedom-id'
  clientID: string
  clientSecret: string
  /** Absolute URL registered with Freedom ID, or (emulator mode) the path {@link CALLBACK_PATH}. */
  callbackURL: string
  /**
   * Emulator mode: the origins the app is opened at, to resolve the callback path against (the strategy's `origins`);
   * the server fills them in once it listens. Never taken from a request's Host header.
   */
  origins?: string[]
  /** The provider's base URL. Default: the strategy's, `https://passport.freedompay.kz`; the emulator's URL in emulator mode. */
  issuer?: string
  /** Default `'oidc'`. */
  protocol: 'oidc' | 'oauth2'
  /** Grants to ask for. Default {@link DEFAULT_SCOPE}. */
  scope: string[]
  /** Signs the session cookie. Random per process in emulator mode when unset. */
  sessionSecret: string
  /**
   * Absolute URL of the revoke route, sent to Freedom ID as `revoke_uri`. Default: {@link REVOKE_PATH} on the
   * callback URL's origin; in emulator mode the server fills it in once it listens.
   */
  revokeURL?: string
  /**
   * Where a pending login waits and the signed-in user lives: `'session'` (express-session, the default) or
   * `'cookie'` (no session middleware: the login in the strategy's encrypted cookie, the user in a signed JWT cookie,
   * provider sign-out through `onRevoke`).
   */
  loginState: 'session' | 'cookie'
  /**
   * The revoke route's path: {@link REVOKE_PATH} and the secret segment `REVOKE_PATH_SECRET` (required outside
   * emulator mode; random per process in emulator mode when unset).
   */
  revokePath: string
  /** Source addresses and CIDR ranges allowed to call the revoke route (`REVOKE_ALLOW_FROM`). Default: any. */
  revokeAllowFrom?: string[]
  /** Sessions and the revoke index in Redis when set; in this process's memory otherwise. */
  redisURL?: string
  /** Express `trust proxy` setting; decides `req.protocol` and so the `Secure` cookie flag. Default `false`. */
  trustProxy: boolean | number | string
  /** Default `3000`; `0` picks a free port. */
  port: number
  /** Default `4000`; `0` picks a free port. */
  emulatorPort: number
  /** Interface to listen on. Default `127.0.0.1` in emulator mode, every interface otherwise. */
  host?: string
  /** Emulator mode: sign this user (a `sub`, or `true` for the first test user) in without the consent page. */
  emulatorAutoLogin?: string | true
  /**
   * Emulator mode: run the emulator's strict preset (`EMULATOR_STRICT=1`): no discovery or JWKS, exact `redirect_uri`,
   * errors under HTTP 200 … where Freedom ID's docs are silent. Default `false`.
   */
  emulatorStrict?: boolean
  /** Where server-side errors are logged (never secrets). Default `console.error`. */
  log?: (line: string) => void
}

/** A configuration mistake, naming the environment variable to fix. */
export class ConfigError extends Error {
  override name = 'ConfigError'
  /** The environment variable at fault. */
  readonly variable: string

  constructor(variable: string, message: string) {
    super(message)
    this.variable = variable
  }
}

type Env = Record<string, string | undefined>

function value(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim()
  return raw === undefined || raw === '' ? undefined : raw
}

function required(env: Env, name: string, why: string): string {
  const found = value(env, name)
  if (found === undefined) throw new ConfigError(name, `${name} is required ${why}.`)
  return found
}

function port(env: Env, name: string, fallback: number): number {
  const raw = value(env, name)
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (!/^\d+$/.test(raw) || n > 65535) throw new ConfigError(name, `${name} must be a port number from 0 to 65535, got "${raw}".`)
  return n
}

function protocol(env: Env): 'oidc' | 'oauth2' {
  const raw = value(env, 'FREEDOM_ID_PROTOCOL') ?? 'oidc'
  if (raw !== 'oidc' && raw !== 'oauth2') {
    throw new ConfigError('FREEDOM_ID_PROTOCOL', `FREEDOM_ID_PROTOCOL must be "oidc" or "oauth2", got "${raw}".`)
  }
  return raw
}

function scope(env: Env): string[] {
  const raw = value(env, 'FREEDOM_ID_SCOPE')
  if (raw === undefined) return [...DEFAULT_SCOPE]
  const grants = [...new Set(raw.split(/\s+/))]
  const unknown = grants.find((g) => !(KNOWN_GRANTS as readonly string[]).includes(g))
  if (unknown !== undefined) {
    throw new ConfigError('FREEDOM_ID_SCOPE', `FREEDOM_ID_SCOPE names "${unknown}", which is not a Freedom ID grant (known: ${KNOWN_GRANTS.join(' ')}).`)
  }
  return grants
}

function httpURL(env: Env, name: string): string | undefined {
  const raw = value(env, name)
  if (raw === undefined) return undefined
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigError(name, `${name} must be an absolute http(s) URL, got "${raw}".`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(name, `${name} must be an http(s) URL.`)
  return raw
}

function loginState(env: Env): 'session' | 'cookie' {
  const raw = value(env, 'LOGIN_STATE') ?? 'session'
  if (raw !== 'session' && raw !== 'cookie') throw new ConfigError('LOGIN_STATE', `LOGIN_STATE must be "session" or "cookie", got "${raw}".`)
  return raw
}

function trustProxy(env: Env): boolean | number | string {
  const raw = value(env, 'TRUST_PROXY')
  if (raw === undefined || raw === 'false') return false
  if (raw === 'true') return true
  return /^\d+$/.test(raw) ? Number(raw) : raw
}

function redisURL(env: Env): string | undefined {
  const raw = value(env, 'REDIS_URL')
  if (raw !== undefined && !/^rediss?:\/\//.test(raw)) {
    throw new ConfigError('REDIS_URL', 'REDIS_URL must start with redis:// or rediss://.')
  }
  return raw
}

/** A yes/no variable: `1`/`true` or `0`/`false`; unset is `false`. */
function flag(env: Env, name: string): boolean {
  const raw = value(env, name)
  if (raw === undefined || raw === '0' || raw === 'false') return false
  if (raw === '1' || raw === 'true') return true
  throw new ConfigError(name, `${name} must be 1 (or true) or 0 (or false), got "${raw}".`)
}

function revokePath(env: Env, required: boolean): string {
  const secret = value(env, 'REVOKE_PATH_SECRET')
  if (secret === undefined && required) {
    throw new ConfigError(
      'REVOKE_PATH_SECRET',
      'REVOKE_PATH_SECRET is required when FREEDOM_ID_CLIENT_ID is set: the unguessable last segment of the revoke route ' +
        `(${REVOKE_PATH}/<secret>), since Freedom ID's sign-out call is not authenticated (generate one with: openssl rand -hex 32).`,
    )
  }
  if (secret !== undefined && !PATH_SECRET.test(secret)) {
    throw new ConfigError('REVOKE_PATH_SECRET', 'REVOKE_PATH_SECRET must be at least 32 characters of A-Z a-z 0-9 _ - (generate one with: openssl rand -hex 32).')
  }
  return `${REVOKE_PATH}/${secret ?? randomSecret()}`
}

function allowFrom(env: Env): string[] | undefined {
  const raw = value(env, 'REVOKE_ALLOW_FROM')
  return raw === undefined ? undefined : raw.split(/[\s,]+/).filter((entry) => entry !== '')
}

function randomSecret(): string {
  return randomBytes(32).toString('hex')
}

/**
 * Reads the app's configuration from environment variables (see `.env.example`). Emulator mode when
 * `FREEDOM_ID_CLIENT_ID` is unset; otherwise `FREEDOM_ID_CLIENT_SECRET`, `FREEDOM_ID_CALLBACK_URL` and a
 * `SESSION_SECRET` of at least 32 characters are required.
 *
 * @throws ConfigError naming the variable to fix.
 */
export function loadConfig(env: Env = process.env): AppConfig {
  const host = value(env, 'HOST')
  const redis = redisURL(env)
  const allowed = allowFrom(env)
  const shared = {
    protocol: protocol(env),
    scope: scope(env),
    trustProxy: trustProxy(env),
    loginState: loginState(env),
    port: port(env, 'PORT', 3000),
    emulatorPort: port(env, 'EMULATOR_PORT', 4000),
    ...(redis !== undefined && { redisURL: redis }),
    ...(allowed !== undefined && { revokeAllowFrom: allowed }),
  }
  if (value(env, 'FREEDOM_ID_CLIENT_ID') === undefined) {
    for (const name of ['FREEDOM_ID_CLIENT_SECRET', 'FREEDOM_ID_CALLBACK_URL']) {
      if (value(env, name) !== undefined) {
        throw new ConfigError(
          'FREEDOM_ID_CLIENT_ID',
          `FREEDOM_ID_CLIENT_ID is not set but ${name} is: set FREEDOM_ID_CLIENT_ID to use Freedom ID, or unset ${name} to use the emulator.`,
        )
      }
    }
    const autoLogin = value(env, 'EMULATOR_AUTO_LOGIN')
    const strict = flag(env, 'EMULATOR_STRICT')
    return {
      mode: 'emulator',
      clientID: DEMO_CLIENT.clientID,
      clientSecret: DEMO_CLIENT.clientSecret,
      callbackURL: CALLBACK_PATH,
      sessionSecret: value(env, 'SESSION_SECRET') ?? randomSecret(),
      revokePath: revokePath(env, false),
      ...shared,
      host: host ?? '127.0.0.1',
      ...(autoLogin !== undefined && autoLogin !== 'false' && { emulatorAutoLogin: autoLogin === 'true' || autoLogin === '1' ? true : autoLogin }),
      ...(strict && { emulatorStrict: true }),
    }
  }
  if (value(env, 'EMULATOR_STRICT') !== undefined) {
    throw new ConfigError('EMULATOR_STRICT', 'EMULATOR_STRICT applies to the emulator only: unset it, or unset FREEDOM_ID_CLIENT_ID to use the emulator.')
  }
  const why = 'when FREEDOM_ID_CLIENT_ID is set'
  const clientSecret = required(env, 'FREEDOM_ID_CLIENT_SECRET', why)
  required(env, 'FREEDOM_ID_CALLBACK_URL', why)
  const callbackURL = httpURL(env, 'FREEDOM_ID_CALLBACK_URL') as string
  if (new URL(callbackURL).pathname !== CALLBACK_PATH) {
    throw new ConfigError('FREEDOM_ID_CALLBACK_URL', `FREEDOM_ID_CALLBACK_URL must end in the app's callback path ${CALLBACK_PATH}.`)
  }
  const sessionSecret = required(env, 'SESSION_SECRET', `${why} (generate one with: openssl rand -hex 32)`)
  if (sessionSecret.length < 32) {
    throw new ConfigError('SESSION_SECRET', 'SESSION_SECRET must be at least 32 characters (generate one with: openssl rand -hex 32).')
  }
  const issuer = httpURL(env, 'FREEDOM_ID_ISSUER')
  const path = revokePath(env, true)
  return {
    mode: 'freedom-id',
    clientID: required(env, 'FREEDOM_ID_CLIENT_ID', why),
    clientSecret,
    callbackURL,
    sessionSecret,
    revokeURL: new URL(path, callbackURL).href,
    revokePath: path,
    ...(issuer !== undefined && { issuer }),
    ...(host !== undefined && { host }),
    ...shared,
  }
}
