import { parseSetCookie, type SetCookie } from 'cookie'
import { request } from 'undici'

/** What one GET answered. */
export interface BrowserResponse {
  status: number
  location: string | undefined
  /** The `Set-Cookie` headers, parsed. */
  setCookies: SetCookie[]
  body: string
}

/**
 * A browser's cookie jar, just enough for these tests: it keeps what `Set-Cookie` sets (a `Max-Age=0` deletes),
 * ignores paths and domains (one app per jar), and sends every cookie it holds.
 */
export class CookieBrowser {
  readonly jar = new Map<string, string>()

  cookieHeader(): string {
    return [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ')
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<BrowserResponse> {
    const cookie = this.cookieHeader()
    const res = await request(url, { method: 'GET', headers: { ...(cookie && { cookie }), ...headers } })
    const body = await res.body.text()
    const raw = res.headers['set-cookie']
    const setCookies = (raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]).map((h) => parseSetCookie(h))
    for (const c of setCookies) {
      if (c.maxAge === 0 || c.value === '' || c.value === undefined) this.jar.delete(c.name)
      else this.jar.set(c.name, encodeURIComponent(c.value))
    }
    const location = res.headers.location
    return { status: res.statusCode, location: location === undefined ? undefined : String(location), setCookies, body }
  }
}
