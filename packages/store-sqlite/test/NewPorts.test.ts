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
import { Effect, Either, Layer, Option } from "effect"
import { AlertRulesStore, AnalyticsStore, ApiKeyRepository, AuditLog, SnapshotStore, StoreHealth } from "@guildpulse/core"
import type { ProfileKey } from "@guildpulse/core"
import { SqliteAlertRulesStore, SqliteAnalyticsStore, SqliteApiKeyRepository, SqliteAuditLog, SqliteDatabase, SqliteSnapshotStore, SqliteStoreHealth } from "../src/index.js"
import { snapshotFixture } from "./fixtures/domain.js"

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

  it.live("sqlite: downsampling keeps one sample per profile and whole bucket — averages, the latest state", () =>
    Effect.gen(function* () {
      const store = yield* SqliteAnalyticsStore.SqliteAnalyticsStore
      const main = "main" as ProfileKey
      const hour = 3_600_000
      // Hour 0: 60 samples; hour 1: 60 samples, the last one degraded; hour 2 (not whole before the cut): 10.
      for (let minute = 0; minute < 130; minute++) {
        yield* store.record({ profile: main, atMs: minute * 60_000, online: minute < 60 ? 100 : 200 + (minute % 2), members: 1000 + minute, state: minute === 119 ? "degraded" : "fresh" })
      }
      yield* store.record({ profile: "other" as ProfileKey, atMs: 10, state: "unavailable" })
      const removed = yield* store.downsample(2 * hour + 30 * 60_000, hour)
      assert.strictEqual(removed, 121, "120 samples of main and 1 of other became 3")
      const samples = yield* store.query({ profile: main, fromMs: 0, toMs: 10 * hour })
      assert.strictEqual(samples.length, 2 + 10, JSON.stringify(samples.slice(0, 4)))
      assert.deepStrictEqual(samples[0], { profile: main, atMs: 0, online: 100, members: 1030, state: "fresh" })
      assert.deepStrictEqual(samples[1], { profile: main, atMs: hour, online: 201, members: 1090, state: "degraded" })
      assert.deepStrictEqual(samples.slice(2).map((s) => s.atMs), Array.from({ length: 10 }, (_, i) => 2 * hour + (i) * 60_000), "the unfinished bucket stays raw")
      assert.deepStrictEqual(yield* store.query({ profile: "other" as ProfileKey, fromMs: 0, toMs: hour }), [{ profile: "other" as ProfileKey, atMs: 0, state: "unavailable" }])
      assert.strictEqual(yield* store.downsample(2 * hour + 30 * 60_000, hour), 0, "downsampled buckets are not downsampled again")
    }).pipe(Effect.provide(onFile(SqliteAnalyticsStore.layer(), freshDir()))))
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
