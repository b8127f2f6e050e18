/**
 * `Lock` on Redis: a lease is `SET <prefix>lock:<key> <token> NX PX <ttl>` plus a fencing token from
 * `<prefix>fence:<key>`, both in one Lua script. The fencing token is `max(previous + 1, server time in ms)`,
 * so it increases with every grant — even across a Redis restart that lost the counter. Release and extend
 * compare the token inside Lua: only the owner of a live lease can release or extend it.
 *
 * While Redis is unreachable, leases come from an in-process lock (single flight per process only); such a
 * lease is released and extended locally even if Redis has come back meanwhile. A command that times out
 * while the connection is up (a busy process reads Redis's answer late) is not an outage: the acquisition is
 * asked again with the same token — the script answers the lease it may already have granted — and a
 * release is retried, so a busy instance neither refreshes beside another nor leaves its lease behind.
 */
import { randomUUID } from "node:crypto"
import { Clock, Context, Effect, Either, Layer, Option, Schema } from "effect"
import { Lock, StoreError } from "@guildpulse/core"
import * as Lua from "./internal/lua.js"
import { evalScript, isOutage, RedisConnection } from "./RedisConnection.js"

const STORE = "locks"
/** Times a lock command that timed out with the connection up is asked again (each within the command timeout). */
const SLOW_RETRIES = 5
const decodeFencing = Schema.decodeUnknownEither(Schema.NullOr(Schema.Number))
const decodeFlag = Schema.decodeUnknownEither(Schema.Number)

const badReply = (reply: unknown) =>
  new StoreError({ reason: "corrupt", store: STORE, message: `unexpected reply from Redis: ${JSON.stringify(reply)}` })

export const make: Effect.Effect<Context.Tag.Service<Lock.Lock>, never, RedisConnection> = Effect.gen(function* () {
  const connection = yield* RedisConnection
  const { keys } = connection
  const local = yield* Lock.makeMemory
  /** Tokens of leases granted by the in-process fallback. */
  const localTokens = new Set<string>()

  const flag = (reply: unknown) => {
    const decoded = decodeFlag(reply)
    return Either.isLeft(decoded) ? Effect.fail(badReply(reply)) : Effect.succeed(decoded.right === 1)
  }

  /** Retries `effect` while it times out with the connection up (its answer may only have been read late). */
  const whileSlow = <A>(effect: Effect.Effect<A, StoreError>): Effect.Effect<A, StoreError> =>
    Effect.retry(effect, {
      times: SLOW_RETRIES,
      while: (error) => error.reason === "timeout" && connection.isConnected()
    })

  const acquire = (key: string, ttlMs: number): Effect.Effect<Option.Option<Lock.Lease>, StoreError> => {
    const token = randomUUID()
    return Effect.gen(function* () {
      const startedAt = yield* Clock.currentTimeMillis
      const reply = yield* whileSlow(
        connection.run(STORE, (client) =>
          evalScript(client, Lua.lockAcquire, [keys.lock(key), keys.fence(key)], [token, Math.max(1, Math.round(ttlMs))])
        )
      )
      const fencing = decodeFencing(reply)
      if (Either.isLeft(fencing)) return yield* badReply(reply)
      if (fencing.right === null) return Option.none()
      // Measured from before the request: never later than the server's own expiry.
      return Option.some({ key, token, fencing: fencing.right, expiresAtMs: startedAt + ttlMs })
    }).pipe(
      Effect.catchIf(isOutage, () =>
        Effect.tap(local.acquire(key, ttlMs), (lease) => Effect.sync(() => Option.map(lease, (l) => localTokens.add(l.token)))))
    )
  }

  const release = (lease: Lock.Lease): Effect.Effect<boolean, StoreError> =>
    localTokens.has(lease.token)
      ? Effect.tap(local.release(lease), () => Effect.sync(() => localTokens.delete(lease.token)))
      : Effect.flatMap(
          whileSlow(connection.run(STORE, (client) => evalScript(client, Lua.lockRelease, [keys.lock(lease.key)], [lease.token]))),
          flag
        )

  const extend = (lease: Lock.Lease, ttlMs: number): Effect.Effect<Option.Option<Lock.Lease>, StoreError> =>
    localTokens.has(lease.token)
      ? local.extend(lease, ttlMs)
      : Effect.gen(function* () {
          const startedAt = yield* Clock.currentTimeMillis
          const reply = yield* connection.run(STORE, (client) =>
            evalScript(client, Lua.lockExtend, [keys.lock(lease.key)], [lease.token, Math.max(1, Math.round(ttlMs))])
          )
          return (yield* flag(reply)) ? Option.some({ ...lease, expiresAtMs: startedAt + ttlMs }) : Option.none()
        })

  return Lock.Lock.of({ acquire, release, extend })
})

export const layer: Layer.Layer<Lock.Lock, never, RedisConnection> = Layer.effect(Lock.Lock, make)
