export { FreedomIdStrategy, type FreedomIdAuthenticateOptions } from './strategy.js'
export { FreedomIdStrategy as Strategy } from './strategy.js'
export type { FreedomIdStrategyOptions, SessionBinder } from './options.js'
export { DEFAULT_ISSUER, DEFAULT_ID_TOKEN_ALGS } from './options.js'
export { KNOWN_GRANTS, type FreedomIdGrant } from './grants.js'
export { FreedomIdError, isFreedomIdError, type FreedomIdErrorCode, type FreedomIdErrorDetails } from './errors.js'
export type { FreedomIdProfile } from './profile.js'
export type { FreedomIdClaims } from './userinfo.js'
export type { TokenResponse } from './token-exchange.js'
export type { IdTokenClaims } from './id-token.js'
export type {
  FreedomIdVerify,
  FreedomIdParams,
  VerifyCallback,
  VerifyFunction,
  VerifyFunctionWithParams,
  VerifyFunctionWithRequest,
  VerifyFunctionWithRequestAndParams,
} from './verify-callback.js'
export { createRevokeRouter, REVOKE_BODY_LIMIT, type RevokeRouterOptions, type RevokeErrorCode, type SessionStoreLike } from './revoke-router.js'
export { createRevokeGuard, type RevokeGuardOptions } from './revoke-guard.js'
export { MemorySessionIndex, type MemorySessionIndexOptions } from './session-index/memory.js'
export { RedisSessionIndex, type RedisSessionIndexOptions } from './session-index/redis.js'
export type { RedisClientLike, NodeRedisClientLike, IORedisClientLike } from './session-index/redis-command.js'
export { SESSION_TOKEN_ID_KEY, DEFAULT_SESSION_INDEX_TTL, type SessionIndex } from './session-index/types.js'
export { createFreedomIdClient, type FreedomIdClient, type FreedomIdClientOptions } from './api-client.js'
export { createTokenRefresher, type TokenRefresherOptions } from './refresh-middleware.js'
export { keepTokensOnLogIn, readSessionTokens, writeSessionTokens, SESSION_TOKENS_KEY, type StoredTokens } from './session-tokens.js'
export type { ProfileRequestStatus, ProfileRequestResult, ProfileStatusResult, RequestProfileOptions } from './profile-request.js'
export type { WaitForProfileOptions } from './wait-for-profile.js'
