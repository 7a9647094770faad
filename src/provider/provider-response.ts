import { FreedomIdError } from '../errors.js'
import type { ProviderResponse } from './http-client.js'

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function providerErrorDetails(error: unknown): {
  providerMessage?: string
  providerCode?: number | string
  providerErrors?: Record<string, string[]>
} {
  if (typeof error === 'string') return { providerCode: error }
  if (!isObject(error)) return {}
  const details: ReturnType<typeof providerErrorDetails> = {}
  if (typeof error.message === 'string') details.providerMessage = error.message
  if (typeof error.code === 'number' || typeof error.code === 'string') details.providerCode = error.code
  if (isObject(error.errors)) {
    const errors: Record<string, string[]> = {}
    for (const [field, messages] of Object.entries(error.errors)) {
      errors[field] = (Array.isArray(messages) ? messages : [messages]).map(String)
    }
    details.providerErrors = errors
  }
  return details
}

/**
 * Turns a provider answer into its JSON object or a {@link FreedomIdError} (DECISIONS.md row 6): a body with an
 * `error` member is an error whatever the HTTP status (Freedom ID documents its errors under 200), both in
 * Freedom ID's `{"error":{"message","code"}}` shape and in OAuth's `{"error":"…","error_description":"…"}`; a 5xx is a
 * provider fault; any other 4xx is a provider error; a success that is not a JSON object is `invalidCode`.
 */
export function processProviderResponse(
  res: ProviderResponse,
  operation: string,
  invalidCode: 'TOKEN_RESPONSE_INVALID' | 'USERINFO_INVALID' | 'PROVIDER_ERROR',
): Record<string, unknown> {
  const body = res.body
  if (isObject(body) && body.error !== undefined && body.error !== null) {
    const details = providerErrorDetails(body.error)
    if (typeof body.error_description === 'string') details.providerMessage = body.error_description
    const said = details.providerMessage ?? 'no message'
    const code = details.providerCode === undefined ? '' : ` (code ${details.providerCode})`
    const fields = details.providerErrors
      ? `: ${Object.entries(details.providerErrors).map(([f, m]) => `${f}: ${m.join(' ')}`).join('; ')}`
      : ''
    const message = `Freedom ID refused the ${operation} request${code}: ${said}${fields}`
    if (res.status >= 500) throw new FreedomIdError('PROVIDER_HTTP_ERROR', `${message} (HTTP ${res.status})`, details)
    throw new FreedomIdError('PROVIDER_ERROR', message, details)
  }
  if (res.status >= 500) {
    throw new FreedomIdError('PROVIDER_HTTP_ERROR', `Freedom ID answered the ${operation} request with HTTP ${res.status}.`)
  }
  if (res.status >= 400) {
    throw new FreedomIdError('PROVIDER_ERROR', `Freedom ID refused the ${operation} request with HTTP ${res.status}.`)
  }
  if (!isObject(body)) {
    throw new FreedomIdError(invalidCode, `Freedom ID's ${operation} response is not a JSON object.`)
  }
  return body
}
