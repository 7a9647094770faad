import { subjectOf, type FreedomIdClaims } from '../provider/userinfo.js'

/** The Passport profile of a Freedom ID user (the fields of Passport's "portable contacts" profile, plus Freedom ID's). */
export interface FreedomIdProfile {
  provider: 'freedom-id'
  /** The user's Freedom ID (`sub`; in the OAuth2 flavour `id` or `freedom_id`). */
  id: string
  /** First and last name, else email, else phone, else `id`. */
  displayName: string
  name: { givenName?: string; familyName?: string; middleName?: string }
  /** `email` first (`type: 'primary'`), then the other `emails`. */
  emails: Array<{ value: string; type?: 'primary' }>
  /** `phone` first (`type: 'primary'`), then the other `phones`. */
  phoneNumbers: Array<{ value: string; type?: 'primary' }>
  birthday?: string
  gender?: string
  country?: string
  nationality?: string
  identifier?: string
  /** All claims: the id_token's merged with userinfo's. */
  _json: FreedomIdClaims
  /** The userinfo response as JSON text (the id_token payload when userinfo was skipped). */
  _raw: string
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined
}

function contacts(primary: unknown, others: unknown): Array<{ value: string; type?: 'primary' }> {
  const list: Array<{ value: string; type?: 'primary' }> = []
  const first = text(primary)
  if (first) list.push({ value: first, type: 'primary' })
  if (Array.isArray(others)) {
    for (const item of others) {
      const value = text(item) ?? text((item as { value?: unknown } | null)?.value)
      if (value && !list.some((c) => c.value === value)) list.push({ value })
    }
  }
  return list
}

/** Builds the Passport profile from the merged claims; `raw` is the JSON text they came from. */
export function buildProfile(claims: FreedomIdClaims, raw: string): FreedomIdProfile {
  const id = subjectOf(claims) ?? ''
  const givenName = text(claims.firstname)
  const familyName = text(claims.lastname)
  const middleName = text(claims.patronymic)
  const emails = contacts(claims.email, claims.emails)
  const phoneNumbers = contacts(claims.phone, claims.phones)
  const fullName = [givenName, familyName].filter(Boolean).join(' ')
  const profile: FreedomIdProfile = {
    provider: 'freedom-id',
    id,
    displayName: fullName || emails[0]?.value || phoneNumbers[0]?.value || id,
    name: {
      ...(givenName && { givenName }),
      ...(familyName && { familyName }),
      ...(middleName && { middleName }),
    },
    emails,
    phoneNumbers,
    _json: claims,
    _raw: raw,
  }
  const birthday = text(claims.date_of_birth)
  if (birthday) profile.birthday = birthday
  for (const key of ['gender', 'country', 'nationality', 'identifier'] as const) {
    const value = text(claims[key])
    if (value) profile[key] = value
  }
  return profile
}
