import { Router, type Response } from 'express'
import { CANCEL_ERROR_CODE } from './errors.js'
import { sendConsentPage, sendErrorPage } from './pages.js'
import { bodyObject } from './request.js'
import type { EmulatorState, Protocol, Transaction } from './state.js'

const DECIDE_PATH: Record<Protocol, string> = { oidc: '/openid/decide', oauth2: '/login/decide' }

/** `url` with `params` appended to its query, keeping the query it already has. */
export function appendParams(url: string, params: Record<string, string | undefined>): string {
  const out = new URL(url)
  for (const [key, value] of Object.entries(params)) if (value !== undefined) out.searchParams.append(key, value)
  return out.href
}

/** Where the browser goes when the sign-in ends: with a code, or with the cancel error of the flow's flavour. */
function completionURL(state: EmulatorState, tx: Transaction, decision: { sub: string } | 'cancel'): string {
  if (tx.protocol === 'oidc') {
    const iss = state.settings.authorizationResponseIss ? state.issuer : undefined
    if (decision === 'cancel') {
      return appendParams(tx.redirectURI, {
        error: 'access_denied',
        error_description: 'The user cancelled',
        state: tx.state,
        iss,
      })
    }
    return appendParams(tx.redirectURI, { code: state.issueCode(tx, decision.sub).code, state: tx.state, iss })
  }
  if (decision === 'cancel') return appendParams(tx.redirectURI, { error_code: String(CANCEL_ERROR_CODE) })
  return appendParams(tx.redirectURI, { authorization_code: state.issueCode(tx, decision.sub).code })
}

/**
 * Shows the consent page for a sign-in, or, in automatic mode, signs the auto-login user in at once.
 * The transaction is stored server-side; the page carries only its id.
 */
export function presentLogin(state: EmulatorState, tx: Transaction, res: Response): void {
  const auto = state.autoLogin === false ? undefined : state.findUser(state.autoLogin)
  if (auto) {
    state.transactions.delete(tx.id)
    res.redirect(302, completionURL(state, tx, { sub: auto.sub }))
    return
  }
  const client = state.findClient(tx.clientID)
  if (!client) {
    state.transactions.delete(tx.id)
    sendErrorPage(res, 400, 'The client of this sign-in is no longer registered.')
    return
  }
  state.transactions.set(tx.id, tx)
  sendConsentPage(res, {
    action: DECIDE_PATH[tx.protocol],
    transactionID: tx.id,
    client,
    scopes: tx.scopes,
    users: state.users,
  })
}

/** `POST /openid/decide` and `POST /login/decide`: the consent page's form. */
export function createDecisionRouter(state: EmulatorState): Router {
  const router = Router()
  for (const protocol of ['oidc', 'oauth2'] as const) {
    router.post(DECIDE_PATH[protocol], (req, res) => {
      const body = bodyObject(req) ?? {}
      const id = body.transaction
      const tx = typeof id === 'string' ? state.transactions.get(id) : undefined
      if (!tx || tx.protocol !== protocol || state.now() >= tx.expiresAt) {
        sendErrorPage(res, 400, 'This sign-in has expired or was already completed. Start again from the application.')
        return
      }
      const cancelled = body.cancel !== undefined
      const user = cancelled ? undefined : state.findUser(body.sub)
      if (!cancelled && !user) {
        sendErrorPage(res, 400, 'Choose one of the listed users.')
        return
      }
      state.transactions.delete(tx.id)
      res.redirect(303, completionURL(state, tx, user ? { sub: user.sub } : 'cancel'))
    })
  }
  return router
}
