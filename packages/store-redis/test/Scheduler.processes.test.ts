/**
 * The BullMQ scheduler across processes: three worker processes share 50 profiles and refresh every one of them
 * exactly once per interval; a worker SIGKILLed in the middle of a job loses nothing — the stalled job is picked
 * up by another worker and completes there.
 *
 * Profiles here refresh every 2 s, under the schema's 30 s minimum (see `fastProfile`). The test waits for the
 * rounds to happen (entries in Redis), never for a duration: on the wall clock it checks only lower bounds
 * ("never two rounds in one interval"); that no interval is skipped is read from the jobs' own schedule.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Queue } from "bullmq"
import { Redis } from "ioredis"
import { ProfileRepository } from "@guildpulse/core"
import type { Profile } from "@guildpulse/core"
import { RedisConnection, RedisEngine, RedisProfileRepository, RedisRefreshScheduler } from "../src/index.js"
import { countingSource, fastProfile } from "./fixtures/domain.js"
import { testMasterKeys } from "./fixtures/keys.js"
import { fixture, spawnTsx, type Child } from "./harness/processes.js"
import { uniquePrefix, useRedisServer } from "./harness/useRedisServer.js"
import { STARTUP_SAFETY_MS, waitFor } from "./harness/waitFor.js"

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
  Effect.promise(() => Promise.all(children.map((child) => child.waitFor((m) => m.type === "ready", STARTUP_SAFETY_MS))))


describe("RedisRefreshScheduler across processes", () => {
  it.scopedLive("3 workers, 50 profiles: every profile refreshed exactly once per interval", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("sched50")
      const keys = Array.from({ length: 50 }, (_, i) => `p${String(i).padStart(2, "0")}`)
      const redis = yield* client
      const children = yield* workers(3, { REDIS_URL: server().url, GP_PREFIX: prefix, CONCURRENCY: "4" })
      // Profiles (and their jobs) only once every worker is up: on a busy machine one worker may start many
      // seconds after the others, and must not find every round already done.
      yield* ready(children)
      yield* seed(prefix, keys.map((key) => fastProfile(key, 2)))
      // An instance without a worker arms one job per stored profile as it starts.
      yield* Layer.build(
        RedisEngine.layer({ url: server().url, prefix, masterKeys: testMasterKeys, scheduler: { worker: false } }).pipe(Layer.provide(countingSource().layer))
      )
      const roundsOf = (key: string) => Effect.promise(() => redis.lrange(`${prefix}test:rounds:${key}`, 0, -1))
      yield* waitFor(
        "three rounds of every profile",
        Effect.map(Effect.forEach(keys, (key) => Effect.promise(() => redis.llen(`${prefix}test:rounds:${key}`))), (lengths) => lengths.every((n) => n >= 3))
      )
      for (const child of children) child.kill("SIGTERM")
      yield* Effect.promise(() => Promise.all(children.map((c) => c.exited)))

      const queue = yield* Effect.acquireRelease(
        Effect.sync(() => new Queue(RedisRefreshScheduler.DEFAULT_QUEUE_NAME, { connection: { url: server().url }, prefix: `${prefix}bull` })),
        (q) => Effect.promise(() => q.close())
      )
      const pids = new Set<string>()
      for (const key of keys) {
        const rounds = (yield* roundsOf(key)).map((entry) => {
          const [ms, pid] = entry.split(":")
          pids.add(pid!)
          return Number(ms)
        })
        for (let i = 1; i < rounds.length; i++) {
          const gap = rounds[i]! - rounds[i - 1]!
          // ttl 2 s × 0.9 × (1 ± 0.1) = 1.62–1.98 s: never two rounds in one interval.
          assert.isAtLeast(gap, 1620, `${key}: two rounds ${gap} ms apart`)
        }
        // Every round counted once by its job, and the job armed for the very next interval (none skipped).
        const job = yield* Effect.promise(() => queue.getJob(RedisRefreshScheduler.jobIdOf(key)))
        const data = job?.data as { runs: number; lastRunAtMs: number; nextRunAtMs: number }
        assert.strictEqual(data.runs, rounds.length, `${key}: one round per run`)
        assert.isAtMost(data.nextRunAtMs - data.lastRunAtMs, 1980, `${key}: next round within one interval`)
      }
      assert.strictEqual(pids.size, 3, "all three workers took jobs")
    }), 240_000)

  it.scopedLive("a worker SIGKILLed mid-job: another worker picks the job up and completes it", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("sigkill")
      yield* seed(prefix, [fastProfile("slow", 30)])
      const redis = yield* client
      const children = yield* workers(2, {
        REDIS_URL: server().url,
        GP_PREFIX: prefix,
        LOCK_DURATION_MS: "2000",
        STALLED_INTERVAL_MS: "1000",
        LOCK_LEASE_MS: "3000"
      })
      yield* ready(children)
      const first = (list: string) => Effect.promise(() => redis.lindex(`${prefix}test:${list}`, 0))
      yield* waitFor("a worker started the job", Effect.map(first("started"), (pid) => pid !== null))
      const victim = yield* first("started")
      const killed = children.find((child) => String(child.pid) === victim)!
      // Killed while its round is held: it cannot have finished it.
      killed.kill("SIGKILL")
      yield* Effect.promise(() => killed.exited)
      yield* Effect.promise(() => redis.set(`${prefix}test:release`, "1"))

      yield* waitFor("the job completed after its worker died", Effect.map(first("completed"), (pid) => pid !== null))
      const completedBy = yield* first("completed")
      assert.notStrictEqual(completedBy, victim)
      const completed = yield* Effect.promise(() => redis.lrange(`${prefix}test:completed`, 0, -1))
      assert.deepStrictEqual(completed, [completedBy], "completed once, by the survivor")

      // Nothing lost: the job is armed again for its next round.
      const queue = yield* Effect.acquireRelease(
        Effect.sync(() => new Queue(RedisRefreshScheduler.DEFAULT_QUEUE_NAME, { connection: { url: server().url }, prefix: `${prefix}bull` })),
        (q) => Effect.promise(() => q.close())
      )
      yield* waitFor(
        "the job armed again",
        Effect.map(Effect.promise(() => queue.getJobState(RedisRefreshScheduler.jobIdOf("slow"))), (state) => state === "delayed")
      )
    }), 240_000)
})
