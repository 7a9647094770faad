/**
 * A map that knows its oldest entry in O(1): a `Map` for lookups beside a queue of insertions. Iterating a `Map`
 * from its start after many deletions at the front walks every deleted slot until V8 rehashes, which made each
 * insertion into a full index cost ~5× more; the queue skips stale positions once, amortised.
 * @internal
 */
export class OrderedTable<T> {
  /** @internal */ readonly _entries = new Map<string, { value: T; seq: number }>()
  /** @internal */ _queue: Array<{ key: string; seq: number }> = []
  /** @internal */ _head = 0
  /** @internal */ _seq = 0

  get size(): number {
    return this._entries.size
  }

  get(key: string): T | undefined {
    return this._entries.get(key)?.value
  }

  delete(key: string): boolean {
    return this._entries.delete(key)
  }

  /** Sets `key` and makes it the newest entry. */
  set(key: string, value: T): void {
    const seq = ++this._seq
    this._entries.set(key, { value, seq })
    this._queue.push({ key, seq })
    if (this._queue.length > 2 * (this._entries.size + 512)) this._compact()
  }

  /** The oldest entry, or `undefined` when the table is empty. */
  oldest(): [string, T] | undefined {
    while (this._head < this._queue.length) {
      const { key, seq } = this._queue[this._head]!
      const entry = this._entries.get(key)
      if (entry !== undefined && entry.seq === seq) return [key, entry.value]
      this._head++
    }
    return undefined
  }

  /** Drops the queue positions of deleted or re-set entries. */
  _compact(): void {
    this._queue = this._queue.slice(this._head).filter(({ key, seq }) => this._entries.get(key)?.seq === seq)
    this._head = 0
  }
}
