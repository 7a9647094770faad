import { subjectOf, type FreedomIdClaims } from '../provider/userinfo.js'

/**
 * One email address or phone number, as Portable Contacts 1.0 plural fields are: `primary: true` on the one the
 * provider names as primary (`email`, `phone`), `verified` when the provider says (`email_verified`,
 * `phone_number_verified`, or a `verified` member of a list entry).
 */
export interface FreedomIdContact {
  value: string
  primary?: true
  verified?: boolean
}

/** The Passport profile of a Freedom ID user (the fields of Passport's "portable contacts" profile, plus Freedom ID's). */
export interface FreedomIdProfile {
  provider: 'freedom-id'
  /** The user's Freedom ID (`sub`; in the OAuth2 flavour `id` or `freedom_id`). */
  id: string
  /** First and last name, else the `name` claim, else email, else phone, else `id`. */
  displayName: string
  /** From `firstname`/`lastname`/`patronymic`, else the standard `given_name`/`family_name`/`middle_name`. */
  name: { givenName?: string; familyName?: string; middleName?: string; formatted?: string }
  /** `email` (else `email`'s standard twin) first with `primary: true`, then the other `emails`. */
  emails: FreedomIdContact[]
  /** `phone` (else the standard `phone_number`) first with `primary: true`, then the other `phones`. */
  phoneNumbers: FreedomIdContact[]
  /** `date_of_birth`, else the standard `birthdate`. */
  birthday?: string
  gender?: string
  country?: string
  nationality?: string
  identifier?: string
  /** The standard `picture` claim. */
  photos?: Array<{ value: string }>
  /** The standard `locale` claim. */
  locale?: string
  /** All claims: the id_token's merged with userinfo's. */
  _json: FreedomIdClaims
  /** The userinfo response as JSON text (the id_token payload when userinfo was skipped). */
  _raw: string
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined
}

function flag(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value
  if (value === 'true') return true
  if (value === 'false') return false
  return undefined
}

function contacts(primary: unknown, primaryVerified: unknown, others: unknown): FreedomIdContact[] {
  const list: FreedomIdContact[] = []
  const first = text(primary)
  if (first) {
    const verified = flag(primaryVerified)
    list.push({ value: first, primary: true, ...(verified !== undefined && { verified }) })
  }
  if (Array.isArray(others)) {
    for (const item of others) {
      const entry = item as { value?: unknown; verified?: unknown } | null
      const value = text(item) ?? text(entry?.value)
      if (!value || list.some((c) => c.value === value)) continue
      const verified = typeof item === 'object' ? flag(entry?.verified) : undefined
      list.push({ value, ...(verified !== undefined && { verified }) })
    }
  }
  return list
}

/**
 * Builds the Passport profile from the merged claims; `raw` is the JSON text they came from. Freedom ID's claim
 * names (DECISIONS.md row 10) come first; the standard OpenID Connect ones (Core §5.1) fill what they leave empty.
 */
export function buildProfile(claims: FreedomIdClaims, raw: string): FreedomIdProfile {
  const id = subjectOf(claims) ?? ''
  const givenName = text(claims.firstname) ?? text(claims.given_name)
  const familyName = text(claims.lastname) ?? text(claims.family_name)
  const middleName = text(claims.patronymic) ?? text(claims.middle_name)
  const formatted = text(claims.name)
  const emails = contacts(claims.email, claims.email_verified, claims.emails)
  const phoneNumbers = contacts(text(claims.phone) ?? claims.phone_number, claims.phone_number_verified, claims.phones)
  const fullName = [givenName, familyName].filter(Boolean).join(' ')
  const profile: FreedomIdProfile = {
    provider: 'freedom-id',
    id,
    displayName: fullName || formatted || emails[0]?.value || phoneNumbers[0]?.value || id,
    name: {
      ...(givenName && { givenName }),
      ...(familyName && { familyName }),
      ...(middleName && { middleName }),
      ...(formatted && { formatted }),
    },
    emails,
    phoneNumbers,
    _json: claims,
    _raw: raw,
  }
  const birthday = text(claims.date_of_birth) ?? text(claims.birthdate)
  if (birthday) profile.birthday = birthday
  for (const key of ['gender', 'country', 'nationality', 'identifier', 'locale'] as const) {
    const value = text(claims[key])
    if (value) profile[key] = value
  }
  const picture = text(claims.picture)
  if (picture) profile.photos = [{ value: picture }]
  return profile
}
