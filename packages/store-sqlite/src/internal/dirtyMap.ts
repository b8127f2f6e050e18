/**
 * An in-memory map whose changes reach a table by write-behind: `set`/`delete` mark a key dirty; the flush
 * writes the current value of every dirty key (or deletes it), and puts the keys back if the flush fails.
 */
import type Database from "libsql"
import type { PendingWrites } from "../SqliteDatabase.js"

export class DirtyMap<V> {
  readonly values = new Map<string, V>()
  private dirty = new Set<string>()

  constructor(
    private readonly upsert: (db: Database.Database, key: string, value: V) => void,
    private readonly remove: (db: Database.Database, key: string) => void
  ) {}

  get(key: string): V | undefined {
    return this.values.get(key)
  }

  entries(): IterableIterator<[string, V]> {
    return this.values.entries()
  }

  keys(): IterableIterator<string> {
    return this.values.keys()
  }

  /** Sets a value the file already holds (read from it, or written durably): not dirty. */
  load(key: string, value: V): void {
    this.values.set(key, value)
  }

  /** Removes a key already deleted from the file (not dirty). */
  forget(key: string): void {
    this.values.delete(key)
    this.dirty.delete(key)
  }

  set(key: string, value: V): void {
    this.values.set(key, value)
    this.dirty.add(key)
  }

  delete(key: string): void {
    if (this.values.delete(key)) this.dirty.add(key)
  }

  get pending(): number {
    return this.dirty.size
  }

  take(): PendingWrites | undefined {
    if (this.dirty.size === 0) return undefined
    const keys = this.dirty
    this.dirty = new Set()
    return {
      count: keys.size,
      // Values are read when written (in the flush transaction), so a durable write made meanwhile is never
      // overwritten by an older copy.
      write: (db) => {
        for (const key of keys) {
          const value = this.values.get(key)
          if (value === undefined) this.remove(db, key)
          else this.upsert(db, key, value)
        }
      },
      requeue: () => {
        for (const key of keys) this.dirty.add(key)
      }
    }
  }
}
