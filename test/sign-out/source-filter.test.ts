import { describe, expect, it } from '@jest/globals'
import { createSourceFilter } from '../../src/sign-out/source-filter.js'

/** The `allowFrom` check of the revoke route: which source addresses pass, and which entries are refused. */

describe('createSourceFilter', () => {
  const rows: Array<[string[], string | undefined, boolean]> = [
    [['203.0.113.7'], '203.0.113.7', true],
    [['203.0.113.7'], '203.0.113.8', false],
    [['203.0.113.7'], '::ffff:203.0.113.7', true],
    [['203.0.113.0/24'], '203.0.113.255', true],
    [['203.0.113.0/24'], '203.0.114.0', false],
    [['203.0.113.0/32'], '203.0.113.0', true],
    [['203.0.113.0/32'], '203.0.113.1', false],
    [['0.0.0.0/0'], '198.51.100.1', true],
    [['2001:db8::1'], '2001:db8::1', true],
    [['2001:db8::1'], '2001:db8::2', false],
    [['2001:db8::/32'], '2001:db8:ffff::1', true],
    [['2001:db8::/32'], '2001:db9::1', false],
    [['2001:db8::/128'], '2001:db8::', true],
    [['2001:db8::/128'], '2001:db8::1', false],
    [['203.0.113.7'], undefined, false],
    [['203.0.113.7'], '', false],
    [['203.0.113.7'], 'not an address', false],
    [['2001:db8::/32'], '203.0.113.7', false],
  ]
  it.each(rows)('%j lets %j through: %s', (entries, ip, allowed) => {
    expect(createSourceFilter(entries)(ip)).toBe(allowed)
  })

  it.each([
    ['no list', undefined],
    ['an empty list', []],
    ['a list that is a string', '203.0.113.7'],
    ['a host name', ['example.com']],
    ['a number', [42]],
    ['an empty entry', ['']],
    ['an IPv4 prefix of 33', ['10.0.0.0/33']],
    ['an IPv6 prefix of 129', ['2001:db8::/129']],
    ['a negative prefix', ['10.0.0.0/-1']],
    ['a prefix that is not a number', ['10.0.0.0/abc']],
    ['a prefix with a sign', ['10.0.0.0/+8']],
    ['an empty prefix', ['10.0.0.0/']],
    ['a prefix with trailing text', ['10.0.0.0/8x']],
    ['two prefixes', ['10.0.0.0/8/16']],
    ['a range with a host name', ['example.com/24']],
  ])('%s is a TypeError naming allowFrom', (_name, entries) => {
    expect(() => createSourceFilter(entries)).toThrow(TypeError)
    expect(() => createSourceFilter(entries)).toThrow('"allowFrom"')
  })

  it.each([
    ['an IPv4 prefix of 32', '10.0.0.1/32'],
    ['an IPv4 prefix of 0', '0.0.0.0/0'],
    ['an IPv6 prefix of 128', '2001:db8::1/128'],
    ['an IPv6 prefix of 33', '2001:db8::/33'],
  ])('%s is accepted', (_name, entry) => {
    expect(() => createSourceFilter([entry])).not.toThrow()
  })
})
