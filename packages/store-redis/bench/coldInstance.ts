/**
 * One GuildPulse instance of the cold benchmark, as its own process: a Redis-backed engine whose source takes
 * `SOURCE_DELAY_MS` and counts its calls in Redis (`INCR <prefix>bench:calls:<profile>:<source>`), so calls
 * from every instance add up in one place. For each `{type: "go", profile, count}` from the parent it fires
 * `count` concurrent cold `Stats.get` and reports the wall time and the freshness states it got.
 */
import { Duration, Effect, Layer, ManagedRuntime } from "effect"
import { Redis } from "ioredis"
import { Stats, StatsSource } from "@guildpulse/core"
import { RedisEngine } from "../src/index.js"

const url = process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379"
const prefix = process.env["GP_PREFIX"] ?? "bench:"
const delayMs = Number(process.env["SOURCE_DELAY_MS"] ?? "100")
const counter = new Redis(url)

const source = StatsSource.layerFunction((request) =>
  Effect.zipRight(
    Effect.promise(() => counter.incr(`${prefix}bench:calls:${request.profile.key}:${request.source}`)),
    Effect.as(Effect.sleep(Duration.millis(delayMs)), { online: 1234, members: 56789, name: "Bench guild", boosts: 3, boostTier: 1 })
  )
)

const runtime = ManagedRuntime.make(
  RedisEngine.layer({ url, prefix, scheduler: false, tokens: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`cold-${i}`, "bench-token"])) }).pipe(
    Layer.provide(source)
  )
)

const send = (message: Record<string, unknown>) => process.send?.(message)

const main = async () => {
  const stats = await runtime.runPromise(Stats.Stats)
  send({ type: "ready" })
  process.on("message", (message: { type: string; profile?: string; count?: number }) => {
    if (message.type === "go" && message.profile !== undefined && message.count !== undefined) {
      const { profile, count } = message
      const start = performance.now()
      Promise.all(Array.from({ length: count }, () => runtime.runPromise(stats.get(profile)))).then(
        (views) => {
          const states: Record<string, number> = {}
          for (const view of views) states[view.freshness.state] = (states[view.freshness.state] ?? 0) + 1
          send({ type: "done", profile, wallMs: performance.now() - start, states })
        },
        (error) => send({ type: "done", profile, error: String(error) })
      )
    }
    if (message.type === "exit") {
      void runtime.dispose().then(() => counter.quit()).then(() => process.exit(0))
    }
  })
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
