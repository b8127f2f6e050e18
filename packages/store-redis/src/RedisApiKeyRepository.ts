/**
 * `ApiKeyRepository` on Redis, shared by every instance. A key's definition is written once (`HSETNX` on
 * `<prefix>apikeys`, id → JSON, never rewritten); what changes lives in hashes of its own, so every change is one
 * atomic command: `apikeys:revoked` (`HSETNX`: the first revocation stays), `apikeys:uses` (`HINCRBY`) and
 * `apikeys:last-used` (a script keeping the latest time). Only the hash of a secret is stored.
 */
import { Effect, Either, Layer, Option } from "effect"
import { ApiKeyRepository, Conflict, type StoreError } from "@guildpulse/core"
import { jsonCodec } from "./internal/codec.js"
import { RedisConnection } from "./RedisConnection.js"

const STORE = "api_keys"
const codec = jsonCodec(ApiKeyRepository.ApiKey, STORE)
type ApiKey = ApiKeyRepository.ApiKey

/** Keeps the latest time: HSET only when newer. */
const LAST_USED = `local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if tonumber(ARGV[2]) > current then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return 1`

const merge = (base: ApiKey, uses: string | null, lastUsed: string | null, revoked: string | null): ApiKey => {
  const { useCount: _u, lastUsedAtMs: _l, revokedAtMs: _r, ...definition } = base
  return {
    ...definition,
    ...(revoked !== null ? { revokedAtMs: Number(revoked) } : base.revokedAtMs !== undefined ? { revokedAtMs: base.revokedAtMs } : {}),
    ...(lastUsed !== null ? { lastUsedAtMs: Number(lastUsed) } : {}),
    useCount: base.useCount + (uses !== null ? Number(uses) : 0)
  }
}

export const make = Effect.gen(function* () {
  const connection = yield* RedisConnection
  const { keys } = connection

  const decode = (id: string, json: string): Effect.Effect<ApiKey | undefined> => {
    const decoded = codec.decode(json)
    return Either.isRight(decoded)
      ? Effect.succeed(decoded.right)
      : Effect.as(Effect.logError(`stored API key '${id}' is unreadable, refusing it: ${decoded.left.message}`), undefined)
  }

  const get = (id: ApiKeyRepository.ApiKeyId): Effect.Effect<Option.Option<ApiKey>, StoreError> =>
    connection
      .run(STORE, (client) =>
        client
          .multi()
          .hget(keys.apiKeys, id)
          .hget(keys.apiKeyUses, id)
          .hget(keys.apiKeyLastUsed, id)
          .hget(keys.apiKeyRevoked, id)
          .exec()
      )
      .pipe(
        Effect.flatMap((replies) => {
          const [json, uses, lastUsed, revoked] = (replies ?? []).map(([, value]) => value as string | null)
          if (json === null || json === undefined) return Effect.succeed(Option.none<ApiKey>())
          return Effect.map(decode(id, json), (base) =>
            base === undefined ? Option.none<ApiKey>() : Option.some(merge(base, uses ?? null, lastUsed ?? null, revoked ?? null))
          )
        })
      )

  return ApiKeyRepository.ApiKeyRepository.of({
    create: (key) =>
      Effect.gen(function* () {
        const json = yield* Either.match(codec.encode({ ...key, useCount: 0 }), { onLeft: Effect.fail, onRight: Effect.succeed })
        const created = yield* connection.run(STORE, (client) => client.hsetnx(keys.apiKeys, key.id, json))
        if (created === 0) return yield* Effect.fail(new Conflict({ reason: "already_exists", entity: "api_key", key: key.id }))
        if (key.useCount > 0) yield* connection.run(STORE, (client) => client.hset(keys.apiKeyUses, key.id, key.useCount))
      }),
    get,
    list: Effect.gen(function* () {
      const [defs, uses, lastUsed, revoked] = yield* connection.run(STORE, (client) =>
        Promise.all([client.hgetall(keys.apiKeys), client.hgetall(keys.apiKeyUses), client.hgetall(keys.apiKeyLastUsed), client.hgetall(keys.apiKeyRevoked)])
      )
      const out: Array<ApiKey> = []
      for (const [id, json] of Object.entries(defs)) {
        const base = yield* decode(id, json)
        if (base !== undefined) out.push(merge(base, uses[id] ?? null, lastUsed[id] ?? null, revoked[id] ?? null))
      }
      return out.sort((a, b) => a.createdAtMs - b.createdAtMs || a.id.localeCompare(b.id))
    }),
    revoke: (id, atMs) =>
      Effect.gen(function* () {
        const exists = yield* connection.run(STORE, (client) => client.hexists(keys.apiKeys, id))
        if (exists === 0) return Option.none()
        yield* connection.run(STORE, (client) => client.hsetnx(keys.apiKeyRevoked, id, String(atMs)))
        return yield* get(id)
      }),
    recordUse: (id, atMs, count = 1) =>
      connection.run(STORE, (client) =>
        client
          .multi()
          .hincrby(keys.apiKeyUses, id, count)
          .eval(LAST_USED, 1, keys.apiKeyLastUsed, id, String(atMs))
          .exec()
      ).pipe(Effect.asVoid),
    delete: (id) =>
      connection.run(STORE, (client) =>
        client
          .multi()
          .hdel(keys.apiKeys, id)
          .hdel(keys.apiKeyUses, id)
          .hdel(keys.apiKeyLastUsed, id)
          .hdel(keys.apiKeyRevoked, id)
          .exec()
      ).pipe(Effect.map((replies) => Number(replies?.[0]?.[1] ?? 0) > 0))
  })
})

export const layer: Layer.Layer<ApiKeyRepository.ApiKeyRepository, never, RedisConnection> = Layer.effect(ApiKeyRepository.ApiKeyRepository, make)
