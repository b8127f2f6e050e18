/**
 * What only the Redis stores do: the key layout and prefix isolation, decoding what comes back, cache
 * invalidation between instances, capped streams, encryption at rest with key rotation, scripts surviving a
 * `SCRIPT FLUSH`, fencing surviving a lost counter.
 */
import { assert, describe, it } from "@effect/vitest"
import { Config, ConfigProvider, Effect, Layer, Option, Redacted } from "effect"
import { Redis } from "ioredis"
import { EventLog, Lock, ProfileKey, ProfileRepository, SecretVault, SnapshotStore } from "@guildpulse/core"
import { RedisConnection, RedisEventLog, RedisSecretVault, RedisStores } from "../src/index.js"
import { profileFixture, snapshotFixture, profileKey } from "./fixtures/domain.js"
import { keyA, onlyNewKey, rotatedMasterKeys, testMasterKeys } from "./fixtures/keys.js"
import { uniquePrefix, useRedisServer } from "./harness/useRedisServer.js"
import { waitFor } from "./harness/waitFor.js"

const server = useRedisServer()

/** A plain client to look at what the stores wrote. */
const raw = Effect.acquireRelease(
  Effect.sync(() => new Redis(server().url, { lazyConnect: false })),
  (client) => Effect.promise(() => client.quit().catch(() => "closed"))
)

const stores = (prefix: string, extra: Partial<RedisStores.RedisStoresOptions> = {}) =>
  RedisStores.layer({ url: server().url, prefix, masterKeys: testMasterKeys, ...extra })

