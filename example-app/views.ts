import type { AppUser } from './user.js'

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHTML(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
}

/**
 * An email or id as HTML that wraps only after its punctuation (`.`, `@`, `-`, `_`, `+`), never inside a word: the
 * escaped text with `<wbr>` after each of those characters.
 */
export function breakable(value: string): string {
  return escapeHTML(value).replace(/([.@_+-])/g, '$1<wbr>')
}

/** The app's icon, served at `/favicon.svg`: a key on the header's blue. */
export const FAVICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#12314f"/>' +
  '<circle cx="12" cy="16" r="6" fill="none" stroke="#ffe8a3" stroke-width="3"/>' +
  '<path d="M18 16h10M24 16v5M28 16v4" stroke="#ffe8a3" stroke-width="3" stroke-linecap="round"/></svg>'

/** The stylesheet served at `/style.css`, so the Content-Security-Policy needs no `'unsafe-inline'`. */
export const STYLESHEET = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f3f5f8;color:#1c2430}
header{background:#12314f;color:#fff;padding:14px 24px;display:flex;align-items:center;gap:12px}
header a{color:#fff;text-decoration:none;font-weight:600}
.badge{font-size:.75rem;border-radius:999px;padding:2px 10px;background:#ffe8a3;color:#5c4300}
.badge.live{background:#c9f2dd;color:#0b5132}
main{max-width:760px;margin:32px auto;padding:0 16px}
.card{background:#fff;border-radius:14px;padding:28px;box-shadow:0 6px 24px rgba(18,49,79,.10)}
h1{margin:0 0 8px;font-size:1.6rem}
h2{margin:28px 0 10px;font-size:1.05rem;color:#3a4a5c}
p{margin:.7em 0}
.muted{color:#5b6878;font-size:.92rem}
.button{display:inline-block;border:0;border-radius:10px;padding:11px 18px;font:inherit;font-weight:600;
  cursor:pointer;text-decoration:none;background:#0b7a5c;color:#fff}
.button:hover{background:#096a50}
.button.secondary{background:#e6ebf1;color:#1c2430}
.button.danger{background:#c8372d;color:#fff}
.actions{display:flex;flex-wrap:wrap;gap:10px;margin-top:24px}
.actions form{margin:0}
.alert{border-radius:10px;padding:12px 16px;margin:0 0 18px}
.alert.error{background:#fdecea;color:#8a1c12}
.alert.notice{background:#e7f5ee;color:#0b5132}
dl{display:grid;grid-template-columns:max-content 1fr;gap:6px 18px;margin:0}
dt{color:#5b6878}
dd{margin:0;min-width:0}
.id{word-break:normal;overflow-wrap:normal}
.chips{display:flex;flex-wrap:wrap;gap:6px;padding:0;margin:0;list-style:none}
.chips li{background:#eef2f7;border-radius:6px;padding:2px 8px;font:13px ui-monospace,SFMono-Regular,Menlo,monospace}
table{width:100%;border-collapse:collapse;font-size:.9rem}
th,td{text-align:left;padding:7px 8px;border-top:1px solid #e6ebf1;vertical-align:top}
th{width:30%;font-weight:600;color:#3a4a5c}
code{font:13px ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}
.status{font-size:3rem;font-weight:700;color:#c8372d;margin:0}
@media (max-width:520px){
  main{margin:16px auto;padding:0 10px}
  .card{padding:18px}
  dl{grid-template-columns:1fr;gap:2px}
  dd{margin-bottom:8px}
  th,td{display:block;width:auto;padding:4px 0}
  th{border-top:1px solid #e6ebf1;padding-top:8px}
  td{border-top:0}
}
`

/** How the header labels the provider. */
export interface ProviderLabel {
  mode: 'emulator' | 'freedom-id'
  /** The provider's base URL. */
  issuer: string
}

function layout(title: string, provider: ProviderLabel, body: string): string {
  const badge =
    provider.mode === 'emulator'
      ? '<span class="badge">Freedom ID emulator</span>'
      : '<span class="badge live">Freedom ID</span>'
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width,initial-scale=1">' +
    `<title>${escapeHTML(title)}</title><link rel="icon" href="/favicon.svg" type="image/svg+xml">` +
    '<link rel="stylesheet" href="/style.css"></head>' +
    `<body><header><a href="/">Freedom ID example app</a>${badge}</header>` +
    `<main><div class="card">${body}</div></main></body></html>`
  )
}

function alerts(opts: { error?: string | undefined; notice?: string | undefined }): string {
  return (
    (opts.error ? `<div class="alert error" role="alert">${escapeHTML(opts.error)}</div>` : '') +
    (opts.notice ? `<div class="alert notice" role="status">${escapeHTML(opts.notice)}</div>` : '')
  )
}

function signOutForm(): string {
  return '<form method="post" action="/logout"><button class="button secondary" type="submit">Sign out</button></form>'
}

/** The home page: a sign-in button for a visitor, who they are for a signed-in user. */
export function homePage(opts: {
  provider: ProviderLabel
  user?: AppUser | undefined
  error?: string | undefined
  notice?: string | undefined
}): string {
  const { provider, user } = opts
  if (user) {
    return layout(
      'Freedom ID example app',
      provider,
      `${alerts(opts)}<h1>Hello, ${escapeHTML(user.displayName)}</h1>` +
        '<p>You are signed in with Freedom ID.</p>' +
        `<div class="actions"><a class="button" href="/profile">Your profile</a>${signOutForm()}</div>`,
    )
  }
  const hint =
    provider.mode === 'emulator'
      ? `<p class="muted">Signing in goes to the local Freedom ID emulator at <code>${escapeHTML(provider.issuer)}</code>, ` +
        'where you pick a test user. No real account is needed.</p>'
      : ''
  return layout(
    'Freedom ID example app',
    provider,
    `${alerts(opts)}<h1>Welcome</h1><p>This sample app signs you in through Freedom ID, the sign-in of Freedom Pay.</p>` +
      `${hint}<div class="actions"><a class="button" href="/auth/freedom-id">Sign in with Freedom ID</a></div>`,
  )
}

const TIME_CLAIMS = new Set(['exp', 'iat', 'nbf', 'auth_time'])

function claimValue(name: string, value: unknown): string {
  if (TIME_CLAIMS.has(name) && typeof value === 'number') {
    const date = new Date(value * 1000)
    const shown = Number.isNaN(date.getTime()) ? '' : ` <span class="muted">(${escapeHTML(date.toISOString())})</span>`
    return `<code>${escapeHTML(value)}</code>${shown}`
  }
  if (typeof value === 'string' && ID_CLAIMS.has(name)) return `<code class="id">${breakable(value)}</code>`
  return `<code>${escapeHTML(typeof value === 'string' ? value : JSON.stringify(value))}</code>`
}

/** Claims that hold an email or an id: wrapped at their punctuation only. */
const ID_CLAIMS = new Set(['sub', 'aud', 'azp', 'email', 'sid', 'jti'])

/** The profile page: who the user is, the granted scopes, the id_token claims, and the sign-out buttons. */
export function profilePage(opts: {
  provider: ProviderLabel
  user: AppUser
  /** Emulator mode: where "Sign out of Freedom ID" posts, and where the emulator sends the browser back. */
  providerSignOut?: { action: string; returnTo: string } | undefined
}): string {
  const { user } = opts
  const missing = '<span class="muted">not shared</span>'
  const scopes = user.scopes.map((s) => `<li>${escapeHTML(s)}</li>`).join('')
  const claims = user.idTokenClaims
    ? '<table>' +
      Object.entries(user.idTokenClaims)
        .map(([name, value]) => `<tr><th scope="row">${escapeHTML(name)}</th><td>${claimValue(name, value)}</td></tr>`)
        .join('') +
      '</table>'
    : '<p class="muted">No id_token: the OAuth2 flavour of Freedom ID does not issue one.</p>'
  const providerSignOut = opts.providerSignOut
    ? `<form method="post" action="${escapeHTML(opts.providerSignOut.action)}">` +
      `<input type="hidden" name="sub" value="${escapeHTML(user.id)}">` +
      `<input type="hidden" name="return_to" value="${escapeHTML(opts.providerSignOut.returnTo)}">` +
      '<button class="button danger" type="submit">Sign out of Freedom ID</button></form>'
    : ''
  return layout(
    `${user.displayName}: profile`,
    opts.provider,
    `<h1>${escapeHTML(user.displayName)}</h1><p class="muted">Signed in with Freedom ID</p>` +
      '<dl>' +
      `<dt>Name</dt><dd>${escapeHTML(user.displayName)}</dd>` +
      `<dt>Email</dt><dd class="id">${user.email ? breakable(user.email) : missing}</dd>` +
      `<dt>Phone</dt><dd>${user.phone ? escapeHTML(user.phone) : missing}</dd>` +
      `<dt>Freedom ID</dt><dd><code class="id">${breakable(user.id)}</code></dd>` +
      '</dl>' +
      `<h2>Granted scopes${user.scopesFrom === 'claims' ? ' <span class="muted">(from the data Freedom ID returned)</span>' : ''}</h2>` +
      `<ul class="chips">${scopes}</ul>` +
      `<h2>id_token claims</h2>${claims}` +
      `<div class="actions">${signOutForm()}${providerSignOut}</div>`,
  )
}

/** A short error page: the status, a message for people, and the library's error code when there is one. */
export function errorPage(opts: { provider: ProviderLabel; status: number; message: string; code?: string | undefined }): string {
  return layout(
    `Error ${opts.status}`,
    opts.provider,
    `<p class="status">${escapeHTML(opts.status)}</p><h1>Something went wrong</h1>` +
      `<p>${escapeHTML(opts.message)}</p>` +
      (opts.code ? `<p class="muted">Error code <code>${escapeHTML(opts.code)}</code></p>` : '') +
      '<div class="actions"><a class="button secondary" href="/">Back to the home page</a></div>',
  )
}
