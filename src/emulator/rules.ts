import type { EmulatorOptions, EmulatorRules } from './types.js'

/** Where the docs are silent, the emulator's default: the convenient side. */
export const LENIENT_RULES: Readonly<EmulatorRules> = Object.freeze({
  strict: false,
  discovery: true,
  jwks: true,
  formBodies: true,
  bodyCredentials: true,
  schemeAnyCase: true,
  plusJson: true,
  exactRedirectURI: false,
  flavourBoundTokens: false,
  burnCodeOnFailure: false,
  errorsWith200: false,
  revokeTokenId: 'newest',
  pendingProfileStatus: 'pending',
  authTimeClaim: true,
})

/** The `strict: true` preset: the side a production server plausibly takes where the docs are silent. */
export const STRICT_RULES: Readonly<EmulatorRules> = Object.freeze({
  strict: true,
  discovery: false,
  jwks: false,
  formBodies: false,
  bodyCredentials: false,
  schemeAnyCase: false,
  plusJson: false,
  exactRedirectURI: true,
  flavourBoundTokens: true,
  burnCodeOnFailure: true,
  errorsWith200: true,
  revokeTokenId: 'original',
  pendingProfileStatus: 'accepted',
  authTimeClaim: false,
})

const BOOLEAN_RULES = [
  'discovery',
  'jwks',
  'formBodies',
  'bodyCredentials',
  'schemeAnyCase',
  'plusJson',
  'exactRedirectURI',
  'flavourBoundTokens',
  'burnCodeOnFailure',
  'errorsWith200',
  'authTimeClaim',
] as const

function oneOf<T extends string>(name: string, value: unknown, values: readonly T[], fallback: T): T {
  if (value === undefined) return fallback
  if (!values.includes(value as T)) throw new TypeError(`"${name}" option must be one of ${values.map((v) => `'${v}'`).join(', ')}`)
  return value as T
}

/**
 * The leniency switches: the preset `strict` chooses (lenient unless `strict: true`), then each option given.
 * Throws a `TypeError` naming an option of the wrong type.
 */
export function resolveRules(options: EmulatorOptions): EmulatorRules {
  if (options.strict !== undefined && typeof options.strict !== 'boolean') throw new TypeError('"strict" option must be a boolean')
  const base = options.strict ? STRICT_RULES : LENIENT_RULES
  const rules: EmulatorRules = { ...base }
  for (const name of BOOLEAN_RULES) {
    const value = options[name]
    if (value === undefined) continue
    if (typeof value !== 'boolean') throw new TypeError(`"${name}" option must be a boolean`)
    rules[name] = value
  }
  rules.revokeTokenId = oneOf('revokeTokenId', options.revokeTokenId, ['newest', 'original'] as const, base.revokeTokenId)
  rules.pendingProfileStatus = oneOf(
    'pendingProfileStatus',
    options.pendingProfileStatus,
    ['pending', 'accepted'] as const,
    base.pendingProfileStatus,
  )
  return rules
}
