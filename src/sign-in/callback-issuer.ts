import { FreedomIdError } from '../errors.js'

/**
 * RFC 9207: a callback's `iss` must be the configured issuer exactly (a repeated `iss` is refused too); a callback
 * without one is refused when the provider's discovery document advertises
 * `authorization_response_iss_parameter_supported` (`advertises()` is asked only then). Returns the error that fails
 * the login, or `undefined` when the callback may go on.
 */
export async function callbackIssuerError(
  iss: unknown,
  issuer: string,
  advertises: () => Promise<boolean>,
): Promise<FreedomIdError | undefined> {
  if (iss !== undefined) {
    if (iss === issuer) return undefined
    return new FreedomIdError(
      'ISSUER_MISMATCH',
      `The callback's "iss" is not "${issuer}" (RFC 9207): the response may come from another provider, so the ` +
        'login was refused. Check the "issuer" option if this provider is the right one.',
    )
  }
  if (!(await advertises())) return undefined
  return new FreedomIdError(
    'ISSUER_MISMATCH',
    'The callback has no "iss", although the provider\'s discovery document says it always sends one ' +
      '(authorization_response_iss_parameter_supported, RFC 9207): the login was refused.',
  )
}
