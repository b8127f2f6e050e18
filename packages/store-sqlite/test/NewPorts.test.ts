/**
 * The ports added to core with the alerting and access work — `ApiKeyRepository`, `AuditLog`,
 * `AlertRulesStore`, `AnalyticsStore`, `StoreHealth` — on the SQLite layers, beside core's memory layers
 * where the behaviour is shared, plus what only a file can show: survival across a restart, downsampling,
 * readiness when writing fails.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll } from "vitest"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Either, Layer, Option, TestClock } from "effect"
import { AlertRulesStore, AnalyticsStore, ApiKeyRepository, AuditLog, ProfileRepository, SnapshotStore, StoreHealth } from "@guildpulse/core"
import { profileFixture } from "@guildpulse/core/testing"
import type { ProfileKey } from "@guildpulse/core"
import { SqliteAlertRulesStore, SqliteAnalyticsStore, SqliteApiKeyRepository, SqliteAuditLog, SqliteDatabase, SqliteProfileRepository, SqliteSnapshotStore, SqliteStoreHealth } from "../src/index.js"
import { snapshotFixture, profileKey } from "./fixtures/domain.js"

const root = mkdtempSync(join(tmpdir(), "gp-sqlite-ports-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let seq = 0
const freshDir = () => join(root, `d${++seq}`)
const onFile = <A, E>(store: Layer.Layer<A, E, SqliteDatabase.SqliteDatabase>, dataDir: string) =>
  store.pipe(Layer.provideMerge(SqliteDatabase.layer({ dataDir, flushIntervalMs: 5000 })))

const key = (id: string, createdAtMs: number): ApiKeyRepository.ApiKey => ({
  id: id as ApiKeyRepository.ApiKeyId,
  name: `key ${id}`,
  hash: "sha256:0123456789abcdef0123456789abcdef",
  scopes: ["profiles:read"],
  createdAtMs,
  useCount: 0
})

const apiKeyBehaviour = Effect.gen(function* () {
  const repo = yield* ApiKeyRepository.ApiKeyRepository
  yield* repo.create(key("bbbbbbbb", 2000))
  yield* repo.create(key("aaaaaaaa", 1000))
  const again = yield* Effect.either(repo.create(key("aaaaaaaa", 5)))
  assert.isTrue(Either.isLeft(again) && again.left._tag === "Conflict")
  assert.deepStrictEqual((yield* repo.list).map((k) => k.id), ["aaaaaaaa", "bbbbbbbb"], "oldest first")
  const revoked = Option.getOrThrow(yield* repo.revoke("aaaaaaaa" as ApiKeyRepository.ApiKeyId, 3000))
  assert.strictEqual(revoked.revokedAtMs, 3000)
  assert.strictEqual(Option.getOrThrow(yield* repo.revoke("aaaaaaaa" as ApiKeyRepository.ApiKeyId, 9000)).revokedAtMs, 3000, "the first revocation stays")
  assert.isTrue(Option.isNone(yield* repo.revoke("zzzzzzzz" as ApiKeyRepository.ApiKeyId, 1)))
  yield* Effect.forEach(Array.from({ length: 25 }, (_, i) => 4000 + i), (at) => repo.recordUse("bbbbbbbb" as ApiKeyRepository.ApiKeyId, at), { concurrency: "unbounded" })
  const used = Option.getOrThrow(yield* repo.get("bbbbbbbb" as ApiKeyRepository.ApiKeyId))
  assert.strictEqual(used.useCount, 25)
  assert.strictEqual(used.lastUsedAtMs, 4024)
  assert.isTrue(yield* repo.delete("bbbbbbbb" as ApiKeyRepository.ApiKeyId))
  assert.isFalse(yield* repo.delete("bbbbbbbb" as ApiKeyRepository.ApiKeyId))
  yield* repo.create(key("cccccccc", 6000))
  yield* repo.recordUse("cccccccc" as ApiKeyRepository.ApiKeyId, 7000)
  return yield* repo.list
})

const auditBehaviour = Effect.gen(function* () {
  const log = yield* AuditLog.AuditLog
  const entries = []
  for (let i = 0; i < 7; i++) {
    entries.push(
      yield* log.append({
        atMs: 1000 * (i + 1),
        keyId: i % 2 === 0 ? "admin" : "ops",
        action: i < 4 ? "profile.update" : "token.set",
        profile: "main" as ProfileKey,
        before: { label: `v${i}` },
        after: { label: `v${i + 1}` }
      })
    )
  }
  assert.deepStrictEqual(entries.map((e) => e.id), [...entries.map((e) => e.id)].sort(), "ids increase")
  const all = yield* log.query({})
  assert.deepStrictEqual(all.entries.map((e) => e.atMs), [7000, 6000, 5000, 4000, 3000, 2000, 1000])
  assert.deepStrictEqual((yield* log.query({ action: "profile" })).entries.map((e) => e.atMs), [4000, 3000, 2000, 1000])
  assert.deepStrictEqual((yield* log.query({ keyId: "ops", sinceMs: 2000, untilMs: 6000 })).entries.map((e) => e.atMs), [6000, 4000, 2000])
  const first = yield* log.query({ limit: 3 })
  const second = yield* log.query({ limit: 3, cursor: Option.getOrThrow(first.nextCursor) })
  assert.deepStrictEqual(second.entries.map((e) => e.atMs), [4000, 3000, 2000])
  assert.deepStrictEqual(all.entries[0]!.after, { label: "v7" })
  assert.strictEqual(yield* log.prune(3000), 2)
  return (yield* log.query({})).entries.map((e) => e.atMs)
})

const analyticsBehaviour = Effect.gen(function* () {
  const store = yield* AnalyticsStore.AnalyticsStore
  const main = "main" as ProfileKey
  for (const atMs of [3000, 1000, 2000, 4000]) yield* store.record({ profile: main, atMs, online: atMs / 100, members: 500, state: "fresh" })
  yield* store.record({ profile: "other" as ProfileKey, atMs: 2000, state: "unavailable" })
  assert.deepStrictEqual((yield* store.query({ profile: main, fromMs: 1000, toMs: 4000 })).map((s) => s.atMs), [1000, 2000, 3000], "[from, to), oldest first")
  assert.deepStrictEqual(yield* store.query({ profile: "other" as ProfileKey, fromMs: 0, toMs: 10_000 }), [{ profile: "other" as ProfileKey, atMs: 2000, state: "unavailable" }])
  assert.strictEqual(yield* store.prune(2500), 3)
  yield* store.delete("other" as ProfileKey)
  assert.deepStrictEqual(yield* store.query({ profile: "other" as ProfileKey, fromMs: 0, toMs: 10_000 }), [])
  return (yield* store.query({ profile: main, fromMs: 0, toMs: 10_000 })).map((s) => s.atMs)
})

describe("ApiKeyRepository", () => {
  it.live("memory", () => Effect.map(apiKeyBehaviour, (list) => assert.deepStrictEqual(list.map((k) => k.id), ["aaaaaaaa", "cccccccc"])).pipe(Effect.provide(ApiKeyRepository.layerMemory())))
  it.live("sqlite: the same, and keys, revocations and (flushed) use counts survive a restart", () =>
    Effect.gen(function* () {
      const dataDir = freshDir()
      const before = yield* Effect.provide(apiKeyBehaviour, onFile(SqliteApiKeyRepository.layer, dataDir))
      const after = yield* Effect.provide(Effect.flatMap(ApiKeyRepository.ApiKeyRepository, (repo) => repo.list), onFile(SqliteApiKeyRepository.layer, dataDir))
      assert.deepStrictEqual(after, before)
      assert.strictEqual(after[0]!.revokedAtMs, 3000)
      assert.strictEqual(after[1]!.useCount, 1)
    }))
})

describe("AuditLog", () => {
  it.live("memory", () => Effect.map(auditBehaviour, (left) => assert.deepStrictEqual(left, [7000, 6000, 5000, 4000, 3000])).pipe(Effect.provide(AuditLog.layerMemory)))
  it.live("sqlite: the same, committed before append returns (survives a restart), ids go on increasing", () =>
    Effect.gen(function* () {
      const dataDir = freshDir()
      const left = yield* Effect.provide(auditBehaviour, onFile(SqliteAuditLog.layer, dataDir))
      assert.deepStrictEqual(left, [7000, 6000, 5000, 4000, 3000])
      const next = yield* Effect.provide(
        Effect.flatMap(AuditLog.AuditLog, (log) => Effect.zip(log.append({ atMs: 8000, keyId: "admin", action: "key.revoke" }), log.query({}))),
        onFile(SqliteAuditLog.layer, dataDir)
      )
      assert.strictEqual(next[0].id, "000000000008")
      assert.deepStrictEqual(next[1].entries.map((e) => e.atMs), [8000, 7000, 6000, 5000, 4000, 3000])
    }))
})

describe("AlertRulesStore", () => {
  const rules = { defaults: { stale_data: { olderThanMinutes: 45 } }, profiles: { main: { presence_drop: { enabled: false } } } } as const
  it.live("sqlite: empty at first, then what was put, across a restart", () =>
    Effect.gen(function* () {
      const dataDir = freshDir()
      const first = yield* Effect.provide(
        Effect.flatMap(AlertRulesStore.AlertRulesStore, (store) => Effect.zip(store.get, store.put(rules))),
        onFile(SqliteAlertRulesStore.layer, dataDir)
      )
      const memory = yield* Effect.provide(Effect.flatMap(AlertRulesStore.AlertRulesStore, (store) => store.get), AlertRulesStore.layerMemory())
      assert.deepStrictEqual(first[0], memory)
      assert.deepStrictEqual(first[1], rules)
      const after = yield* Effect.provide(Effect.flatMap(AlertRulesStore.AlertRulesStore, (store) => store.get), onFile(SqliteAlertRulesStore.layer, dataDir))
      assert.deepStrictEqual(after, rules)
    }))
})

describe("AnalyticsStore", () => {
  it.live("memory", () => Effect.map(analyticsBehaviour, (left) => assert.deepStrictEqual(left, [3000, 4000])).pipe(Effect.provide(AnalyticsStore.layerMemory())))
  it.live("sqlite: the same (pending samples included), and they survive a restart", () =>
    Effect.gen(function* () {
      const dataDir = freshDir()
      assert.deepStrictEqual(yield* Effect.provide(analyticsBehaviour, onFile(SqliteAnalyticsStore.layer(), dataDir)), [3000, 4000])
      const after = yield* Effect.provide(
        Effect.flatMap(AnalyticsStore.AnalyticsStore, (store) => store.query({ profile: "main" as ProfileKey, fromMs: 0, toMs: 10_000 })),
        onFile(SqliteAnalyticsStore.layer(), dataDir)
      )
      assert.deepStrictEqual(after, [
        { profile: "main" as ProfileKey, atMs: 3000, online: 30, members: 500, state: "fresh" },
        { profile: "main" as ProfileKey, atMs: 4000, online: 40, members: 500, state: "fresh" }
      ])
    }))

  it.effect("sqlite: maintenance applies the tiers on its own as time passes (TestClock, months of samples, a restart a month later)", () =>
    Effect.gen(function* () {
      const dataDir = freshDir()
      const main = "main" as ProfileKey
      const DAY = 86_400_000
      const HOUR = 3_600_000
      const now = 100 * DAY
      const onTestClock = Layer.provideMerge(SqliteAnalyticsStore.layer(), SqliteDatabase.layer({ dataDir, flushIntervalMs: 5000, maintenanceIntervalMs: 60_000 }))
      const spans = Effect.flatMap(SqliteDatabase.SqliteDatabase, (database) =>
        database.read("test", (db) => db.prepare("SELECT span_ms, count(*) FROM samples GROUP BY span_ms ORDER BY span_ms").raw(true).all() as Array<[number, number]>))
      const everything = Effect.flatMap(AnalyticsStore.AnalyticsStore, (store) => store.query({ profile: main, fromMs: 0, toMs: 200 * DAY }))
      yield* TestClock.setTime(now)
      const first = yield* Effect.scoped(
        Effect.gen(function* () {
          const context = yield* Layer.build(onTestClock)
          const store = Context.get(context, AnalyticsStore.AnalyticsStore)
          // A sample a minute: an hour 91 days ago, two hours 40 days ago (a peak in the second), an hour
          // 10 days ago, the last hour.
          for (const [fromMs, minutes] of [[now - 91 * DAY, 60], [now - 40 * DAY, 120], [now - 10 * DAY, 60], [now - HOUR, 60]] as const) {
            for (let m = 0; m < minutes; m++) {
              yield* store.record({ profile: main, atMs: fromMs + m * 60_000, online: m === 77 ? 5000 : 100 + (m % 7), members: 1000 + m, state: m % 10 === 9 ? "stale" : "fresh" })
            }
          }
          const before = AnalyticsStore.summarize((yield* Effect.provide(everything, context)).filter((s) => s.atMs >= now - 90 * DAY))
          assert.deepStrictEqual(yield* Effect.provide(spans, context), [], "nothing written yet")
          yield* TestClock.adjust(60_000)
          assert.deepStrictEqual(yield* Effect.provide(spans, context), [[0, 60], [5 * 60_000, 12], [HOUR, 2]], "raw, 5-minute and hourly rows; the 91-day-old hour gone")
          const after = AnalyticsStore.summarize(yield* Effect.provide(everything, context))
          assert.deepStrictEqual([after.count, after.fresh, after.online?.max, after.online?.min, after.members?.max], [before.count, before.fresh, 5000, 100, before.members?.max])
          assert.closeTo(after.online?.avg ?? NaN, before.online?.avg ?? NaN, 1e-9)
          return before
        })
      )
      // A month later the process starts again: its first maintenance run folds the 5-minute buckets and the
      // (now 31-day-old) raw hour into hourly ones; the buckets read back from the file say the same.
      yield* TestClock.setTime(now + 31 * DAY)
      yield* Effect.scoped(
        Effect.gen(function* () {
          const context = yield* Layer.build(onTestClock)
          yield* TestClock.adjust(60_000)
          assert.deepStrictEqual(yield* Effect.provide(spans, context), [[HOUR, 4]])
          const later = AnalyticsStore.summarize(yield* Effect.provide(everything, context))
          assert.deepStrictEqual([later.count, later.fresh, later.online?.max, later.members?.min], [first.count, first.fresh, 5000, first.members?.min])
          assert.closeTo(later.online?.avg ?? NaN, first.online?.avg ?? NaN, 1e-9)
        })
      )
    }))
})

describe("StoreHealth", () => {
  it.live("sqlite: ready; not ready with the reason while write-behind fails; ready again once it writes", () =>
    Effect.gen(function* () {
      const health = yield* StoreHealth.StoreHealth
      const database = yield* SqliteDatabase.SqliteDatabase
      const snapshots = yield* SnapshotStore.SnapshotStore
      assert.deepInclude(yield* health.check, { store: "sqlite", ready: true })
      // The table goes away underneath the store (a stand-in for a full or broken disk).
      database.db.exec("ALTER TABLE snapshots RENAME TO snapshots_away")
      yield* snapshots.put(snapshotFixture("main"))
      assert.isTrue(Either.isLeft(yield* Effect.either(database.flush)))
      const failing = yield* health.check
      assert.isFalse(failing.ready)
      assert.include(failing.detail, "writing to the database fails")
      database.db.exec("ALTER TABLE snapshots_away RENAME TO snapshots")
      yield* database.flush
      assert.deepInclude(yield* health.check, { store: "sqlite", ready: true })
      assert.strictEqual(Number((database.db.prepare("SELECT count(*) FROM snapshots").raw(true).get() as Array<unknown>)[0]), 1, "the failed batch was kept and written")
    }).pipe(Effect.provide(onFile(Layer.merge(SqliteStoreHealth.layer, SqliteSnapshotStore.layer), freshDir()))))

  it.live("memory: always ready", () =>
    Effect.map(Effect.flatMap(StoreHealth.StoreHealth, (h) => h.check), (check) => assert.deepStrictEqual(check, { store: "memory", ready: true })).pipe(
      Effect.provide(StoreHealth.layerMemory)
    ))
})

describe("reading on demand after a restart (SnapshotStore, ProfileRepository)", () => {
  const both = Layer.merge(SqliteSnapshotStore.layer, SqliteProfileRepository.layer)
  const withBoth = <A, E>(dataDir: string, f: (snapshots: SnapshotStore.SnapshotStore["Type"], profiles: ProfileRepository.ProfileRepository["Type"]) => Effect.Effect<A, E>) =>
    Effect.provide(Effect.flatMap(Effect.zip(SnapshotStore.SnapshotStore, ProfileRepository.ProfileRepository), ([s, p]) => f(s, p)), onFile(both, dataDir))
  const keys = (list: ReadonlyArray<{ readonly key: string }>) => list.map((p) => p.key)

  it.live("what was never read is served, listed, deleted and changed like what was", () =>
    Effect.gen(function* () {
      const dataDir = freshDir()
      yield* withBoth(dataDir, (snapshots, profiles) =>
        Effect.gen(function* () {
          for (const key of ["one", "two"]) yield* snapshots.put(snapshotFixture(key))
          for (const key of ["c", "a", "b", "d"]) yield* profiles.put(profileFixture(key), 0)
        }))
      yield* withBoth(dataDir, (snapshots, profiles) =>
        Effect.gen(function* () {
          yield* snapshots.delete(profileKey("one")) // never read in this process
          assert.strictEqual(Option.getOrThrow(yield* snapshots.get(profileKey("two"))).profile, "two")
          assert.isTrue(Option.isNone(yield* snapshots.get(profileKey("one"))), "deleted before the file knows")
          assert.isTrue(yield* profiles.delete(profileKey("c"), 1))
          yield* profiles.put({ ...profileFixture("d"), label: "changed", version: 2 }, 1)
          assert.deepStrictEqual(keys(yield* profiles.list), ["a", "b", "d"])
          assert.isTrue(Option.isNone(yield* profiles.get(profileKey("c"))))
        }))
      yield* withBoth(dataDir, (snapshots, profiles) =>
        Effect.gen(function* () {
          assert.isTrue(Option.isNone(yield* snapshots.get(profileKey("one"))))
          assert.isTrue(Option.isSome(yield* snapshots.get(profileKey("two"))))
          assert.strictEqual(Option.getOrThrow(yield* profiles.get(profileKey("d"))).label, "changed")
          assert.deepStrictEqual(keys(yield* profiles.list), ["a", "b", "d"])
        }))
    }))
})
