import { describe, expect, test } from '@jest/globals'
import { OrderedTable } from '../../../src/sign-out/session-index/ordered-table.js'

describe('OrderedTable', () => {
  test('the oldest entry is the first set, skipping deleted ones', () => {
    const table = new OrderedTable<number>()
    expect(table.oldest()).toBeUndefined()
    table.set('a', 1)
    table.set('b', 2)
    table.set('c', 3)
    expect(table.oldest()).toEqual(['a', 1])
    table.delete('a')
    expect(table.oldest()).toEqual(['b', 2])
    expect(table.size).toBe(2)
  })

  test('setting a key again makes it the newest', () => {
    const table = new OrderedTable<number>()
    table.set('a', 1)
    table.set('b', 2)
    table.set('a', 10)
    expect(table.oldest()).toEqual(['b', 2])
    table.delete('b')
    expect(table.oldest()).toEqual(['a', 10])
    expect(table.get('a')).toBe(10)
  })

  test('re-setting the same keys many times keeps the queue bounded and the order right', () => {
    const table = new OrderedTable<number>()
    for (let round = 0; round < 2000; round++) for (const key of ['x', 'y', 'z']) table.set(key, round)
    expect(table._queue.length - table._head).toBeLessThanOrEqual(2 * (table.size + 512))
    expect(table.oldest()).toEqual(['x', 1999])
    table.delete('x')
    expect(table.oldest()).toEqual(['y', 1999])
  })

  test('compaction keeps only live positions, in order', () => {
    const table = new OrderedTable<number>()
    for (let i = 0; i < 10; i++) table.set(`k${i}`, i)
    for (let i = 0; i < 10; i += 2) table.delete(`k${i}`)
    table.set('k1', 100)
    table._compact()
    expect(table._queue.map((q) => q.key)).toEqual(['k3', 'k5', 'k7', 'k9', 'k1'])
    expect(table.oldest()).toEqual(['k3', 3])
  })
})
