/**
 * `value` when it is a path on this site (`/profile?tab=1`), else `undefined`: absolute URLs, scheme-relative
 * `//host` and `/\host` (which browsers read as `//host`), control characters and anything over 2048 characters
 * are refused, so that a `returnTo` can never send the user to another site.
 */
export function sameOriginPath(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 2048 || !value.startsWith('/')) return undefined
  // eslint-disable-next-line no-control-regex
  if (/^\/[/\\]/.test(value) || /[\u0000-\u001f\u007f\\]/.test(value)) return undefined
  const base = new URL('http://app.invalid')
  const resolved = new URL(value, base)
  return resolved.origin === base.origin ? value : undefined
}
