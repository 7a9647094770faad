import type { Express } from 'express'
import type { MemoryStore } from 'express-session'

/** Where a bench app finds the provider and itself. */
export interface BenchAppConfig {
  /** The emulator's URL, which is its issuer. */
  issuer: string
  /** This app's own origin, e.g. `http://127.0.0.1:41234`; the callback is `${appURL}/callback`. */
  appURL: string
  clientID: string
  clientSecret: string
}

/** An app under test: `GET /login` starts a sign-in, `GET /callback` finishes it and answers the user id. */
export interface BenchApp {
  app: Express
  store: MemoryStore
  close?: () => Promise<void>
}
