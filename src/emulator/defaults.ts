import { KNOWN_GRANTS } from '../sign-in/grants.js'
import type { EmulatorUser } from './types.js'

/** The client registered when `clients` is not given. Its id is the client_id of the Freedom ID docs' example. */
export const DEMO_CLIENT = Object.freeze({
  clientID: 'c388f3cd-7722-4040-9bb2-94b0a05093aa',
  clientSecret: 'emulator-demo-secret-not-for-production',
})

/** Every grant Freedom ID knows (API.md §2), in the docs' order: the library's own list. */
export const GRANTS = KNOWN_GRANTS

/** The user fields a grant releases: the grant name without `read.` (DECISIONS.md row 10). */
export const USER_FIELDS = Object.freeze([
  'email',
  'emails',
  'phone',
  'phones',
  'date_of_birth',
  'firstname',
  'lastname',
  'patronymic',
  'gender',
  'country',
  'nationality',
  'identifier',
  'cards',
] as const)

/** The accounts available when `users` is not given: two full profiles and one with few fields. */
export const DEFAULT_USERS: readonly EmulatorUser[] = Object.freeze([
  {
    sub: '41790bb3-62ba-461f-9bed-e232e30ad377',
    firstname: 'Aigerim',
    lastname: 'Bekova',
    patronymic: 'Serikkyzy',
    email: 'aigerim.bekova@example.kz',
    emails: ['aigerim.bekova@example.kz', 'a.bekova@example.com'],
    phone: '+77011234567',
    phones: ['+77011234567', '+77272501234'],
    date_of_birth: '1994-03-12',
    gender: 'F',
    country: 'KAZ',
    nationality: 'Kazakh',
    identifier: '940312450123',
    cards: [{ mask: '440043******1234', brand: 'VISA', expiry: '12/28' }],
  },
  {
    sub: '8d3c2f6e-5b1a-4e7d-9c0f-2a6b8e4d1c35',
    firstname: 'Daniyar',
    lastname: 'Seitkali',
    patronymic: 'Nurlanuly',
    email: 'daniyar.seitkali@example.kz',
    emails: ['daniyar.seitkali@example.kz'],
    phone: '+77051234568',
    phones: ['+77051234568'],
    date_of_birth: '1988-11-02',
    gender: 'M',
    country: 'KAZ',
    nationality: 'Kazakh',
    identifier: '881102350987',
    cards: [],
  },
  {
    sub: 'e2a7c9b4-3f6d-4a81-b5e0-7c1d9f3a2b68',
    firstname: 'Yerlan',
    phone: '+77771234569',
  },
])

/** Seconds an access token and an id_token live: 7 days (DECISIONS.md row 14). */
export const DEFAULT_ACCESS_TOKEN_TTL = 604_800
/** Seconds a refresh token lives: 28 days. */
export const DEFAULT_REFRESH_TOKEN_TTL = 2_419_200
/** Seconds an authorization code lives. */
export const DEFAULT_CODE_TTL = 60
/** Milliseconds before a profile request completes. */
export const DEFAULT_PROFILE_DELAY = 1_000
/** Milliseconds an OAuth2 sign-in link (and a pending OIDC sign-in) stays valid. */
export const LOGIN_LINK_TTL_MS = 10 * 60 * 1000
