/**
 * A browser's cookies, just enough for the bench: kept per origin (the apps and emulators all live on 127.0.0.1 and
 * share cookie names), no paths, no expiry.
 */
export class CookieJar {
  /** @internal */ readonly _byOrigin = new Map<string, Map<string, string>>()

  /** The `Cookie` header for a URL, or `undefined`. */
  header(url: URL): string | undefined {
    const cookies = this._byOrigin.get(url.origin)
    if (!cookies || cookies.size === 0) return undefined
    return [...cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }

  /** Stores the `Set-Cookie` headers of a response from `url`. */
  store(url: URL, setCookie: string | string[] | undefined): void {
    if (setCookie === undefined) return
    let cookies = this._byOrigin.get(url.origin)
    if (!cookies) this._byOrigin.set(url.origin, (cookies = new Map()))
    for (const line of Array.isArray(setCookie) ? setCookie : [setCookie]) {
      const pair = line.split(';', 1)[0] ?? ''
      const eq = pair.indexOf('=')
      if (eq <= 0) continue
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      if (value === '') cookies.delete(name)
      else cookies.set(name, value)
    }
  }

  clear(): void {
    this._byOrigin.clear()
  }
}
