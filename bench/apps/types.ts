import type { Express } from 'express'
import type { MemoryStore } from 'express-session'
import type { SessionIndex } from '../../src/sign-out/session-index/types.js'

/** Where a bench app finds the provider and itself. */
export interface BenchAppConfig {
  /** The emulator's URL, which is its issuer. */
  issuer: string
  /** This app's own origin, e.g. `http://127.0.0.1:41234`; the callback is `${appURL}/callback`. */
  appURL: string
  clientID: string
  clientSecret: string
  /** Where `ours` binds each sign-in for provider sign-out (the soak); the other apps take none. */
  sessionIndex?: SessionIndex
}

/** An app under test: `GET /login` starts a sign-in, `GET /callback` finishes it and answers the user id. */
export interface BenchApp {
  app: Express
  store: MemoryStore
  close?: () => Promise<void>
}
