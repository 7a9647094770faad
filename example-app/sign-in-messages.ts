/**
 * What the app tells a person when a sign-in fails: a short sentence per failure code, never the library's message,
 * which is written for developers (it goes to the log). The OAuth2 flavour's cancel (`error_code` 100102) reads
 * like the OpenID Connect one (`access_denied`).
 */

/** Freedom ID's OAuth2 `error_code` when the user cancels (the docs' example value). */
export const OAUTH2_CANCEL_CODE = 100102

const CANCELLED = 'You cancelled the sign-in. Nothing was shared with this app.'
const TRY_AGAIN = 'Please try again.'

const SENTENCES: Record<string, string> = {
  ACCESS_DENIED: CANCELLED,
  STATE_MISSING: `This sign-in link has expired or was already used. ${TRY_AGAIN}`,
  CODE_MISSING: `Freedom ID sent you back without completing the sign-in. ${TRY_AGAIN}`,
  AUTHORIZATION_ERROR: `Freedom ID could not complete the sign-in. ${TRY_AGAIN}`,
  PROVIDER_ERROR: `Freedom ID could not complete the sign-in. ${TRY_AGAIN}`,
  ID_TOKEN_INVALID: `Freedom ID's answer could not be verified, so you were not signed in. ${TRY_AGAIN}`,
  USERINFO_SUB_MISMATCH: `Freedom ID's answer could not be verified, so you were not signed in. ${TRY_AGAIN}`,
}

/** The failure code a person's message is chosen by: an OAuth2 cancel counts as `ACCESS_DENIED`. */
export function failureCode(info: { code?: unknown; providerCode?: unknown } | undefined): string {
  const code = typeof info?.code === 'string' ? info.code : 'SIGN_IN_FAILED'
  if (code === 'AUTHORIZATION_ERROR' && Number(info?.providerCode) === OAUTH2_CANCEL_CODE) return 'ACCESS_DENIED'
  return code
}

/** The sentence shown for a failure code. */
export function sentenceFor(code: string): string {
  return SENTENCES[code] ?? `The sign-in did not work. ${TRY_AGAIN}`
}
