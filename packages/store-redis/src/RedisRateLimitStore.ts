/**
 * `RateLimitStore` on Redis: one Discord budget for every instance. `acquire` is core's `decideAcquire` ported
 * to one Lua script (check blocks, bucket and global window, then spend) on the Redis server's clock, so no
 * two processes can spend the same unit and no instance's clock skew matters. Keys:
 * `<prefix>rl:bucket:<bucket>` (limit, remaining, resetAtMs on the server clock), `<prefix>rl:window:<global>` (startMs, count),
 * `<prefix>rl:block:<key>` (until, expiring by itself), `<prefix>rl:invalid` (sorted set over a rolling window).
 *
 * While Redis is unreachable, an in-process store takes over with a share of the global budget
 * (`outageBudgetShare`, default ¼): instances cannot coordinate then, so each spends only its share.
 */
import { randomUUID } from "node:crypto"
import { Context, Effect, Either, Layer, Schema } from "effect"
import { RateLimitStore, StoreError } from "@guildpulse/core"
import * as Lua from "./internal/lua.js"
import { evalScript, isOutage, RedisConnection } from "./RedisConnection.js"

const STORE = "ratelimits"
export const DEFAULT_OUTAGE_BUDGET_SHARE = 0.25

export interface RedisRateLimitStoreOptions {
  /** Fraction of each global budget one instance may spend while Redis is unreachable (default 0.25). */
  readonly outageBudgetShare?: number
}

const AcquireReply = Schema.Union(
  Schema.Tuple(Schema.Literal("granted"), Schema.Number),
  Schema.Tuple(Schema.Literal("wait"), Schema.Number, Schema.Literal("bucket", "global"), Schema.Literal(0, 1))
)
const decodeAcquireReply = Schema.decodeUnknownEither(AcquireReply)
const decodeCount = Schema.decodeUnknownEither(Schema.Number)

const badReply = (reply: unknown) =>
  new StoreError({ reason: "corrupt", store: STORE, message: `unexpected reply from Redis: ${JSON.stringify(reply)}` })

export const make = (
  options: RedisRateLimitStoreOptions = {}
): Effect.Effect<Context.Tag.Service<RateLimitStore.RateLimitStore>, never, RedisConnection> =>
  Effect.gen(function* () {
    const connection = yield* RedisConnection
    const { keys } = connection
    const local = yield* RateLimitStore.makeMemory
    const share = Math.min(1, Math.max(0, options.outageBudgetShare ?? DEFAULT_OUTAGE_BUDGET_SHARE))

    const acquireShared = (request: RateLimitStore.AcquireRequest) =>
      Effect.flatMap(
        connection.run(STORE, (client) =>
          evalScript(
            client,
            Lua.rateAcquire,
            [keys.rateBucket(request.bucketKey), keys.rateBlock(request.bucketKey), keys.rateBlock(request.globalKey), keys.rateWindow(request.globalKey)],
            [request.globalLimit, request.globalWindowMs]
          )
        ),
        (reply): Effect.Effect<RateLimitStore.Acquisition, StoreError> => {
          const decoded = decodeAcquireReply(reply)
          if (Either.isLeft(decoded)) return Effect.fail(badReply(reply))
          const value = decoded.right
          return Effect.succeed(
            value[0] === "granted"
              ? { _tag: "Granted", remaining: value[1] < 0 ? undefined : value[1] }
              : { _tag: "Wait", waitMs: Math.max(1, value[1]), reason: value[2], retryAfter: value[3] === 1 }
          )
        }
      )

    const acquire = (request: RateLimitStore.AcquireRequest) =>
      acquireShared(request).pipe(
        Effect.catchIf(isOutage, () =>
          local.acquire({ ...request, globalLimit: Math.max(1, Math.floor(request.globalLimit * share)) })
        )
      )

    const observe = (bucketKey: string, observation: RateLimitStore.BucketObservation) =>
      connection.run(STORE, (client) =>
        evalScript(client, Lua.rateObserve, [keys.rateBucket(bucketKey)], [
          observation.limit,
          observation.remaining,
          Math.max(0, observation.resetAfterMs)
        ])
      ).pipe(
        Effect.asVoid,
        // The local store learns the bucket either way, so it is current if Redis goes away.
        Effect.zipRight(local.observe(bucketKey, observation)),
        Effect.catchIf(isOutage, () => local.observe(bucketKey, observation))
      )

    const blockFor = (key: string, forMs: number) =>
      connection.run(STORE, (client) => evalScript(client, Lua.rateBlock, [keys.rateBlock(key)], [forMs])).pipe(
        Effect.asVoid,
        Effect.zipRight(local.blockFor(key, forMs)),
        Effect.catchIf(isOutage, () => local.blockFor(key, forMs))
      )

    const invalid = (windowMs: number, record: boolean) =>
      Effect.flatMap(
        connection.run(STORE, (client) =>
          evalScript(client, Lua.rateInvalid, [keys.rateInvalid], [windowMs, record ? "1" : "0", randomUUID()])
        ),
        (reply) => {
          const decoded = decodeCount(reply)
          return Either.isLeft(decoded) ? Effect.fail(badReply(reply)) : Effect.succeed(decoded.right)
        }
      )

    return RateLimitStore.RateLimitStore.of({
      acquire,
      observe,
      blockFor,
      recordInvalid: (windowMs) =>
        invalid(windowMs, true).pipe(Effect.catchIf(isOutage, () => local.recordInvalid(windowMs))),
      invalidCount: (windowMs) =>
        invalid(windowMs, false).pipe(Effect.catchIf(isOutage, () => local.invalidCount(windowMs)))
    })
  })

export const layer = (options?: RedisRateLimitStoreOptions): Layer.Layer<RateLimitStore.RateLimitStore, never, RedisConnection> =>
  Layer.effect(RateLimitStore.RateLimitStore, make(options))
