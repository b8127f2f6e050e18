/**
 * The BullMQ scheduler across processes: three worker processes share 50 profiles and refresh every one of them
 * exactly once per interval; a worker SIGKILLed in the middle of a job loses nothing — the stalled job is picked
 * up by another worker and completes there.
 *
 * Profiles here refresh every 3 s, under the schema's 30 s minimum (see `fastProfile`).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Queue } from "bullmq"
import { Redis } from "ioredis"
import { ProfileRepository } from "@guildpulse/core"
import type { Profile } from "@guildpulse/core"
import { RedisConnection, RedisProfileRepository, RedisRefreshScheduler } from "../src/index.js"
import { fastProfile } from "./fixtures/domain.js"
import { fixture, spawnTsx, type Child } from "./harness/processes.js"
import { uniquePrefix, useRedisServer } from "./harness/useRedisServer.js"

const server = useRedisServer()

const seed = (prefix: string, profiles: ReadonlyArray<Profile>) =>
  Effect.flatMap(ProfileRepository.ProfileRepository, (repo) => Effect.forEach(profiles, (p) => repo.put(p, 0), { discard: true })).pipe(
    Effect.provide(RedisProfileRepository.layer.pipe(Layer.provide(RedisConnection.layer({ url: server().url, prefix }))))
  )

const client = Effect.acquireRelease(
  Effect.sync(() => new Redis(server().url)),
  (redis) => Effect.promise(() => redis.quit().catch(() => "closed"))
)

const workers = (count: number, env: Record<string, string>) =>
  Effect.acquireRelease(
    Effect.sync(() => Array.from({ length: count }, () => spawnTsx(fixture("schedulerWorker.ts"), env))),
    (children) =>
      Effect.promise(async () => {
        for (const child of children) child.kill("SIGTERM")
        await Promise.all(children.map((child) => Promise.race([child.exited, new Promise((r) => setTimeout(r, 8000))])))
        for (const child of children) child.kill("SIGKILL")
      })
  )

const ready = (children: ReadonlyArray<Child>) =>
  Effect.promise(() => Promise.all(children.map((child) => child.waitFor((m) => m.type === "ready", 45_000))))

const sleep = (ms: number) => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, ms)))

describe("RedisRefreshScheduler across processes", () => {
  it.scopedLive("3 workers, 50 profiles: every profile refreshed exactly once per interval", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("sched50")
      const keys = Array.from({ length: 50 }, (_, i) => `p${String(i).padStart(2, "0")}`)
      yield* seed(prefix, keys.map((key) => fastProfile(key, 3)))
      const redis = yield* client
      const children = yield* workers(3, { REDIS_URL: server().url, GP_PREFIX: prefix, CONCURRENCY: "4" })
      yield* ready(children)
      yield* sleep(10_000)
      for (const child of children) child.kill("SIGTERM")
      yield* Effect.promise(() => Promise.all(children.map((c) => c.exited)))

      const pids = new Set<string>()
      for (const key of keys) {
        const rounds = (yield* Effect.promise(() => redis.lrange(`${prefix}test:rounds:${key}`, 0, -1))).map((entry) => {
          const [ms, pid] = entry.split(":")
          pids.add(pid!)
          return Number(ms)
        })
        assert.isAtLeast(rounds.length, 3, `${key}: ${rounds.length} rounds`)
        for (let i = 1; i < rounds.length; i++) {
          const gap = rounds[i]! - rounds[i - 1]!
          // ttl 3 s × 0.9 × (1 ± 0.1) = 2.43–2.97 s: never two rounds in one interval, and never a skipped
          // interval (that would be ≥ 2 × 2.43 s); the slack above 2.97 s absorbs a loaded machine.
          assert.isAtLeast(gap, 2300, `${key}: two rounds ${gap} ms apart`)
          assert.isAtMost(gap, 4800, `${key}: an interval without a round (${gap} ms)`)
        }
      }
      assert.strictEqual(pids.size, 3, "all three workers took jobs")
    }), 90_000)

  it.scopedLive("a worker SIGKILLed mid-job: another worker picks the job up and completes it", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("sigkill")
      yield* seed(prefix, [fastProfile("slow", 30)])
      const redis = yield* client
      const children = yield* workers(2, {
        REDIS_URL: server().url,
        GP_PREFIX: prefix,
        SLOW_MS: "2500",
        LOCK_DURATION_MS: "2000",
        STALLED_INTERVAL_MS: "1000",
        LOCK_LEASE_MS: "3000"
      })
      yield* ready(children)
      let victim: string | null = null
      for (let i = 0; i < 200 && victim === null; i++) {
        victim = yield* Effect.promise(() => redis.lindex(`${prefix}test:started`, 0))
        if (victim === null) yield* sleep(25)
      }
      assert.isNotNull(victim, "a worker started the job")
      const killed = children.find((child) => String(child.pid) === victim)!
      killed.kill("SIGKILL")
      yield* Effect.promise(() => killed.exited)

      let completedBy: string | null = null
      for (let i = 0; i < 300 && completedBy === null; i++) {
        completedBy = yield* Effect.promise(() => redis.lindex(`${prefix}test:completed`, 0))
        if (completedBy === null) yield* sleep(50)
      }
      assert.isNotNull(completedBy, "the job completed after its worker died")
      assert.notStrictEqual(completedBy, victim)
      const completed = yield* Effect.promise(() => redis.lrange(`${prefix}test:completed`, 0, -1))
      assert.deepStrictEqual(completed, [completedBy], "completed once, by the survivor")

      // Nothing lost: the job is armed again for its next round.
      const queue = yield* Effect.acquireRelease(
        Effect.sync(() => new Queue(RedisRefreshScheduler.DEFAULT_QUEUE_NAME, { connection: { url: server().url }, prefix: `${prefix}bull` })),
        (q) => Effect.promise(() => q.close())
      )
      let state = ""
      for (let i = 0; i < 100 && state !== "delayed"; i++) {
        state = yield* Effect.promise(() => queue.getJobState(RedisRefreshScheduler.jobIdOf("slow")))
        if (state !== "delayed") yield* sleep(50)
      }
      assert.strictEqual(state, "delayed")
    }), 60_000)
})
