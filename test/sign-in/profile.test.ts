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
      emails: [{ value: 'aigerim@example.kz', primary: true }, { value: 'a.bekova@example.com' }],
      phoneNumbers: [{ value: '+77011234567', primary: true }, { value: '+77781234567' }],
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

  it('fills the profile from the standard OpenID Connect claims when Freedom ID\'s names are absent', () => {
    const claims = {
      sub: 's1',
      given_name: 'Aigerim',
      family_name: 'Bekova',
      middle_name: 'Serikkyzy',
      name: 'Aigerim S. Bekova',
      email: 'a@example.kz',
      email_verified: true,
      phone_number: '+77011234567',
      phone_number_verified: false,
      birthdate: '1994-03-12',
      picture: 'https://cdn.example/a.png',
      locale: 'kk-KZ',
    }
    const profile = buildProfile(claims, '{}')
    expect(profile).toMatchObject({
      displayName: 'Aigerim Bekova',
      name: { givenName: 'Aigerim', familyName: 'Bekova', middleName: 'Serikkyzy', formatted: 'Aigerim S. Bekova' },
      emails: [{ value: 'a@example.kz', primary: true, verified: true }],
      phoneNumbers: [{ value: '+77011234567', primary: true, verified: false }],
      birthday: '1994-03-12',
      photos: [{ value: 'https://cdn.example/a.png' }],
      locale: 'kk-KZ',
    })
  })

  it('prefers Freedom ID\'s names over the standard ones', () => {
    const profile = buildProfile({ sub: 's', firstname: 'A', given_name: 'B', phone: '+7701', phone_number: '+7702', date_of_birth: '2000-01-01', birthdate: '1999-01-01' }, '{}')
    expect(profile.name.givenName).toBe('A')
    expect(profile.phoneNumbers).toEqual([{ value: '+7701', primary: true }])
    expect(profile.birthday).toBe('2000-01-01')
  })

  it('uses the name claim as displayName when there is no first or last name', () => {
    expect(buildProfile({ sub: 's', name: 'Asel', email: 'e@x.kz' }, '{}').displayName).toBe('Asel')
  })

  it('marks list entries verified only where the claim says so, as Portable Contacts does', () => {
    const profile = buildProfile({ sub: 's', emails: [{ value: 'a@x.kz', verified: true }, { value: 'b@x.kz' }, 'c@x.kz'] as unknown as string[] }, '{}')
    expect(profile.emails).toEqual([{ value: 'a@x.kz', verified: true }, { value: 'b@x.kz' }, { value: 'c@x.kz' }])
  })
})
