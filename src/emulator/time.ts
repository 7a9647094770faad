/** `2025-03-04T06:35:50.000000Z`: whole seconds, six zero fractional digits, as Freedom ID formats expiries. */
export function formatExpiry(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, '.000000Z')
}

/** `2025-02-25T06:50:46.555000Z`: milliseconds padded to six fractional digits. */
export function formatDatetime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
}
