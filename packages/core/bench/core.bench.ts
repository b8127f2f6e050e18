/**
 * Core benchmark: warm `Stats.get` throughput and latency, and the cold single-flight case.
 * Run: `npm run bench` (all benchmarks) or `node --conditions=@guildpulse/source --import tsx packages/core/bench/core.bench.ts`.
 * Writes bench/results/core.json.
 */
import { writeFileSync, mkdirSync } from "node:fs"
import { dirname, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { Duration, Effect, Layer, ManagedRuntime } from "effect"
import { Engine, fromInput, Stats, StatsSource } from "@guildpulse/core"
import type { GuildId, InviteCode, ProfileKey } from "@guildpulse/core"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..")
const TARGET_WARM_OPS = 100_000

const profile = fromInput(
  { key: "bench" as ProfileKey, label: "Bench", guildId: "123456789012345678" as GuildId, inviteCode: "bench" as InviteCode, refresh: { ttlSeconds: 3600 } },
  new Date().toISOString()
)

let upstreamCalls = { widget: 0, bot: 0, invite: 0 }
const source = (delayMs: number) =>
  StatsSource.layerFunction((request) =>
    Effect.suspend(() => {
      upstreamCalls[request.source] += 1
      return Effect.as(Effect.sleep(Duration.millis(delayMs)), { online: 1234, members: 56789, name: "Bench guild", boosts: 3, boostTier: 1 })
    })
  )

const percentile = (sorted: Float64Array, p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!

const warm = async () => {
  const runtime = ManagedRuntime.make(
    Engine.layerMemory({ profiles: [profile], tokens: { bench: "t" }, scheduler: false }).pipe(Layer.provide(source(0)))
  )
  const stats = await runtime.runPromise(Stats.Stats)
  await runtime.runPromise(stats.get("bench")) // warm the snapshot
  const get = stats.get("bench")

  // 1. In one fiber: the engine's own cost per call.
  const n = 300_000
  const inFiber = await runtime.runPromise(
    Effect.sync(() => performance.now()).pipe(
      Effect.flatMap((start) =>
        Effect.map(Effect.repeatN(get, n - 1), () => performance.now() - start)
      )
    )
  )
  // 2. Latency samples: one runSync per call, timed individually (what an adapter on the hot path pays).
  const samples = new Float64Array(100_000)
  for (let i = 0; i < 5_000; i++) runtime.runSync(get)
  const syncStart = performance.now()
  for (let i = 0; i < samples.length; i++) {
    const t = performance.now()
    runtime.runSync(get)
    samples[i] = performance.now() - t
  }
  const syncTotal = performance.now() - syncStart
  samples.sort()
  // 3. runPromise per call, sequential.
  const m = 50_000
  const promiseStart = performance.now()
  for (let i = 0; i < m; i++) await runtime.runPromise(get)
  const promiseTotal = performance.now() - promiseStart
  // Baseline in the same run: a trivial service lookup through runPromise (docs/architecture.md §7's reference).
  const trivial = Stats.Stats.pipe(Effect.map((service) => service.get))
  const baselineStart = performance.now()
  for (let i = 0; i < m; i++) await runtime.runPromise(trivial)
  const baselineTotal = performance.now() - baselineStart
  await runtime.dispose()
  return {
    baselineTrivialLookupOpsPerSec: Math.round(m / (baselineTotal / 1000)),
    inFiberOpsPerSec: Math.round(n / (inFiber / 1000)),
    runSyncOpsPerSec: Math.round(samples.length / (syncTotal / 1000)),
    runSyncP50Us: +(percentile(samples, 0.5) * 1000).toFixed(2),
    runSyncP99Us: +(percentile(samples, 0.99) * 1000).toFixed(2),
    runPromiseOpsPerSec: Math.round(m / (promiseTotal / 1000))
  }
}

const cold = async (concurrency: number, delayMs: number) => {
  upstreamCalls = { widget: 0, bot: 0, invite: 0 }
  const runtime = ManagedRuntime.make(
    Engine.layerMemory({ profiles: [profile], tokens: { bench: "t" }, scheduler: false }).pipe(Layer.provide(source(delayMs)))
  )
  const stats = await runtime.runPromise(Stats.Stats)
  const start = performance.now()
  const views = await Promise.all(Array.from({ length: concurrency }, () => runtime.runPromise(stats.get("bench"))))
  const wallMs = performance.now() - start
  await runtime.dispose()
  return {
    concurrency,
    upstreamDelayMs: delayMs,
    wallMs: +wallMs.toFixed(1),
    upstreamCalls: { ...upstreamCalls },
    allFresh: views.every((v) => v.freshness.state === "fresh")
  }
}

const main = async () => {
  const w = await warm()
  const c = await cold(1000, 50)
  const table = [
    { measure: "warm Stats.get, in one fiber", value: `${w.inFiberOpsPerSec.toLocaleString("en")} ops/s`, target: `≥ ${TARGET_WARM_OPS.toLocaleString("en")} ops/s`, ok: w.inFiberOpsPerSec >= TARGET_WARM_OPS },
    { measure: "warm Stats.get, runSync per call", value: `${w.runSyncOpsPerSec.toLocaleString("en")} ops/s (p50 ${w.runSyncP50Us} µs, p99 ${w.runSyncP99Us} µs)`, target: `≥ ${TARGET_WARM_OPS.toLocaleString("en")} ops/s`, ok: w.runSyncOpsPerSec >= TARGET_WARM_OPS },
    { measure: "warm Stats.get, runPromise per call", value: `${w.runPromiseOpsPerSec.toLocaleString("en")} ops/s`, target: `baseline: trivial lookup ${w.baselineTrivialLookupOpsPerSec.toLocaleString("en")} ops/s`, ok: w.runPromiseOpsPerSec >= TARGET_WARM_OPS },
    { measure: "cold: 1,000 concurrent get, 50 ms upstream", value: `${c.wallMs} ms, calls ${JSON.stringify(c.upstreamCalls)}`, target: "1 call per source", ok: c.upstreamCalls.widget === 1 && c.upstreamCalls.bot === 1 && c.upstreamCalls.invite === 1 }
  ]
  console.log("\n@guildpulse/core benchmark (one process, one core)\n")
  console.table(table)
  const result = { benchmark: "core", node: process.version, date: new Date().toISOString(), targetWarmOpsPerSec: TARGET_WARM_OPS, warm: w, cold: c }
  mkdirSync(resolve(root, "bench/results"), { recursive: true })
  writeFileSync(resolve(root, "bench/results/core.json"), JSON.stringify(result, null, 2) + "\n")
  console.log("written bench/results/core.json")
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
