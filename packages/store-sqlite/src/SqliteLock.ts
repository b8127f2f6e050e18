/**
 * `Lock` for the process that owns the database file. Leases live in memory (their holders are fibers of this
 * process; a restart ends them all), but fencing tokens keep increasing across restarts: a grant takes
 * `max(last + 1, now in ms)`, and the last token of every key reaches the file by write-behind — so a write
 * fenced with a token of the previous life is always older than any token of this one.
 */
import { Context, Effect, Layer, Scope } from "effect"
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
  // Core's in-process lock; a grant takes max(last + 1, now) so tokens outrun those of the previous life.
  return Lock.makeInProcess({ fencing, nextFencing: (last, nowMs) => Math.max(last + 1, nowMs) })
})

export const layer: Layer.Layer<Lock.Lock, StoreError, SqliteDatabase> = Layer.scoped(Lock.Lock, make)
