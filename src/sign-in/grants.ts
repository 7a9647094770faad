/**
 * The grants Freedom ID documents (API.md §2, the Authorization-link example). In OpenID Connect they travel
 * space-separated in `scope`; in the OAuth2 flavour as the `grants` array.
 */
export const KNOWN_GRANTS = Object.freeze([
  'read.email',
  'read.emails',
  'read.phone',
  'read.phones',
  'read.date_of_birth',
  'read.firstname',
  'read.lastname',
  'read.patronymic',
  'read.gender',
  'read.country',
  'read.nationality',
  'read.identifier',
  'read.profile',
  'read.cards',
  'openid',
] as const)

/** A grant name Freedom ID documents. */
export type FreedomIdGrant = (typeof KNOWN_GRANTS)[number]
