import { describe, expect, it } from '@jest/globals'
import { resolveCallbackURL } from '../../src/sign-in/callback-url.js'

// The strategy's own tests drive this through authenticate(); these pin the function's documented contract for
// inputs a Node request never has but another framework's adapter might (no headers object).
describe('resolveCallbackURL', () => {
  it('refuses a path with an empty origins list as it does without origins: a TypeError, not a request error', () => {
    expect(() => resolveCallbackURL('/cb', [], { host: 'app.example' })).toThrow(TypeError)
    expect(() => resolveCallbackURL('/cb', undefined, { host: 'app.example' })).toThrow(/no "origins" option is set/)
  })

  it('answers HOST_NOT_ALLOWED, not a crash, for a request without headers when several origins are configured', () => {
    expect(() => resolveCallbackURL('/cb', ['https://a.example', 'https://b.example'], undefined)).toThrow(
      expect.objectContaining({ code: 'HOST_NOT_ALLOWED', status: 400 }),
    )
    expect(resolveCallbackURL('/cb', ['https://a.example'], undefined)).toBe('https://a.example/cb')
  })
})
