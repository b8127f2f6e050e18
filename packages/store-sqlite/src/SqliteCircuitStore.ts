/**
 * `CircuitStore` on the database file: states live in this process (one process owns the file, so `modify`
 * is atomic as in memory) and reach the file by write-behind, so an open or throttled circuit stays open
 * across a restart instead of hammering Discord again.
 */
import { Context, Effect, Either, Layer, Scope } from "effect"
import { CircuitBreakerPolicy, CircuitStore } from "@guildpulse/core"
import type { StoreError } from "@guildpulse/core"
import { DirtyMap } from "./internal/dirtyMap.js"
import { jsonCodec } from "./internal/json.js"
import { SqliteDatabase } from "./SqliteDatabase.js"

const STORE = "circuits"
const codec = jsonCodec(CircuitBreakerPolicy.CircuitState)

export const make: Effect.Effect<Context.Tag.Service<CircuitStore.CircuitStore>, StoreError, SqliteDatabase | Scope.Scope> = Effect.gen(function* () {
  const database = yield* SqliteDatabase
  const upsert = database.db.prepare("INSERT INTO circuits (key, json) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET json = excluded.json")
  const remove = database.db.prepare("DELETE FROM circuits WHERE key = ?")
  const states = new DirtyMap<CircuitBreakerPolicy.CircuitState>(
    (_, key, value) => upsert.run(key, JSON.stringify(value)),
    (_, key) => remove.run(key)
  )
  const rows = yield* database.read(STORE, (db) => db.prepare("SELECT key, json FROM circuits").raw(true).all() as Array<[string, string]>)
  for (const [key, json] of rows) {
    const decoded = codec.decode(json)
    if (Either.isRight(decoded)) states.load(key, decoded.right)
    else yield* Effect.logWarning(`stored circuit '${key}' is unreadable, starting it closed: ${decoded.left}`)
  }
  yield* database.registerWriteBehind({ name: STORE, take: () => states.take() })

  return CircuitStore.makeInProcess(states)
})

export const layer: Layer.Layer<CircuitStore.CircuitStore, StoreError, SqliteDatabase> = Layer.scoped(CircuitStore.CircuitStore, make)
