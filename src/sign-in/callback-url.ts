import type { IncomingHttpHeaders } from 'node:http'
import { FreedomIdError } from '../errors.js'

/** True for a same-origin path (`/…`, not `//…` nor `/\…`), the form of `callbackURL` resolved against `origins`. */
export function isCallbackPath(value: string): boolean {
  return value.startsWith('/') && !value.startsWith('//') && !value.startsWith('/\\')
}

/**
 * Validates the `origins` option: each an absolute `http(s)` origin (no path, query or fragment), no two with the same
 * host (a request's `Host` could not choose between them). Returns them normalised (`URL#origin`). @internal
 */
export function parseOrigins(value: unknown): string[] {
  const fail = (requirement: string): never => {
    throw new TypeError(`FreedomIdStrategy: "origins" option ${requirement}`)
  }
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.length === 0) fail('must be an origin or a non-empty array of origins, e.g. "https://app.example"')
  const origins: string[] = []
  const hosts = new Set<string>()
  for (const item of list as unknown[]) {
    let url: URL | undefined
    try {
      url = typeof item === 'string' ? new URL(item) : undefined
    } catch {
      url = undefined
    }
    if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
      fail(`must list absolute http(s) origins such as "https://app.example", got ${JSON.stringify(item)}`)
    }
    if (url!.pathname !== '/' || url!.search !== '' || url!.hash !== '' || url!.username !== '' || (item as string).endsWith('/')) {
      fail(`must list origins without a path, query or trailing slash (scheme, host and port only), got "${item as string}"`)
    }
    if (hosts.has(url!.host)) fail(`names the host "${url!.host}" twice: a request's Host header could not choose between them`)
    hosts.add(url!.host)
    origins.push(url!.origin)
  }
  return origins
}

function headerValue(headers: IncomingHttpHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name]
  const first = Array.isArray(value) ? value[0] : value
  return typeof first === 'string' ? first.split(',')[0]!.trim().toLowerCase() : undefined
}

/**
 * The absolute `redirect_uri` of a login: an absolute `callbackURL` as it is; a path against the app's configured
 * `origins`. With one origin no request header is read. With several, the request's `X-Forwarded-Host` or `Host`
 * picks the origin whose host it names exactly; nothing a client sends can name any other origin (issue #14.1).
 *
 * @throws TypeError for a path when no `origins` are configured (an `authenticate()` override; the constructor checks
 *   its own `callbackURL`).
 * @throws FreedomIdError `HOST_NOT_ALLOWED` (400) when several origins are configured and the request names none.
 */
export function resolveCallbackURL(callbackURL: string, origins: readonly string[] | undefined, headers: IncomingHttpHeaders | undefined): string {
  if (!isCallbackPath(callbackURL)) return callbackURL
  if (origins === undefined || origins.length === 0) {
    throw new TypeError(
      `FreedomIdStrategy: the "callbackURL" "${callbackURL}" is a path, and no "origins" option is set to resolve it against: ` +
        'give an absolute callbackURL or set "origins" to the app\'s public origin (the request\'s Host header never chooses it).',
    )
  }
  if (origins.length === 1) return `${origins[0]}${callbackURL}`
  const byHost = new Map(origins.map((origin) => [new URL(origin).host, origin]))
  for (const host of [headerValue(headers, 'x-forwarded-host'), headerValue(headers, 'host')]) {
    const origin = host === undefined ? undefined : byHost.get(host)
    if (origin !== undefined) return `${origin}${callbackURL}`
  }
  const named = headerValue(headers, 'host') ?? '(none)'
  throw new FreedomIdError(
    'HOST_NOT_ALLOWED',
    `This request's host "${named}" is none of the "origins" option (${origins.join(', ')}), so no callback URL can be ` +
      'built for it. Open the app at one of those origins, add its public origin to "origins", or (behind a proxy) pass the ' +
      'public host on in Host or X-Forwarded-Host.',
  )
}
