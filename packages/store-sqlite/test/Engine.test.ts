/**
 * The engine on the embedded store across restarts (a real file, time driven by `TestClock`): the last good
 * snapshot is served at once after a restart, honestly labelled, while Discord does not answer; and the
 * refresh schedule resumes where it was — overdue profiles spread out, not all at the same instant.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll } from "vitest"
import { assert, describe, it } from "@effect/vitest"
import { Config, ConfigProvider, Effect, Layer, Option, Redacted, TestClock } from "effect"
import { ProfileKey, ProfileRepository, Refresher, RefreshScheduler, SecretVault, Stats, StatsSource } from "@guildpulse/core"
import { SqliteEngine, SqliteStores } from "../src/index.js"
import { countingSource, profileFixture } from "./fixtures/domain.js"
import { testMasterKeys } from "./fixtures/keys.js"

const root = mkdtempSync(join(tmpdir(), "gp-sqlite-engine-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let seq = 0
const freshDir = () => join(root, `d${++seq}`)
const T0 = Date.UTC(2026, 10, 25, 12)

const engine = (dataDir: string, source: Layer.Layer<StatsSource.StatsSource>, scheduler: SqliteEngine.SqliteEngineOptions["scheduler"] = false) =>
  SqliteEngine.layer({ dataDir, masterKeys: testMasterKeys, scheduler }).pipe(Layer.provide(source))

/** A Discord that never answers. */
const silent = StatsSource.layerFunction(() => Effect.never)

describe("SqliteEngine.layerConfig", () => {
  it.effect("takes a record of Configs (Config.Wrap): GUILDPULSE_DATA_DIR from the environment, master keys and scheduler in code", () =>
    Effect.gen(function* () {
      const dataDir = freshDir()
      const provider = ConfigProvider.fromMap(new Map([["GUILDPULSE_DATA_DIR", dataDir]]))
      const configured = SqliteEngine.layerConfig({
        ...SqliteStores.fromEnv,
        masterKeys: Config.succeed(testMasterKeys),
        scheduler: Config.succeed(false as const)
      }).pipe(Layer.provide(silent))
      yield* Effect.flatMap(SecretVault.SecretVault, (vault) => vault.put(ProfileKey.make("main"), Redacted.make("bot-token"))).pipe(
        Effect.provide(configured),
        Effect.withConfigProvider(provider)
      )
      const token = yield* Effect.flatMap(SecretVault.SecretVault, (vault) => vault.get(ProfileKey.make("main"))).pipe(Effect.provide(engine(dataDir, silent)))
      assert.deepStrictEqual(Option.map(token, Redacted.value), Option.some("bot-token"), "in the environment's data dir, sealed with the code's keys")
    }), 60_000)
})

describe("SqliteEngine across restarts", () => {
  it.effect("serves the last good snapshot at once after a restart, stale, while Discord does not answer", () =>
    Effect.gen(function* () {
      const dataDir = freshDir()
      yield* TestClock.setTime(T0)
      const healthy = countingSource()
      const first = yield* Effect.gen(function* () {
        yield* (yield* ProfileRepository.ProfileRepository).put(profileFixture("main"), 0)
        yield* (yield* SecretVault.SecretVault).put(ProfileKey.make("main"), Redacted.make("bot-token"))
        return yield* (yield* Stats.Stats).get("main")
      }).pipe(Effect.provide(engine(dataDir, healthy.layer)))
      assert.strictEqual(first.freshness.state, "fresh")

      yield* TestClock.adjust("10 minutes")
      const afterRestart = yield* Effect.gen(function* () {
        const view = yield* (yield* Stats.Stats).get("main")
        const token = yield* (yield* SecretVault.SecretVault).get(ProfileKey.make("main"))
        return { view, token: Option.map(token, Redacted.value) }
      }).pipe(Effect.provide(engine(dataDir, silent)))
      assert.strictEqual(afterRestart.view.freshness.state, "stale")
      assert.strictEqual(afterRestart.view.freshness.ageSeconds, 600)
      assert.deepStrictEqual(afterRestart.view.counts, first.counts)
      assert.deepStrictEqual(afterRestart.view.guild, first.guild)
      assert.deepStrictEqual(afterRestart.token, Option.some("bot-token"))
    }), 60_000)

  it.effect("resumes the schedule: profiles not yet due keep their time, overdue ones are spread over 30 s", () =>
    Effect.gen(function* () {
      const dataDir = freshDir()
      const overdueKeys = Array.from({ length: 20 }, (_, i) => ProfileKey.make(`o${i}`))
      const onTimeKeys = Array.from({ length: 20 }, (_, i) => ProfileKey.make(`t${i}`))
      yield* TestClock.setTime(T0)
      const before = countingSource()
      yield* Effect.gen(function* () {
        const repo = yield* ProfileRepository.ProfileRepository
        const refresher = yield* Refresher.Refresher
        for (const key of [...overdueKeys, ...onTimeKeys]) {
          yield* repo.put(profileFixture(key, { sources: { widget: true, bot: false, invite: false } }), 0)
        }
        // ttl 60 s: refreshed at T0, due by T0 + 59.4 s — overdue at the restart (T0 + 120 s).
        for (const key of overdueKeys) yield* refresher.refresh(key)
        yield* TestClock.adjust("110 seconds")
        // Refreshed at T0 + 110 s, due at T0 + 110 s + [48.6, 59.4] s — after the restart.
        for (const key of onTimeKeys) yield* refresher.refresh(key)
      }).pipe(Effect.provide(engine(dataDir, before.layer)))

      yield* TestClock.adjust("10 seconds")
      const restartAt = T0 + 120_000
      const after = countingSource()
      const run = yield* Effect.gen(function* () {
        const scheduler = yield* RefreshScheduler.RefreshScheduler
        yield* TestClock.adjust("0 millis")
        const status = yield* scheduler.status
        const callsAtRestart = after.calls.widget
        yield* TestClock.adjust("30 seconds")
        return { status, callsAtRestart, callsWithin30s: after.calls.widget }
      }).pipe(Effect.provide(engine(dataDir, after.layer, {})))

      const nextRun = new Map(run.status.jobs.map((job) => [job.profile, job.nextRunAtMs ?? Number.NaN]))
      for (const key of onTimeKeys) {
        const at = nextRun.get(key) ?? Number.NaN
        assert.isAtLeast(at, T0 + 110_000 + 48_600, `${key} keeps its schedule`)
        assert.isAtMost(at, T0 + 110_000 + 59_400, `${key} keeps its schedule`)
      }
      const overdue = overdueKeys.map((key) => nextRun.get(key) ?? Number.NaN)
      for (const at of overdue) {
        assert.isAtLeast(at, restartAt)
        assert.isBelow(at, restartAt + 30_000)
      }
      assert.isAbove(new Set(overdue).size, 15, "spread over the window, not one instant")
      assert.strictEqual(run.callsAtRestart, overdue.filter((at) => at === restartAt).length)
      assert.strictEqual(run.callsWithin30s, 20, "every overdue profile refreshed once within 30 s, the others not yet")
    }), 60_000)
})
