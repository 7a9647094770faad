export { createEmulator } from './create-emulator.js'
export { startEmulator } from './server.js'
export { DEFAULT_USERS, DEMO_CLIENT, GRANTS } from './defaults.js'
export { EMULATOR_ERRORS, CANCEL_ERROR_CODE } from './errors.js'
export type {
  Emulator,
  EmulatorClient,
  EmulatorOptions,
  EmulatorRules,
  EmulatorSigningAlg,
  EmulatorStats,
  EmulatorTokenInfo,
  EmulatorUser,
  IdTokenTamper,
  LogoutTarget,
  ProfileOutcome,
  ResponseTamper,
  RevokeDelivery,
  RunningEmulator,
  StartEmulatorOptions,
} from './types.js'
