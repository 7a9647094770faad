import express, { type Express } from 'express'
import session, { MemoryStore } from 'express-session'
import type passport from 'passport'

/** The user every bench app keeps in its session. */
export interface BenchUser {
  id: string
}

/** An Express app with `express-session` on a `MemoryStore`, the same for every app under test. */
export function createShell(): { app: Express; store: MemoryStore } {
  const app = express()
  app.set('etag', false)
  const store = new MemoryStore()
  app.use(session({ secret: 'bench-session-secret', resave: false, saveUninitialized: false, store }))
  return { app, store }
}

/** How many sessions a `MemoryStore` holds, how many of them are signed in, and the length of their serialized JSON. */
export function sessionCount(store: MemoryStore): { count: number; signedIn: number; jsonBytes: number } {
  const sessions = Object.values((store as unknown as { sessions: Record<string, string> }).sessions)
  return {
    count: sessions.length,
    signedIn: sessions.filter((json) => (JSON.parse(json) as { passport?: { user?: unknown } }).passport?.user !== undefined).length,
    jsonBytes: sessions.reduce((sum, json) => sum + json.length, 0),
  }
}

/** Deletes every session whose id is not in `keep`; returns how many were deleted. */
export function dropSessionsExcept(store: MemoryStore, keep: ReadonlySet<string>): number {
  const sessions = (store as unknown as { sessions: Record<string, string> }).sessions
  let dropped = 0
  for (const id of Object.keys(sessions)) {
    if (keep.has(id)) continue
    delete sessions[id]
    dropped++
  }
  return dropped
}

/** The ids of the sessions a `MemoryStore` holds. */
export function sessionIds(store: MemoryStore): Set<string> {
  return new Set(Object.keys((store as unknown as { sessions: Record<string, string> }).sessions))
}

/** The page a signed-in user lands on: the user id as plain text, which the load generator checks. */
export function signedIn(user: BenchUser | undefined, res: express.Response): void {
  if (!user) {
    res.status(401).type('text/plain').send('not signed in')
    return
  }
  res.type('text/plain').send(user.id)
}

/**
 * Mounts a Passport instance whose strategy `name` signs users in: sessions keep the whole user, `GET /login` starts a
 * sign-in and `GET /callback` finishes it on the page {@link signedIn} renders.
 */
export function mountPassport(app: Express, pp: passport.Authenticator, name: string): void {
  pp.serializeUser((user, done) => done(null, user))
  pp.deserializeUser((user: Express.User, done) => done(null, user))
  app.use(pp.initialize())
  app.use(pp.session())
  app.get('/login', pp.authenticate(name))
  app.get('/callback', pp.authenticate(name), (req, res) => signedIn(req.user as BenchUser | undefined, res))
}

/** The scope every app asks for. */
export const BENCH_SCOPE = ['openid', 'read.email', 'read.firstname', 'read.lastname']
