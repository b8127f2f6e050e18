/**
 * store-redis benchmark. Starts its own redis-server (no persistence) on a free port.
 *
 * (a) Cold, across processes: 3 instances — 3 child processes, each with its own runtime and Redis connections —
 *     fire 1,000 concurrent cold `Stats.get` for one profile between them (334 + 333 + 333) against a source of
 *     ~100 ms latency that counts its calls in Redis. Target: exactly 1 upstream call per source. Repeated over
 *     several fresh profiles.
 * (b) Warm, in this process, side by side in the same run: `Stats.get` on the memory engine, on the Redis
 *     engine with its read-through cache (default 1 s TTL, pub/sub invalidation), and on the Redis engine with
 *     the cache off (every call = 2 Redis round trips: profile + snapshot). Sequential `runPromise` per call
 *     (ops/s, p50/p99) and 64 concurrent callers (ops/s).
 *
 * Run: `node --conditions=@guildpulse/source --import tsx packages/store-redis/bench/redis.bench.ts`
 * (or `npm run bench -- redis`). Writes bench/results/redis.json.
 */
import { fork } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import { cpus } from "node:os"
import { dirname, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { Duration, Effect, Layer, ManagedRuntime } from "effect"
import { Engine, fromInput, ProfileRepository, Stats, StatsSource } from "@guildpulse/core"
import type { GuildId, InviteCode, Profile, ProfileKey } from "@guildpulse/core"
import { Redis } from "ioredis"
import { RedisEngine } from "../src/index.js"
import { startRedisServer } from "../test/harness/redisServer.js"

const here = dirname(fileURLToPath(import.meta.url))
const root = resolve(here, "../../..")
const INSTANCES = 3
const COLD_REQUESTS = 1000
const COLD_TRIALS = 5
const SOURCE_DELAY_MS = 100
const WARM_SEQUENTIAL = 20_000
const WARM_CONCURRENT_MS = 2000
const WARM_CONCURRENCY = 64

const profileOf = (key: string): Profile =>
  fromInput(
    { key: key as ProfileKey, label: "Bench", guildId: "123456789012345678" as GuildId, inviteCode: "bench" as InviteCode, refresh: { ttlSeconds: 3600 } },
    new Date().toISOString()
  )

const percentile = (sorted: Float64Array, p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!

interface Message {
  readonly type: string
  readonly [key: string]: unknown
}

const cold = async (url: string) => {
  const prefix = "bench-cold:"
  const admin = new Redis(url)
  const seedRuntime = ManagedRuntime.make(RedisEngine.layer({ url, prefix, scheduler: false }).pipe(Layer.provide(StatsSource.layerFixed({}))))
  const children = Array.from({ length: INSTANCES }, () =>
    fork(resolve(here, "coldInstance.ts"), [], {
      cwd: root,
      execArgv: ["--conditions=@guildpulse/source", "--import", "tsx"],
      env: { ...process.env, REDIS_URL: url, GP_PREFIX: prefix, SOURCE_DELAY_MS: String(SOURCE_DELAY_MS) },
      stdio: ["ignore", "inherit", "inherit", "ipc"]
    })
  )
  const next = (child: (typeof children)[number], type: string, profile?: string) =>
    new Promise<Message>((resolvePromise) => {
      const listener = (message: Message) => {
        if (message.type === type && (profile === undefined || message["profile"] === profile)) {
          child.off("message", listener)
          resolvePromise(message)
        }
      }
      child.on("message", listener)
    })
  await Promise.all(children.map((child) => next(child, "ready")))
  const trials: Array<{ profile: string; calls: Record<string, number>; wallMs: number; states: Record<string, number> }> = []
  for (let trial = 0; trial < COLD_TRIALS; trial++) {
    const key = `cold-${trial}`
    await seedRuntime.runPromise(Effect.flatMap(ProfileRepository.ProfileRepository, (repo) => repo.put(profileOf(key), 0)))
    const done = children.map((child) => next(child, "done", key))
    children.forEach((child, i) => child.send({ type: "go", profile: key, count: Math.floor(COLD_REQUESTS / INSTANCES) + (i < COLD_REQUESTS % INSTANCES ? 1 : 0) }))
    const results = await Promise.all(done)
    const calls: Record<string, number> = {}
    for (const source of ["widget", "bot", "invite"]) calls[source] = Number((await admin.get(`${prefix}bench:calls:${key}:${source}`)) ?? 0)
    const states: Record<string, number> = {}
    for (const result of results) {
      if (result["error"] !== undefined) throw new Error(String(result["error"]))
      for (const [state, n] of Object.entries(result["states"] as Record<string, number>)) states[state] = (states[state] ?? 0) + n
    }
    trials.push({ profile: key, calls, wallMs: +Math.max(...results.map((r) => Number(r["wallMs"]))).toFixed(1), states })
  }
  for (const child of children) child.send({ type: "exit" })
  await Promise.all(children.map((child) => new Promise((r) => child.on("exit", r))))
  await seedRuntime.dispose()
  await admin.quit()
  return {
    instances: INSTANCES,
    mode: "child processes (one runtime and one set of Redis connections each)",
    concurrentRequests: COLD_REQUESTS,
    upstreamDelayMs: SOURCE_DELAY_MS,
    trials,
    exactlyOnePerSource: trials.every((t) => t.calls["widget"] === 1 && t.calls["bot"] === 1 && t.calls["invite"] === 1)
  }
}

const warmOne = async (name: string, layer: Layer.Layer<Stats.Stats | ProfileRepository.ProfileRepository, unknown>) => {
  const runtime = ManagedRuntime.make(layer)
  const stats = await runtime.runPromise(Stats.Stats)
  await runtime.runPromise(Effect.flatMap(ProfileRepository.ProfileRepository, (repo) => repo.put(profileOf("warm"), 0)))
  const view = await runtime.runPromise(stats.get("warm"))
  if (view.freshness.state !== "fresh") throw new Error(`${name}: warm-up did not produce a fresh view`)
  const get = stats.get("warm")
  for (let i = 0; i < 2000; i++) await runtime.runPromise(get)

  const samples = new Float64Array(WARM_SEQUENTIAL)
  const start = performance.now()
  for (let i = 0; i < samples.length; i++) {
    const t = performance.now()
    await runtime.runPromise(get)
    samples[i] = performance.now() - t
  }
  const sequentialMs = performance.now() - start
  samples.sort()

  let done = 0
  const deadline = performance.now() + WARM_CONCURRENT_MS
  const concurrentStart = performance.now()
  await Promise.all(
    Array.from({ length: WARM_CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        await runtime.runPromise(get)
        done += 1
      }
    })
  )
  const concurrentMs = performance.now() - concurrentStart
  await runtime.dispose()
  return {
    store: name,
    sequentialOpsPerSec: Math.round(WARM_SEQUENTIAL / (sequentialMs / 1000)),
    p50Us: +(percentile(samples, 0.5) * 1000).toFixed(1),
    p99Us: +(percentile(samples, 0.99) * 1000).toFixed(1),
    concurrentOpsPerSec: Math.round(done / (concurrentMs / 1000)),
    concurrency: WARM_CONCURRENCY
  }
}

const warm = async (url: string) => {
  const source = StatsSource.layerFunction(() =>
    Effect.as(Effect.sleep(Duration.millis(1)), { online: 1234, members: 56789, name: "Bench guild", boosts: 3, boostTier: 1 })
  )
  const memory = Engine.layerMemory({ scheduler: false, tokens: { warm: "t" } }).pipe(Layer.provide(source))
  const redis = (prefix: string, localCacheTtlMs: number) =>
    RedisEngine.layer({ url, prefix, scheduler: false, localCacheTtlMs, tokens: { warm: "t" } }).pipe(Layer.provide(source))
  return [
    await warmOne("memory", memory),
    await warmOne("redis, read-through cache (1 s TTL + pub/sub)", redis("bench-warm-cached:", 1000)),
    await warmOne("redis, no cache (2 round trips per get)", redis("bench-warm-direct:", 0))
  ]
}

const main = async () => {
  const server = await startRedisServer()
  try {
    const c = await cold(server.url)
    const w = await warm(server.url)
    console.log(`\n@guildpulse/store-redis benchmark (Node ${process.version}, ${cpus().length} CPUs, redis-server on 127.0.0.1)\n`)
    console.log(`(a) ${COLD_REQUESTS} concurrent cold Stats.get for one profile over ${INSTANCES} instances (${c.mode}), source ${SOURCE_DELAY_MS} ms`)
    console.table(
      c.trials.map((t) => ({
        profile: t.profile,
        "widget calls": t.calls["widget"],
        "bot calls": t.calls["bot"],
        "invite calls": t.calls["invite"],
        "wall ms": t.wallMs,
        views: JSON.stringify(t.states),
        "target 1/source": t.calls["widget"] === 1 && t.calls["bot"] === 1 && t.calls["invite"] === 1 ? "ok" : "MISSED"
      }))
    )
    console.log(`(b) warm Stats.get, same run: sequential runPromise per call, and ${WARM_CONCURRENCY} concurrent callers`)
    console.table(
      w.map((r) => ({
        store: r.store,
        "sequential ops/s": r.sequentialOpsPerSec.toLocaleString("en"),
        "p50 µs": r.p50Us,
        "p99 µs": r.p99Us,
        [`${WARM_CONCURRENCY} callers ops/s`]: r.concurrentOpsPerSec.toLocaleString("en")
      }))
    )
    const result = { benchmark: "redis", node: process.version, cpus: cpus().length, date: new Date().toISOString(), cold: c, warm: w }
    mkdirSync(resolve(root, "bench/results"), { recursive: true })
    writeFileSync(resolve(root, "bench/results/redis.json"), JSON.stringify(result, null, 2) + "\n")
    console.log("written bench/results/redis.json")
    if (!c.exactlyOnePerSource) process.exitCode = 1
  } finally {
    await server.stop()
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
