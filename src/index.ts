export { FreedomIdStrategy, type FreedomIdAuthenticateOptions } from './sign-in/strategy.js'
export { FreedomIdStrategy as Strategy } from './sign-in/strategy.js'
export type { FreedomIdStrategyOptions } from './sign-in/options.js'
export { DEFAULT_ISSUER, DEFAULT_ID_TOKEN_ALGS } from './sign-in/options.js'
export { sessionLoginState, type SessionLoginStateOptions } from './sign-in/login-state/session-store.js'
export { cookieLoginState, PENDING_COOKIES_BUDGET, type CookieLoginStateOptions } from './sign-in/login-state/cookie-store.js'
export type { LoginStateStore, PutLoginOptions } from './sign-in/login-state/types.js'
export type { LoginRecord } from './sign-in/login-state/record.js'
export { KNOWN_GRANTS, type FreedomIdGrant } from './sign-in/grants.js'
export { FreedomIdError, isFreedomIdError, type FreedomIdErrorCode, type FreedomIdErrorDetails } from './errors.js'
export type { FreedomIdContact, FreedomIdProfile } from './sign-in/profile.js'
export type { FreedomIdClaims } from './provider/userinfo.js'
export type { TokenResponse } from './provider/token-exchange.js'
export type { IdTokenClaims } from './sign-in/id-token.js'
export type {
  FreedomIdVerify,
  FreedomIdParams,
  VerifyCallback,
  VerifyFunction,
  VerifyFunctionWithParams,
  VerifyFunctionWithRequest,
  VerifyFunctionWithRequestAndParams,
} from './sign-in/verify-callback.js'
export { createRevokeRouter, REVOKE_BODY_LIMIT, type RevokeHandler, type RevokeRouterOptions, type RevokeErrorCode, type SessionStoreLike } from './sign-out/revoke-router.js'
export { createRevokeGuard, type RevokeGuardHandler, type RevokeGuardOptions } from './sign-out/revoke-guard.js'
export { MemorySessionIndex, type MemorySessionIndexOptions } from './sign-out/session-index/memory.js'
export { RedisSessionIndex, type RedisSessionIndexOptions } from './sign-out/session-index/redis.js'
export type { RedisClientLike, NodeRedisClientLike, IORedisClientLike } from './sign-out/session-index/redis-command.js'
export { SESSION_TOKEN_ID_KEY, SESSION_ORIGINAL_TOKEN_ID_KEY, DEFAULT_SESSION_INDEX_TTL, type SessionIndex, type SessionBinder, type BindOptions } from './sign-out/session-index/types.js'
export { createFreedomIdClient, type FreedomIdClient, type FreedomIdClientOptions } from './api/api-client.js'
export { createTokenRefresher, type TokenRefresherOptions } from './api/refresh-middleware.js'
export type { SharedRefreshOptions } from './api/shared-refresh.js'
export { keepTokensOnLogIn, readSessionTokens, writeSessionTokens, SESSION_TOKENS_KEY, type StoredTokens } from './api/session-tokens.js'
export type { ProfileRequestStatus, ProfileRequestResult, ProfileStatusResult, RequestProfileOptions } from './provider/profile-request.js'
export type { WaitForProfileOptions } from './api/wait-for-profile.js'
