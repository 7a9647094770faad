import { FreedomIdError, isFreedomIdError } from '../errors.js'
import { describeURL, type HttpClient } from '../provider/http-client.js'
import type { LoginRecord } from './login-state/record.js'
import type { CompletedLogin } from './oidc-flow.js'
import { tokenEndpointClient, type ResolvedOptions } from './options.js'
import { buildProfile } from './profile.js'
import { processProviderResponse } from '../provider/provider-response.js'
import { exchangeAuthorizationCode } from '../provider/oauth2-token.js'
import { fetchUserInfo } from '../provider/userinfo.js'

/**
 * Rejects options that mean nothing in the OAuth2 flavour, which has no id_token: `skipUserProfile` (the user info
 * call is the only way to learn who signed in), `pkce` and `maxAge` (the authorization link takes neither).
 *
 * @throws TypeError naming the option.
 */
export function assertOAuth2Options(options: ResolvedOptions): void {
  const reject = (name: string, why: string): never => {
    throw new TypeError(`FreedomIdStrategy: "${name}" option cannot be used with protocol 'oauth2': ${why}`)
  }
  if (options.skipUserProfile) reject('skipUserProfile', 'without an id_token, the user info call is what names the user')
  if (options.pkce) reject('pkce', 'the authorization link has no code challenge')
  if (options.maxAge !== undefined) reject('maxAge', 'the authorization link has no max_age and there is no auth_time to check')
}

/**
 * The `redirect_uri` sent to the authorization-link call: the callback URL with our `state` added to its query
 * (DECISIONS.md row 12), or the callback URL alone when `stateInRedirectURI` is `false`.
 */
export function oauth2RedirectURI(callbackURL: string, state: string, stateInRedirectURI: boolean): string {
  if (!stateInRedirectURI) return callbackURL
  const url = new URL(callbackURL)
  url.searchParams.set('state', state)
  return url.href
}

function origin(url: string): string {
  return new URL(url).origin
}

/** True when `link` is an http(s) URL on the origin of `authorizationURL` or of `issuer`. */
export function isProviderLink(link: unknown, options: Pick<ResolvedOptions, 'authorizationURL' | 'issuer'>): link is string {
  if (typeof link !== 'string' || link.length > 8192) return false
  let url: URL
  try {
    url = new URL(link)
  } catch {
    return false
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return false
  if (url.username !== '' || url.password !== '') return false
  return url.origin === origin(options.authorizationURL) || url.origin === origin(options.issuer)
}

/**
 * What to check after a refused link call. A refused `redirect_uri` that carried our `state` is most likely a provider
 * that compares it exactly with the registered callback URL: the fix is `stateInRedirectURI: false`.
 */
function startFaultHint(err: FreedomIdError, options: Pick<ResolvedOptions, 'stateInRedirectURI'>): string {
  const redirectRefused = Object.keys(err.providerErrors ?? {}).some((field) => field === 'redirect_uri' || field.startsWith('redirect_uri.'))
  if (redirectRefused && options.stateInRedirectURI) {
    return (
      'Freedom ID refused the redirect_uri, which carries this login\'s "state" in its query (stateInRedirectURI: true). ' +
      'If Freedom ID compares redirect_uri exactly with the registered callback URL, set "stateInRedirectURI: false"; ' +
      'otherwise register the callbackURL with Freedom ID.'
    )
  }
  if (redirectRefused) return 'Check that the callbackURL is the one registered with Freedom ID, character for character.'
  return 'Check clientID, clientSecret, authorizationURL and the grants the strategy asks for.'
}

/** A 4xx-class error of the server-side link call re-issued as a 502: the browser's user did nothing wrong. */
function asStartFault(err: unknown, options: Pick<ResolvedOptions, 'stateInRedirectURI'>): unknown {
  if (!isFreedomIdError(err) || !err.isLoginFailure) return err
  return new FreedomIdError(err.code, `${err.message} ${startFaultHint(err, options)}`, {
    cause: err,
    status: 502,
    ...(err.providerCode !== undefined && { providerCode: err.providerCode }),
    ...(err.providerMessage !== undefined && { providerMessage: err.providerMessage }),
    ...(err.providerErrors !== undefined && { providerErrors: err.providerErrors }),
  })
}

/**
 * Starts an OAuth2-flavour login (API.md §4.1): `POST authorizationURL` with Basic client credentials and JSON
 * `{redirect_uri, grants}` (plus `extra`, the strategy's `authorizationParams()`, which never replaces them), and
 * returns the sign-in page URL Freedom ID answers with, once checked to be on the provider's origin.
 *
 * Every failure here is the app's configuration (credentials, an unknown grant, a redirect URI Freedom ID does not
 * accept) or the provider's fault, never the user's, so each is thrown with a 5xx `status` for the strategy to pass
 * to `error()`: a refusal keeps its code (`PROVIDER_ERROR`, with `providerErrors` for a validation error) but gets
 * status 502; a link elsewhere is `AUTHORIZATION_LINK_INVALID`.
 */
export async function requestAuthorizationLink(
  options: ResolvedOptions,
  http: HttpClient,
  record: LoginRecord,
  grants: readonly string[],
  extra: Record<string, unknown>,
): Promise<string> {
  const body: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(extra)) if (value !== undefined && value !== null) body[key] = value
  Object.assign(body, { redirect_uri: record.redirect_uri, grants: [...grants] })
  let answer: Record<string, unknown>
  try {
    const res = await http.send({
      method: 'POST',
      url: options.authorizationURL,
      operation: 'authorization link',
      basic: { username: options.clientID, password: options.clientSecret },
      json: body,
    })
    const successWithoutObject = res.status < 400 && (res.body === null || typeof res.body !== 'object' || Array.isArray(res.body))
    answer = successWithoutObject ? {} : processProviderResponse(res, 'authorization link', 'PROVIDER_ERROR')
  } catch (err) {
    throw asStartFault(err, options)
  }
  if (!isProviderLink(answer.redirect_uri, options)) {
    throw new FreedomIdError(
      'AUTHORIZATION_LINK_INVALID',
      `The authorization link call to ${describeURL(options.authorizationURL)} did not return an http(s) "redirect_uri" on ` +
        `the provider's origin (${origin(options.authorizationURL)}); the browser was not sent there.`,
    )
  }
  return answer.redirect_uri
}

/**
 * Finishes an OAuth2-flavour login: exchanges the `authorization_code` (API.md §4.2), fetches the user info
 * (DECISIONS.md row 11) and builds the profile from it (`profile.id` is `sub`, else `id`, else `freedom_id`).
 * The verify callback's `params` are the token response; there is no id_token, so no `claims`.
 */
export async function completeOAuth2Login(
  options: ResolvedOptions,
  http: HttpClient,
  code: string,
  tokenParams: Record<string, string>,
): Promise<CompletedLogin> {
  const tokens = await exchangeAuthorizationCode(http, {
    ...tokenEndpointClient(options),
    code,
    extra: tokenParams,
    ...(options.revokeURL !== undefined && { revokeURI: options.revokeURL }),
  })
  const userinfo = await fetchUserInfo(http, options.userInfoURL, tokens.access_token)
  return { tokens, profile: buildProfile(userinfo, JSON.stringify(userinfo)) }
}
