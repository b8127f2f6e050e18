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

  /** Loads a value read from the file (not dirty). */
  load(key: string, value: V): void {
    this.values.set(key, value)
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
    const entries = [...keys].map((key) => [key, this.values.get(key)] as const)
    return {
      count: entries.length,
      write: (db) => {
        for (const [key, value] of entries) {
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
