/**
 * One Discord budget for every process: three spawned processes (not fibers) spend the same budgets through
 * Redis as fast as they can until both budgets are spent; together they get exactly the budget, never more.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { RateLimitStore } from "@guildpulse/core"
import { RedisConnection, RedisRateLimitStore } from "../src/index.js"
import { fixture, spawnTsx } from "./harness/processes.js"
import { uniquePrefix, useRedisServer } from "./harness/useRedisServer.js"
import { SAFETY_MS, STARTUP_SAFETY_MS } from "./harness/waitFor.js"

const server = useRedisServer()
const GLOBAL_LIMIT = 40
const BUCKET_LIMIT = 25

describe("RateLimitStore shared by 3 processes", () => {
  it.live("grants exactly the global window's limit and the bucket's units, in total", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("rl3")
      // The bucket as Discord announced it to one instance: 25 units left until a reset a minute away.
      yield* Effect.flatMap(RateLimitStore.RateLimitStore, (store) =>
        store.observe("bucket-b", { limit: BUCKET_LIMIT, remaining: BUCKET_LIMIT, resetAfterMs: 60_000 })
      ).pipe(Effect.provide(RedisRateLimitStore.layer().pipe(Layer.provide(RedisConnection.layer({ url: server().url, prefix })))))

      const children = Array.from({ length: 3 }, () =>
        spawnTsx(fixture("rateLimitWorker.ts"), { REDIS_URL: server().url, GP_PREFIX: prefix, GLOBAL_LIMIT: String(GLOBAL_LIMIT) })
      )
      try {
        const ready = yield* Effect.promise(() => Promise.all(children.map((c) => c.waitFor((m) => m.type === "ready", STARTUP_SAFETY_MS))))
        assert.isTrue(ready.every((m) => m["connected"] === true), "every process is on Redis, not on the outage fallback")
        for (const child of children) child.send({ type: "go" })
        const results = yield* Effect.promise(() => Promise.all(children.map((c) => c.waitFor((m) => m.type === "result", SAFETY_MS))))
        const total = (field: string) => results.reduce((sum, m) => sum + Number(m[field]), 0)
        assert.strictEqual(total("grantedA"), GLOBAL_LIMIT, `global window: ${JSON.stringify(results)}`)
        assert.strictEqual(total("grantedB"), BUCKET_LIMIT, `bucket: ${JSON.stringify(results)}`)
        assert.isAtLeast(total("attempts"), GLOBAL_LIMIT + children.length, "every process went on until it was refused")
      } finally {
        for (const child of children) child.kill("SIGKILL")
      }
    }), 240_000)
})
