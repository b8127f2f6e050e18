/**
 * The in-process copy of what a store last read or wrote, per key. It serves two purposes:
 * - a read-through cache while it is younger than `ttlMs` (0 disables it), invalidated by pub/sub;
 * - the fallback while Redis is unreachable, whatever its age.
 * Setting `undefined` (Redis said "absent") drops the entry, so an outage never resurrects a deleted value
 * and lookups of keys that never existed leave nothing behind.
 */

interface Entry<V> {
  readonly value: V
  cachedAtMs: number
}

export class LocalCopy<V> {
  private readonly entries = new Map<string, Entry<V>>()
  constructor(readonly ttlMs: number) {}

  /** The value when it is present and young enough to be served without asking Redis. */
  fresh(key: string, nowMs: number): V | undefined {
    if (this.ttlMs <= 0) return undefined
    const entry = this.entries.get(key)
    return entry !== undefined && nowMs - entry.cachedAtMs < this.ttlMs ? entry.value : undefined
  }

  /** The last known value, whatever its age (outage fallback). */
  last(key: string): V | undefined {
    return this.entries.get(key)?.value
  }

  set(key: string, value: V | undefined, nowMs: number): void {
    if (value === undefined) this.entries.delete(key)
    else this.entries.set(key, { value, cachedAtMs: nowMs })
  }

  /** Keeps the value as a fallback, but no longer serves it as a cache hit. */
  expire(key: string): void {
    const entry = this.entries.get(key)
    if (entry !== undefined) entry.cachedAtMs = Number.NEGATIVE_INFINITY
  }

  expireAll(): void {
    for (const entry of this.entries.values()) entry.cachedAtMs = Number.NEGATIVE_INFINITY
  }

  delete(key: string): void {
    this.entries.delete(key)
  }

  /** Every present value with its key. */
  present(): ReadonlyArray<readonly [string, V]> {
    const out: Array<readonly [string, V]> = []
    for (const [key, entry] of this.entries) out.push([key, entry.value])
    return out
  }
}
