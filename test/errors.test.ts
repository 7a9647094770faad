import { describe, expect, it } from '@jest/globals'
import { FreedomIdError, isFreedomIdError, type FreedomIdErrorCode } from '../src/errors.js'

describe('FreedomIdError', () => {
  const cases: Array<[FreedomIdErrorCode, number, boolean]> = [
    ['STATE_MISSING', 401, true],
    ['CODE_MISSING', 400, true],
    ['HOST_NOT_ALLOWED', 400, true],
    ['PROVIDER_HTTP_ERROR', 502, false],
    ['PROVIDER_TIMEOUT', 504, false],
  ]
  it.each(cases)('%s carries status and statusCode %d, expose %s, as http-errors does', (code, status, expose) => {
    const err = new FreedomIdError(code, 'message')
    expect(err).toMatchObject({ code, status, statusCode: status, expose })
    expect(Object.keys(err)).toEqual(expect.arrayContaining(['status', 'statusCode', 'expose']))
    expect(err.isLoginFailure).toBe(expose)
  })

  it('keeps statusCode and expose in step with an overridden status', () => {
    const err = new FreedomIdError('PROVIDER_ERROR', 'link refused', { status: 502 })
    expect(err).toMatchObject({ status: 502, statusCode: 502, expose: false })
    expect(isFreedomIdError(err, 'PROVIDER_ERROR')).toBe(true)
  })
})
