import { timingSafeEqual } from 'node:crypto'
import type { Request } from 'express'
import { EMULATOR_ERRORS, errorReply } from './errors.js'
import type { Reply } from './hooks.js'
import type { EmulatorState } from './state.js'
import type { EmulatorClient } from './types.js'

/** The request body as a plain object; `undefined` when it is an array or a scalar. */
export function bodyObject(req: Request): Record<string, unknown> | undefined {
  const body: unknown = req.body
  if (body === undefined || body === null) return {}
  if (typeof body !== 'object' || Array.isArray(body)) return undefined
  return body as Record<string, unknown>
}

function label(name: string): string {
  const words = name.replace(/_/g, ' ')
  return words.charAt(0).toUpperCase() + words.slice(1)
}

/** Reads string fields and collects Laravel-style validation messages, as Freedom ID words them. */
export class FieldReader {
  readonly errors: Record<string, string[]> = {}

  constructor(private readonly source: Record<string, unknown>) {}

  /** A required non-empty string. */
  required(name: string): string | undefined {
    const value = this.source[name]
    if (value === undefined || value === null || value === '') {
      this.errors[name] = [`The ${label(name)} field is required.`]
      return undefined
    }
    return this.string(name, value)
  }

  /** An optional string; an empty one counts as absent. */
  optional(name: string): string | undefined {
    const value = this.source[name]
    if (value === undefined || value === null || value === '') return undefined
    return this.string(name, value)
  }

  /** An optional absolute http(s) URL. */
  optionalURL(name: string): string | undefined {
    const value = this.optional(name)
    if (value !== undefined && !isHttpURL(value)) {
      this.errors[name] = [`The ${label(name)} must be a valid URL.`]
      return undefined
    }
    return value
  }

  fail(name: string, message: string): void {
    this.errors[name] = [message]
  }

  get failed(): boolean {
    return Object.keys(this.errors).length > 0
  }

  private string(name: string, value: unknown): string | undefined {
    if (typeof value === 'string') return value
    this.errors[name] = [`The ${label(name)} must be a string.`]
    return undefined
  }
}

/** True for an absolute `http:` or `https:` URL without a fragment. */
export function isHttpURL(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > 2048) return false
  try {
    const url = new URL(value)
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hash === '' && !value.includes('#')
  } catch {
    return false
  }
}

/** A string query parameter; repeated or absent parameters give `undefined`. */
export function queryString(req: Request, name: string): string | undefined {
  const value: unknown = (req.query as Record<string, unknown>)[name]
  return typeof value === 'string' ? value : undefined
}

/** The token of an `Authorization: Bearer …` header; the scheme in any case only with the `schemeAnyCase` rule. */
export function bearerToken(req: Request, state: EmulatorState): string | undefined {
  const pattern = state.rules.schemeAnyCase ? /^Bearer +([^\s]+) *$/i : /^Bearer +([^\s]+) *$/
  return pattern.exec(req.get('authorization') ?? '')?.[1]
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

function decodeFormPart(part: string): string {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '))
  } catch {
    return part
  }
}

function basicCredentials(req: Request, anyCase: boolean): [string, string] | undefined {
  const pattern = anyCase ? /^Basic +([A-Za-z0-9+/=]+) *$/i : /^Basic +([A-Za-z0-9+/=]+) *$/
  const match = pattern.exec(req.get('authorization') ?? '')
  if (!match?.[1]) return undefined
  const decoded = Buffer.from(match[1], 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) return undefined
  return [decoded.slice(0, colon), decoded.slice(colon + 1)]
}

/**
 * The client authenticated by `Authorization: Basic` (client_secret_basic, raw or form-encoded parts)
 * or, with the `bodyCredentials` rule, by `client_id` and `client_secret` in the body (client_secret_post), also
 * when the Basic header is broken. `undefined` when neither checks out.
 */
export function authenticateClient(
  req: Request,
  body: Record<string, unknown>,
  state: EmulatorState,
): EmulatorClient | undefined {
  const basic = basicCredentials(req, state.rules.schemeAnyCase)
  if (!basic && !state.rules.bodyCredentials) return undefined
  const candidates: [unknown, unknown][] = basic
    ? [basic, [decodeFormPart(basic[0]), decodeFormPart(basic[1])]]
    : [[body.client_id, body.client_secret]]
  for (const [id, secret] of candidates) {
    const client = state.findClient(id)
    if (client && typeof secret === 'string' && safeEqual(secret, client.clientSecret)) {
      if (basic && body.client_id !== undefined && body.client_id !== client.clientID) return undefined
      return client
    }
  }
  return undefined
}

/** A client-authenticated call's body, client and field reader, or the error reply to send instead. */
export type ClientCall =
  | { reply: Reply; body?: never; client?: never; fields?: never }
  | { reply?: never; body: Record<string, unknown>; client: EmulatorClient; fields: FieldReader }

/**
 * The 415 reply for a body the rules refuse: a form without the `formBodies` rule, `application/*+json` without
 * `plusJson`. `undefined` for JSON, no body, or a type the rules allow.
 */
export function unsupportedBody(req: Request, state: EmulatorState): Reply | undefined {
  if (req.is('application/json')) return undefined
  const refused =
    (!state.rules.formBodies && req.is('application/x-www-form-urlencoded')) || (!state.rules.plusJson && req.is('+json'))
  return refused ? errorReply(EMULATOR_ERRORS.UNSUPPORTED_MEDIA_TYPE) : undefined
}

/** Reads the body of a call the client authenticates (token exchange, authorization link): 400, 401 or 415 when it cannot. */
export function readClientCall(req: Request, state: EmulatorState): ClientCall {
  const refused = unsupportedBody(req, state)
  if (refused) return { reply: refused }
  const body = bodyObject(req)
  if (!body) return { reply: errorReply(EMULATOR_ERRORS.MALFORMED_REQUEST) }
  const client = authenticateClient(req, body, state)
  if (!client) return { reply: errorReply(EMULATOR_ERRORS.INVALID_CLIENT) }
  return { body, client, fields: new FieldReader(body) }
}
