import type { FreedomIdParams, FreedomIdProfile } from '../src/index.js'

/** What the app keeps in the session about the signed-in user. */
export interface AppUser {
  /** The Freedom ID (`sub`). */
  id: string
  displayName: string
  email?: string
  phone?: string
  /** The grants of this login: the token response's `scope` when Freedom ID sends one, else those the app asked for. */
  scopes: string[]
  /** Whether {@link AppUser.scopes} came from Freedom ID or from the request. */
  scopesFrom: 'provider' | 'request'
  /** The verified id_token claims (OIDC); none in the OAuth2 flavour. */
  idTokenClaims?: Record<string, unknown>
}

/** Builds the session user from the verify callback's `params` and `profile`; `requested` is the scope asked for. */
export function toAppUser(params: FreedomIdParams, profile: FreedomIdProfile, requested: readonly string[]): AppUser {
  const granted = typeof params.scope === 'string' ? params.scope.split(/\s+/).filter(Boolean) : undefined
  const user: AppUser = {
    id: profile.id,
    displayName: profile.displayName,
    scopes: granted ?? [...requested],
    scopesFrom: granted ? 'provider' : 'request',
  }
  const email = profile.emails[0]?.value
  const phone = profile.phoneNumbers[0]?.value
  if (email !== undefined) user.email = email
  if (phone !== undefined) user.phone = phone
  if (params.claims) user.idTokenClaims = { ...params.claims }
  return user
}
