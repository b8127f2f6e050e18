/**
 * `ApiKeyRepository` on the database file. Creating, revoking and deleting a key are committed before the call
 * returns; keys are answered from a copy loaded at start (every authenticated request looks one up). Use
 * counts (`recordUse`: last use, number of uses) are statistics written behind with the next flush, so a request
 * never waits for the disk — a crash can lose the last interval's counts, never a key or a revocation.
 */
import { Context, Effect, Either, Layer, Option, Scope } from "effect"
import { ApiKeyRepository, Conflict } from "@guildpulse/core"
import type { StoreError } from "@guildpulse/core"
import { DirtyMap } from "./internal/dirtyMap.js"
import { jsonCodec } from "./internal/json.js"
import { SqliteDatabase } from "./SqliteDatabase.js"

const STORE = "api_keys"
const codec = jsonCodec(ApiKeyRepository.ApiKey)
type ApiKey = ApiKeyRepository.ApiKey

export const make: Effect.Effect<Context.Tag.Service<ApiKeyRepository.ApiKeyRepository>, StoreError, SqliteDatabase | Scope.Scope> = Effect.gen(function* () {
  const database = yield* SqliteDatabase
  const upsertStatement = database.db.prepare(
    "INSERT INTO api_keys (id, created_at_ms, json) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET created_at_ms = excluded.created_at_ms, json = excluded.json"
  )
  const removeStatement = database.db.prepare("DELETE FROM api_keys WHERE id = ?")
  const upsert = (key: ApiKey) => upsertStatement.run(key.id, key.createdAtMs, codec.encode(key))
  // Use counts only: the write-behind part; durable changes go straight to the file.
  const keys = new DirtyMap<ApiKey>((_, __, key) => upsert(key), (_, id) => removeStatement.run(id))
  const rows = yield* database.read(STORE, (db) => db.prepare("SELECT id, json FROM api_keys").raw(true).all() as Array<[string, string]>)
  for (const [id, json] of rows) {
    const decoded = codec.decode(json)
    if (Either.isRight(decoded)) keys.load(id, decoded.right)
    else yield* Effect.logError(`stored API key '${id}' is unreadable, leaving it in the file but refusing it: ${decoded.left}`)
  }
  yield* database.registerWriteBehind({ name: STORE, take: () => keys.take() })
  const permit = yield* Effect.makeSemaphore(1)
  const durably = <A>(f: () => Effect.Effect<A, Conflict | StoreError>) => permit.withPermits(1)(Effect.suspend(f))

  return ApiKeyRepository.ApiKeyRepository.of({
    create: (key) =>
      durably(() => {
        if (keys.get(key.id) !== undefined) return Effect.fail(new Conflict({ reason: "already_exists", entity: "api_key", key: key.id }))
        return Effect.zipRight(database.write(STORE, () => upsert(key)), Effect.sync(() => keys.load(key.id, key)))
      }),
    get: (id) => Effect.sync(() => Option.fromNullable(keys.get(id))),
    list: Effect.sync(() => [...keys.values.values()].sort((a, b) => a.createdAtMs - b.createdAtMs || a.id.localeCompare(b.id))),
    revoke: (id, atMs) =>
      durably(() => {
        const current = keys.get(id)
        if (current === undefined) return Effect.succeed(Option.none())
        if (current.revokedAtMs !== undefined) return Effect.succeed(Option.some(current))
        const next: ApiKey = { ...current, revokedAtMs: atMs }
        return Effect.as(Effect.zipRight(database.write(STORE, () => upsert(next)), Effect.sync(() => keys.load(id, next))), Option.some(next))
      }) as Effect.Effect<Option.Option<ApiKey>, StoreError>,
    recordUse: (id, atMs, count = 1) =>
      Effect.sync(() => {
        const current = keys.get(id)
        if (current === undefined) return
        keys.set(id, { ...current, useCount: current.useCount + count, lastUsedAtMs: Math.max(atMs, current.lastUsedAtMs ?? 0) })
      }),
    delete: (id) =>
      durably(() => {
        if (keys.get(id) === undefined) return Effect.succeed(false)
        return Effect.as(Effect.zipRight(database.write(STORE, () => removeStatement.run(id)), Effect.sync(() => keys.forget(id))), true)
      }) as Effect.Effect<boolean, StoreError>
  })
})

export const layer: Layer.Layer<ApiKeyRepository.ApiKeyRepository, StoreError, SqliteDatabase> = Layer.scoped(ApiKeyRepository.ApiKeyRepository, make)
