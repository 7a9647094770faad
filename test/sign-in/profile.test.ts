import { describe, expect, it } from '@jest/globals'
import { buildProfile } from '../../src/sign-in/profile.js'

describe('buildProfile', () => {
  it('maps every Freedom ID claim onto the Passport profile', () => {
    const claims = {
      sub: '41790bb3-62ba-461f-9bed-e232e30ad377',
      firstname: 'Aigerim',
      lastname: 'Bekova',
      patronymic: 'Nurlanovna',
      email: 'aigerim@example.kz',
      emails: ['aigerim@example.kz', 'a.bekova@example.com'],
      phone: '+77011234567',
      phones: ['+77781234567'],
      date_of_birth: '1994-03-08',
      gender: 'F',
      country: 'KAZ',
      nationality: 'Kazakh',
      identifier: '940308450123',
    }
    const profile = buildProfile(claims, JSON.stringify(claims))
    expect(profile).toEqual({
      provider: 'freedom-id',
      id: claims.sub,
      displayName: 'Aigerim Bekova',
      name: { givenName: 'Aigerim', familyName: 'Bekova', middleName: 'Nurlanovna' },
      emails: [{ value: 'aigerim@example.kz', type: 'primary' }, { value: 'a.bekova@example.com' }],
      phoneNumbers: [{ value: '+77011234567', type: 'primary' }, { value: '+77781234567' }],
      birthday: '1994-03-08',
      gender: 'F',
      country: 'KAZ',
      nationality: 'Kazakh',
      identifier: '940308450123',
      _json: claims,
      _raw: JSON.stringify(claims),
    })
  })

  it.each([
    [{ sub: 's', email: 'e@x.kz', phone: '+7' }, 'e@x.kz'],
    [{ sub: 's', phone: '+7700' }, '+7700'],
    [{ sub: 's', phones: ['+7701'] }, '+7701'],
    [{ sub: 's' }, 's'],
    [{ sub: 's', lastname: 'Bekov' }, 'Bekov'],
  ])('displayName of %j is %s', (claims, displayName) => {
    expect(buildProfile(claims, '{}').displayName).toBe(displayName)
  })

  it('uses id, then freedom_id, when there is no sub (OAuth2 user info)', () => {
    expect(buildProfile({ id: 'u1' }, '{}').id).toBe('u1')
    expect(buildProfile({ freedom_id: 'u2' }, '{}').id).toBe('u2')
  })

  it('accepts contact objects and ignores junk in the lists', () => {
    const profile = buildProfile({ sub: 's', emails: [{ value: 'a@x.kz' }, 3, null, ''] as unknown[] as string[] }, '{}')
    expect(profile.emails).toEqual([{ value: 'a@x.kz' }])
    expect(profile.name).toEqual({})
    expect(profile.birthday).toBeUndefined()
  })
})
