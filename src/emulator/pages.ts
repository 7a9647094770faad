import type { Response } from 'express'
import type { EmulatorClient, EmulatorUser } from './types.js'

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHTML(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
}

/** An email or id as HTML that wraps only after its punctuation, never inside a word (`<wbr>` after `.@_+-`). */
export function breakable(value: string): string {
  return escapeHTML(value).replace(/([.@_+-])/g, '$1<wbr>')
}

/** The name a button shows for a user: first and last name, else email, phone or sub. */
export function displayName(user: EmulatorUser): string {
  const name = [user.firstname, user.lastname].filter(Boolean).join(' ')
  return name || user.email || user.phone || user.sub
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;
  font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#eef3f1;color:#1d2b27}
main{width:min(440px,92vw);background:#fff;border-radius:16px;padding:28px;box-shadow:0 8px 30px rgba(20,60,50,.12)}
h1{margin:0 0 4px;font-size:1.35rem;color:#0b7a5c}
.badge{display:inline-block;font-size:.75rem;background:#fff4d6;color:#7a5600;border-radius:6px;padding:2px 8px}
p{margin:.8em 0}
ul.grants{margin:.4em 0 1.2em;padding-left:1.2em;color:#44524e;font-size:.92rem}
form{margin:0}
button{display:block;width:100%;margin:8px 0;padding:11px 14px;border:0;border-radius:10px;font:inherit;cursor:pointer}
button.user{background:#0b7a5c;color:#fff}
button.user:hover{background:#096a50}
button.cancel{background:#edf0ef;color:#1d2b27}
button.small{display:inline-block;width:auto;padding:6px 12px;margin:4px 0;font-size:.85rem;background:#c8372d;color:#fff}
.error{color:#b42318}
table{width:100%;border-collapse:collapse;font-size:.85rem}
td{padding:4px 0;border-top:1px solid #e4e9e7;vertical-align:top}
code{font-size:.8rem;word-break:break-all}
code.id,.id{word-break:normal;overflow-wrap:normal}
.token{margin:2px 0 8px}
.uri{width:0;min-width:100%;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;color:#44524e}
.uri code{word-break:normal}
@media (max-width:520px){main{padding:18px}td{display:block;border-top:0}tr{display:block;border-top:1px solid #e4e9e7;padding:6px 0}}
`

/** Sends an HTML page with a strict Content-Security-Policy (inline CSS only, no scripts, no framing). */
export function sendPage(res: Response, status: number, title: string, body: string): void {
  res
    .status(status)
    .set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
    .set('X-Frame-Options', 'DENY')
    .set('Referrer-Policy', 'no-referrer')
    .set('Cache-Control', 'no-store')
    .type('html')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
        `<meta name="viewport" content="width=device-width,initial-scale=1">` +
        `<title>${escapeHTML(title)}</title><style>${STYLE}</style></head>` +
        `<body><main>${body}</main></body></html>`,
    )
}

/** The consent page: who asks for what, one button per user, and Cancel. */
export function sendConsentPage(
  res: Response,
  opts: { action: string; transactionID: string; client: EmulatorClient; scopes: string[]; users: EmulatorUser[] },
): void {
  const grants = opts.scopes.map((s) => `<li><code>${escapeHTML(s)}</code></li>`).join('')
  const users = opts.users
    .map(
      (u) =>
        `<button class="user" type="submit" name="sub" value="${escapeHTML(u.sub)}">` +
        `Continue as ${escapeHTML(displayName(u))}</button>`,
    )
    .join('')
  sendPage(
    res,
    200,
    'Freedom ID (emulator)',
    `<h1>Freedom ID</h1><span class="badge">emulator</span>` +
      `<p><strong>${escapeHTML(opts.client.name ?? opts.client.clientID)}</strong> asks to sign you in and read:</p>` +
      `<ul class="grants">${grants}</ul>` +
      `<form method="post" action="${escapeHTML(opts.action)}">` +
      `<input type="hidden" name="transaction" value="${escapeHTML(opts.transactionID)}">` +
      `${users}<button class="cancel" type="submit" name="cancel" value="1">Cancel</button></form>`,
  )
}

/** A 4xx error page, used where redirecting would be unsafe (unknown client or redirect_uri). */
export function sendErrorPage(res: Response, status: number, message: string): void {
  sendPage(
    res,
    status,
    'Freedom ID (emulator): error',
    `<h1>Freedom ID</h1><span class="badge">emulator</span><p class="error">${escapeHTML(message)}</p>`,
  )
}

/** One row of the home page. */
export interface HomeEntry {
  user: EmulatorUser
  tokens: { id: string; clientID: string; revokeURI?: string }[]
}

/** The home page: users, their active tokens, and a sign-out button per user. */
export function sendHomePage(res: Response, issuer: string, entries: HomeEntry[]): void {
  const rows = entries
    .map(({ user, tokens }) => {
      const list = tokens.length
        ? tokens
            .map(
              (t) =>
                `<div class="token"><code class="id">${breakable(t.id)}</code> · <span class="id">${breakable(t.clientID)}</span>` +
                // One line, cut with an ellipsis (the whole URI in its title): it has no place to wrap but mid-word.
                `${t.revokeURI ? `<div class="uri" title="${escapeHTML(t.revokeURI)}">→ <code>${escapeHTML(t.revokeURI)}</code></div>` : ''}</div>`,
            )
            .join('')
        : '<div>No active sessions</div>'
      return (
        `<tr><td><strong class="id">${breakable(displayName(user))}</strong><br><code class="id">${breakable(user.sub)}</code></td>` +
        `<td>${list}<form method="post" action="/__emulator/logout">` +
        `<input type="hidden" name="sub" value="${escapeHTML(user.sub)}">` +
        `<button class="small" type="submit">Sign out of Freedom ID</button></form></td></tr>`
      )
    })
    .join('')
  sendPage(
    res,
    200,
    'Freedom ID (emulator)',
    `<h1>Freedom ID</h1><span class="badge">emulator</span><p>Issuer <code>${escapeHTML(issuer)}</code></p>` +
      `<table>${rows}</table>`,
  )
}
