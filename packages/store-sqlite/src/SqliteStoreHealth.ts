/**
 * Core's `StoreHealth` for the embedded store: ready while the database answers a read and write-behind
 * flushes succeed. A failing flush (disk full, file removed underneath) turns it not ready, with the reason;
 * the engine keeps answering from memory meanwhile and the pending writes are retried.
 */
import { Clock, Effect, Layer } from "effect"
import { StoreHealth } from "@guildpulse/core"
import { SqliteDatabase } from "./SqliteDatabase.js"

export const make = Effect.gen(function* () {
  const database = yield* SqliteDatabase
  const probe = database.db.prepare("SELECT 1").raw(true)
  let ready = true
  let sinceMs = yield* Clock.currentTimeMillis
  return StoreHealth.StoreHealth.of({
    check: Effect.gen(function* () {
      const status = yield* database.status
      const readable = yield* Effect.match(database.read("health", () => probe.get()), { onFailure: (error) => error.message, onSuccess: () => undefined })
      const detail = readable !== undefined ? `the database cannot be read (${readable})` : status.lastFlushError !== undefined ? `writing to the database fails (${status.lastFlushError})` : undefined
      const now = yield* Clock.currentTimeMillis
      if ((detail === undefined) !== ready) {
        ready = detail === undefined
        sinceMs = now
      }
      return { store: "sqlite", ready, sinceMs, ...(detail !== undefined ? { detail } : {}) }
    })
  })
})

export const layer: Layer.Layer<StoreHealth.StoreHealth, never, SqliteDatabase> = Layer.effect(StoreHealth.StoreHealth, make)
