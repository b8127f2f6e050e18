/**
 * `Lock` for the process that owns the database file. Leases live in memory (their holders are fibers of this
 * process; a restart ends them all), but fencing tokens keep increasing across restarts: a grant takes
 * `max(last + 1, now in ms)`, and the last token of every key reaches the file by write-behind — so a write
 * fenced with a token of the previous life is always older than any token of this one.
 */
import { randomUUID } from "node:crypto"
import { Clock, Context, Effect, Layer, Option, Scope } from "effect"
import { Lock } from "@guildpulse/core"
import type { StoreError } from "@guildpulse/core"
import { DirtyMap } from "./internal/dirtyMap.js"
import { SqliteDatabase } from "./SqliteDatabase.js"

const STORE = "lock"

export const make: Effect.Effect<Context.Tag.Service<Lock.Lock>, StoreError, SqliteDatabase | Scope.Scope> = Effect.gen(function* () {
  const database = yield* SqliteDatabase
  const upsert = database.db.prepare("INSERT INTO lock_fencing (key, fencing) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET fencing = max(fencing, excluded.fencing)")
  const remove = database.db.prepare("DELETE FROM lock_fencing WHERE key = ?")
  const fencing = new DirtyMap<number>((_, key, value) => upsert.run(key, value), (_, key) => remove.run(key))
  const rows = yield* database.read(STORE, (db) => db.prepare("SELECT key, fencing FROM lock_fencing").raw(true).all() as Array<[string, number]>)
  for (const [key, value] of rows) fencing.load(key, Number(value))
  yield* database.registerWriteBehind({ name: STORE, take: () => fencing.take() })
  const held = new Map<string, { readonly token: string; readonly expiresAtMs: number }>()

  return Lock.Lock.of({
    acquire: (key, ttlMs) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const current = held.get(key)
        if (current !== undefined && current.expiresAtMs > now) return Option.none()
        const next = Math.max((fencing.get(key) ?? 0) + 1, now)
        fencing.set(key, next)
        const lease: Lock.Lease = { key, token: randomUUID(), fencing: next, expiresAtMs: now + ttlMs }
        held.set(key, { token: lease.token, expiresAtMs: lease.expiresAtMs })
        return Option.some(lease)
      }),
    release: (lease) =>
      Effect.sync(() => {
        const current = held.get(lease.key)
        if (current === undefined || current.token !== lease.token) return false
        held.delete(lease.key)
        return true
      }),
    extend: (lease, ttlMs) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const current = held.get(lease.key)
        if (current === undefined || current.token !== lease.token || current.expiresAtMs <= now) return Option.none()
        const extended = { ...lease, expiresAtMs: now + ttlMs }
        held.set(lease.key, { token: lease.token, expiresAtMs: extended.expiresAtMs })
        return Option.some(extended)
      })
  })
})

export const layer: Layer.Layer<Lock.Lock, StoreError, SqliteDatabase> = Layer.scoped(Lock.Lock, make)
