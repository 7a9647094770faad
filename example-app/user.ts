import { KNOWN_GRANTS, type FreedomIdParams, type FreedomIdProfile } from '../src/index.js'

/** What the app keeps in the session about the signed-in user. */
export interface AppUser {
  /** The Freedom ID (`sub`). */
  id: string
  displayName: string
  email?: string
  phone?: string
  /**
   * The grants of this login as Freedom ID answered them: the token response's `scope` when it sends one, else the
   * grants whose fields came back (`read.email` when there is an `email` …), never merely what the app asked for.
   */
  scopes: string[]
  /** Whether {@link AppUser.scopes} is Freedom ID's `scope` or read off the returned fields. */
  scopesFrom: 'provider' | 'claims'
  /** The verified id_token claims (OIDC); none in the OAuth2 flavour. */
  idTokenClaims?: Record<string, unknown>
}

/** The grants whose fields are in the returned claims (a grant releases the field named as it, without `read.`). */
function grantsFromClaims(params: FreedomIdParams, profile: FreedomIdProfile): string[] {
  const json = profile._json as Record<string, unknown>
  const grants: string[] = params.id_token !== undefined ? ['openid'] : []
  for (const grant of KNOWN_GRANTS) {
    const field = grant.startsWith('read.') ? grant.slice('read.'.length) : undefined
    if (field !== undefined && json[field] !== undefined && json[field] !== null) grants.push(grant)
  }
  return grants
}

/** Builds the session user from the verify callback's `params` and `profile`. */
export function toAppUser(params: FreedomIdParams, profile: FreedomIdProfile): AppUser {
  const granted = typeof params.scope === 'string' ? params.scope.split(/\s+/).filter(Boolean) : undefined
  const user: AppUser = {
    id: profile.id,
    displayName: profile.displayName,
    scopes: granted ?? grantsFromClaims(params, profile),
    scopesFrom: granted ? 'provider' : 'claims',
  }
  const email = profile.emails[0]?.value
  const phone = profile.phoneNumbers[0]?.value
  if (email !== undefined) user.email = email
  if (phone !== undefined) user.phone = phone
  if (params.claims) user.idTokenClaims = { ...params.claims }
  return user
}
