import { Agent, request } from 'undici'
import type { EmulatorState, TokenRecord } from './state.js'
import type { LogoutTarget, RevokeDelivery } from './types.js'

const DELIVERY_TIMEOUT_MS = 5_000

async function deliver(agent: Agent, record: TokenRecord & { revokeURI: string }, id: string): Promise<RevokeDelivery> {
  try {
    const res = await request(record.revokeURI, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id }),
      dispatcher: agent,
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    })
    await res.body.dump()
    return { id, revokeURI: record.revokeURI, status: res.statusCode }
  } catch {
    return { id, revokeURI: record.revokeURI, status: 'error' }
  }
}

/**
 * Ends a user's Freedom ID session as the provider would: revokes every live token of the user (the user owning
 * `tokenId`, when given a token) and POSTs `{"id": "<token id>"}` to each token's `revoke_uri`, in parallel: the
 * live record's id, or with the `revokeTokenId: 'original'` rule the id its code exchange returned.
 * An unknown sub or token id revokes nothing.
 */
export async function logout(state: EmulatorState, target: LogoutTarget): Promise<RevokeDelivery[]> {
  const sub = 'sub' in target ? target.sub : state.tokens.get(target.tokenId)?.sub
  if (typeof sub !== 'string') return []
  const revoked: TokenRecord[] = []
  for (const record of state.tokens.values()) {
    if (record.sub === sub && !record.revoked) {
      record.revoked = true
      revoked.push(record)
    }
  }
  const targets = revoked.filter((r): r is TokenRecord & { revokeURI: string } => r.revokeURI !== undefined)
  if (targets.length === 0) return []
  const agent = new Agent({ keepAliveTimeout: 1_000 })
  try {
    const original = state.rules.revokeTokenId === 'original'
    return await Promise.all(targets.map((record) => deliver(agent, record, original ? record.originalId : record.id)))
  } finally {
    await agent.close()
  }
}