describe("Redis stores", () => {
  it.scopedLive("write under their prefix, with the documented key layout, and never see another prefix", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("layout")
      const client = yield* raw
      yield* Effect.gen(function* () {
        yield* (yield* SnapshotStore.SnapshotStore).put(snapshotFixture("main"))
        yield* (yield* ProfileRepository.ProfileRepository).put(profileFixture("main"), 0)
        yield* (yield* Lock.Lock).acquire("refresh:main", 5000)
        yield* (yield* EventLog.EventLog).emit({ level: "info", type: "refresh.succeeded", profile: "main", message: "ok" })
        yield* (yield* SecretVault.SecretVault).put(ProfileKey.make("main"), Redacted.make("sandbox-token-xyz"))
      }).pipe(Effect.provide(stores(prefix)))
      const keys = (yield* Effect.promise(() => client.keys(`${prefix}*`))).sort()
      assert.includeMembers(keys, [
        `${prefix}epoch`,
        `${prefix}snapshot:main`,
        `${prefix}profiles`,
        `${prefix}profiles:version`,
        `${prefix}lock:refresh:main`,
        `${prefix}fence:refresh:main`,
        `${prefix}events`,
        `${prefix}events:profile:main`,
        `${prefix}secrets`
      ])
      const other = yield* Effect.gen(function* () {
        return {
          snapshot: yield* (yield* SnapshotStore.SnapshotStore).get(profileKey("main")),
          profiles: yield* (yield* ProfileRepository.ProfileRepository).list,
          lock: yield* (yield* Lock.Lock).acquire("refresh:main", 5000),
          events: yield* (yield* EventLog.EventLog).query({})
        }
      }).pipe(Effect.provide(stores(uniquePrefix("layout-other"))))
      assert.isTrue(Option.isNone(other.snapshot))
      assert.deepStrictEqual(other.profiles, [])
      assert.isTrue(Option.isSome(other.lock), "another deployment's lock is another lock")
      assert.deepStrictEqual(other.events.events, [])
    }))

  it.scopedLive("decode what they read: a broken profile is a corrupt-store error, a broken snapshot is ignored", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("corrupt")
      const client = yield* raw
      yield* Effect.promise(() =>
        client
          .multi()
          .hset(`${prefix}profiles`, "bad", JSON.stringify({ ...profileFixture("bad"), guildId: "not-a-snowflake" }))
          .hset(`${prefix}profiles:version`, "bad", "1")
          .set(`${prefix}snapshot:bad`, "{not json")
          .exec()
      )
      yield* Effect.gen(function* () {
        const error = yield* Effect.flip((yield* ProfileRepository.ProfileRepository).get(profileKey("bad")))
        assert.strictEqual(error._tag, "StoreError")
        if (error._tag === "StoreError") assert.strictEqual(error.reason, "corrupt")
        assert.isTrue(Option.isNone(yield* (yield* SnapshotStore.SnapshotStore).get(profileKey("bad"))))
      }).pipe(Effect.provide(stores(prefix)))
    }))

  it.scopedLive("invalidate other instances' read caches over pub/sub (a long TTL does not serve stale data)", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("cache")
      const a = yield* Layer.build(stores(prefix, { localCacheTtlMs: 60_000 }))
      const b = yield* Layer.build(stores(prefix, { localCacheTtlMs: 60_000 }))
      const snapshotsA = Effect.provide(SnapshotStore.SnapshotStore, a)
      const snapshotsB = Effect.provide(SnapshotStore.SnapshotStore, b)
      const profilesA = Effect.provide(ProfileRepository.ProfileRepository, a)
      const profilesB = Effect.provide(ProfileRepository.ProfileRepository, b)
      yield* Effect.flatMap(snapshotsA, (s) => s.put(snapshotFixture("main", 1000)))
      yield* Effect.flatMap(profilesA, (r) => r.put(profileFixture("main"), 0))
      assert.strictEqual(Option.getOrThrow(yield* Effect.flatMap(snapshotsB, (s) => s.get(profileKey("main")))).attemptedAtMs, 1000)
      assert.strictEqual(Option.getOrThrow(yield* Effect.flatMap(profilesB, (r) => r.get(profileKey("main")))).version, 1)
      yield* Effect.flatMap(snapshotsA, (s) => s.put(snapshotFixture("main", 2000)))
      yield* Effect.flatMap(profilesA, (r) => r.put({ ...profileFixture("main"), version: 2 }, 1))
      // The pub/sub message is the event; the safety bound (30 s) is half the cache TTL.
      yield* waitFor(
        "instance B sees A's writes before its cache TTL",
        Effect.gen(function* () {
          const snapshot = Option.getOrThrow(yield* Effect.flatMap(snapshotsB, (s) => s.get(profileKey("main"))))
          const profile = Option.getOrThrow(yield* Effect.flatMap(profilesB, (r) => r.get(profileKey("main"))))
          return snapshot.attemptedAtMs === 2000 && profile.version === 2
        }),
        30_000
      )
    }))

  it.scopedLive("cap the global stream and keep a per-profile stream that pages completely", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("stream")
      const client = yield* raw
      const log = yield* Effect.provide(
        EventLog.EventLog,
        yield* Layer.build(RedisEventLog.layer({ capacity: 500, profileCapacity: 300 }).pipe(Layer.provide(RedisConnection.layer({ url: server().url, prefix }))))
      )
      for (let i = 0; i < 3000; i++) {
        yield* log.emit({ level: "info", type: "upstream.request", profile: i % 20 === 0 ? "rare" : "busy", message: `e${i}` })
      }
      const globalLength = yield* Effect.promise(() => client.xlen(`${prefix}events`))
      assert.isAtLeast(globalLength, 500)
      assert.isAtMost(globalLength, 700, "MAXLEN ~ trims to about the capacity")
      // 150 'rare' events: all still in the profile stream though most left the global one.
      const rare: Array<string> = []
      let cursor: string | undefined
      for (let page = 0; page < 20; page++) {
        const result: EventLog.EventPage = yield* log.query({ profile: profileKey("rare"), limit: 40, ...(cursor !== undefined ? { cursor } : {}) })
        rare.push(...result.events.map((e) => e.message))
        if (Option.isNone(result.nextCursor)) break
        cursor = result.nextCursor.value
      }
      assert.strictEqual(rare.length, 150)
      assert.strictEqual(new Set(rare).size, 150)
      assert.strictEqual(rare[0], "e2980")
      assert.strictEqual(rare.at(-1), "e0")
      const invalidCursor = yield* log.query({ cursor: "'; FLUSHALL", limit: 1 })
      assert.strictEqual(invalidCursor.events.length, 1, "a malformed cursor is ignored, not sent to Redis")
    }))

  it.scopedLive("seal tokens with AES-256-GCM, bound to the profile, and rotate keys", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("vault")
      const client = yield* raw
      const connection = RedisConnection.layer({ url: server().url, prefix })
      const vaultWith = (keys: Redacted.Redacted<string>) =>
        Effect.flatMap(Layer.build(RedisSecretVault.layer(keys).pipe(Layer.provide(connection))), (ctx) => Effect.provide(RedisSecretVault.RedisSecretVault, ctx))
      const v1 = yield* vaultWith(testMasterKeys)
      yield* v1.put(ProfileKey.make("main"), Redacted.make("sandbox-token-main"))
      const stored = yield* Effect.promise(() => client.hget(`${prefix}secrets`, "main"))
      assert.isString(stored)
      assert.notInclude(stored!, "sandbox-token")
      assert.notInclude(stored!, keyA)
      assert.strictEqual(JSON.parse(stored!).kid, "k1")

      // Copied onto another profile, the ciphertext does not open.
      yield* Effect.promise(() => client.hset(`${prefix}secrets`, "thief", stored!))
      const stolen = yield* Effect.flip(v1.get(ProfileKey.make("thief")))
      assert.strictEqual(stolen.reason, "tampered")
      assert.notInclude(stolen.message, "sandbox-token")
      yield* v1.remove(ProfileKey.make("thief"))

      // Rotation: the new ring reads the old ciphertext, re-seals it, and then the old key can go.
      const v2 = yield* vaultWith(rotatedMasterKeys)
      assert.strictEqual(Redacted.value(Option.getOrThrow(yield* v2.get(ProfileKey.make("main")))), "sandbox-token-main")
      assert.deepStrictEqual(yield* v2.reencrypt, { rewritten: 1, unchanged: 0, unreadable: [] })
      assert.deepStrictEqual(yield* v2.reencrypt, { rewritten: 0, unchanged: 1, unreadable: [] })
      assert.strictEqual(JSON.parse((yield* Effect.promise(() => client.hget(`${prefix}secrets`, "main")))!).kid, "k2")
      const v3 = yield* vaultWith(onlyNewKey)
      assert.strictEqual(Redacted.value(Option.getOrThrow(yield* v3.get(ProfileKey.make("main")))), "sandbox-token-main")

      // A malformed keyring is a configuration error.
      const bad = yield* Effect.flip(Layer.build(RedisSecretVault.layer(Redacted.make("k1:dG9vLXNob3J0"))).pipe(Effect.provide(connection)))
      assert.strictEqual(bad._op, "InvalidData")
    }))

  it.scopedLive("keep working after SCRIPT FLUSH, and fencing keeps increasing after the counter is lost", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("scripts")
      const client = yield* raw
      const lock = yield* Effect.provide(Lock.Lock, yield* Layer.build(stores(prefix)))
      const first = Option.getOrThrow(yield* lock.acquire("k", 5000))
      yield* lock.release(first)
      yield* Effect.promise(() => client.script("FLUSH"))
      yield* Effect.promise(() => client.del(`${prefix}fence:k`))
      const second = Option.getOrThrow(yield* lock.acquire("k", 5000))
      assert.isAbove(second.fencing, first.fencing)
    }))

  it.scopedLive("fence snapshot puts across instances: a refresher whose lease expired cannot overwrite the new holder's snapshot", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("fenced")
      const client = yield* raw
      const a = yield* Layer.build(stores(prefix, { localCacheTtlMs: 60_000 }))
      const b = yield* Layer.build(stores(prefix, { localCacheTtlMs: 60_000 }))
      const lockA = yield* Effect.provide(Lock.Lock, a)
      const lockB = yield* Effect.provide(Lock.Lock, b)
      const storeA = yield* Effect.provide(SnapshotStore.SnapshotStore, a)
      const storeB = yield* Effect.provide(SnapshotStore.SnapshotStore, b)
      const stale = Option.getOrThrow(yield* lockA.acquire("refresh:main", 50))
      let current: Lock.Lease | undefined
      yield* waitFor("A's lease to expire", Effect.map(lockB.acquire("refresh:main", 5000), (lease) => {
        current = Option.getOrUndefined(lease)
        return current !== undefined
      }))
      const fencing = current!.fencing
      assert.isAbove(fencing, stale.fencing)
      const newer = snapshotFixture("main", 2000)
      assert.strictEqual(yield* storeB.put(newer, { fencing }), "stored")
      assert.strictEqual(yield* storeA.put(snapshotFixture("main", 1000), { fencing: stale.fencing }), "fenced")
      assert.strictEqual(yield* Effect.promise(() => client.get(`${prefix}snapfence:main`)), String(fencing))
      assert.deepStrictEqual(Option.getOrThrow(yield* storeA.get(profileKey("main"))), newer, "A reads the newer snapshot, not its own")
      assert.deepStrictEqual(Option.getOrThrow(yield* storeB.get(profileKey("main"))), newer)
    }))

  it.scopedLive("read REDIS_URL, GUILDPULSE_REDIS_PREFIX and GUILDPULSE_MASTER_KEYS from the environment", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("config")
      const client = yield* raw
      const provider = ConfigProvider.fromMap(
        new Map([
          ["REDIS_URL", server().url],
          ["GUILDPULSE_REDIS_PREFIX", prefix],
          ["GUILDPULSE_MASTER_KEYS", Redacted.value(testMasterKeys)]
        ])
      )
      const context = yield* Layer.build(RedisStores.layerConfig()).pipe(Effect.withConfigProvider(provider))
      yield* Effect.flatMap(Effect.provide(SecretVault.SecretVault, context), (vault) => vault.put(ProfileKey.make("main"), Redacted.make("sandbox-token-config")))
      const stored = yield* Effect.promise(() => client.hget(`${prefix}secrets`, "main"))
      assert.strictEqual(JSON.parse(stored!).kid, "k1", "sealed in Redis under the configured prefix")
      const missing = yield* Effect.flip(Layer.build(RedisStores.layerConfig()).pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map()))))
      assert.include(String(missing), "REDIS_URL", "a missing REDIS_URL is a configuration error naming it")
    }))

  it.scopedLive("layerConfig takes a record of Configs (Config.Wrap): the environment's REDIS_URL spread, a code prefix", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("wrap")
      const client = yield* raw
      const provider = ConfigProvider.fromMap(new Map([["REDIS_URL", server().url], ["GUILDPULSE_REDIS_PREFIX", "ignored:"]]))
      const layer = RedisStores.layerConfig({
        ...RedisStores.fromEnv,
        prefix: Config.succeed(prefix),
        masterKeys: Config.succeed(testMasterKeys)
      })
      const context = yield* Layer.build(layer).pipe(Effect.withConfigProvider(provider))
      yield* Effect.flatMap(Effect.provide(SecretVault.SecretVault, context), (vault) => vault.put(ProfileKey.make("main"), Redacted.make("sandbox-token-wrap")))
      const stored = yield* Effect.promise(() => client.hget(`${prefix}secrets`, "main"))
      assert.strictEqual(JSON.parse(stored!).kid, "k1", "sealed in Redis under the prefix given in code")
    }))
})
