import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Option, Redacted, TestClock } from "effect"
import { ApiKeyCrypto, ApiKeyRepository, ApiKeys } from "../src/index.js"

const T0 = Date.UTC(2026, 5, 1)
const layer = ApiKeys.layer({ cacheTtlMs: 10_000 }).pipe(
  Layer.provideMerge(Layer.mergeAll(ApiKeyRepository.layerMemory(), ApiKeyCrypto.layerTest))
)

const failureOf = <A, E>(exit: Exit.Exit<A, E>): unknown => (Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined)

describe("ApiKeys", () => {
  it.effect("issues gp_<id>_<secret> once, stores only a hash, verifies it with the role's scopes", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const keys = yield* ApiKeys.ApiKeys
      const { key, secret } = yield* keys.create({ name: "grafana", role: "viewer", profiles: ["main"] })
      const text = Redacted.value(secret)
      assert.match(text, /^gp_[A-Za-z0-9]{16}_[A-Za-z0-9]{40}$/)
      assert.isTrue(text.startsWith(`gp_${key.id}_`))
      assert.isFalse("hash" in key)
      const stored = Option.getOrThrow(yield* (yield* ApiKeyRepository.ApiKeyRepository).get(key.id))
      assert.isFalse(stored.hash.includes(text.slice(20)))
      const verified = yield* keys.verify(secret)
      assert.deepStrictEqual(verified, { id: key.id, scopes: [...ApiKeys.roles.viewer], profiles: ["main"] })
      const listed = yield* keys.list()
      assert.strictEqual(listed[0]?.useCount, 1)
      assert.strictEqual(listed[0]?.lastUsedAtMs, T0)
    }).pipe(Effect.provide(layer)))

  it.effect("a wrong secret, an unknown id or garbage is invalid_credentials; expired and revoked say so", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const keys = yield* ApiKeys.ApiKeys
      const { key, secret } = yield* keys.create({ name: "a", scopes: ["events:read"], expiresAt: "2026-06-02T00:00:00Z" })
      yield* keys.verify(secret) // cached now
      const wrong = Redacted.make(`gp_${key.id}_${"x".repeat(40)}`)
      assert.deepStrictEqual(failureOf(yield* Effect.exit(keys.verify(wrong)))?.constructor.name, "Unauthorized")
      assert.strictEqual((failureOf(yield* Effect.exit(keys.verify(wrong))) as { reason: string }).reason, "invalid_credentials")
      assert.strictEqual((failureOf(yield* Effect.exit(keys.verify(Redacted.make(`gp_AAAAAAAAAAAAAAAA_${"y".repeat(40)}`)))) as { reason: string }).reason, "invalid_credentials")
      assert.strictEqual((failureOf(yield* Effect.exit(keys.verify(Redacted.make("not-a-key")))) as { reason: string }).reason, "invalid_credentials")
      yield* TestClock.setTime(Date.UTC(2026, 5, 2))
      assert.strictEqual((failureOf(yield* Effect.exit(keys.verify(secret))) as { reason: string }).reason, "expired")
      const other = yield* keys.create({ name: "b", role: "editor" })
      yield* keys.verify(other.secret)
      assert.isTrue(Option.isSome(yield* keys.revoke(other.key.id)))
      // Revocation applies at once, although the key was cached.
      assert.strictEqual((failureOf(yield* Effect.exit(keys.verify(other.secret))) as { reason: string }).reason, "revoked")
    }).pipe(Effect.provide(layer)))

  it.effect("validates input naming the field; refuses an expiry in the past and an empty scope set", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const keys = yield* ApiKeys.ApiKeys
      const fields = (exit: Exit.Exit<unknown, unknown>) => (failureOf(exit) as { issues: Array<{ field: string }> }).issues.map((i) => i.field)
      assert.deepStrictEqual(fields(yield* Effect.exit(keys.create({ name: "x", scopes: ["nope"] }))), ["scopes.0"])
      assert.deepStrictEqual(fields(yield* Effect.exit(keys.create({ name: "x" }))), ["scopes"])
      assert.deepStrictEqual(fields(yield* Effect.exit(keys.create({ name: "x", role: "viewer", expiresAt: "2026-01-01T00:00:00Z" }))), ["expiresAt"])
      assert.deepStrictEqual(fields(yield* Effect.exit(keys.create({ name: "x", role: "viewer", profiles: ["Bad Key"] }))), ["profiles.0"])
    }).pipe(Effect.provide(layer)))

  it.effect("an issuer cannot grant more than it has, and only sees and revokes keys it covers", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const keys = yield* ApiKeys.ApiKeys
      const issuer: ApiKeys.Grant = { scopes: new Set(["keys:admin", "profiles:read"]), profiles: new Set(["main"]) }
      const global = yield* keys.create({ name: "global", role: "admin" })
      assert.strictEqual((failureOf(yield* Effect.exit(keys.create({ name: "x", role: "editor", profiles: ["main"] }, issuer))) as { reason: string }).reason, "missing_scope")
      assert.strictEqual((failureOf(yield* Effect.exit(keys.create({ name: "x", scopes: ["profiles:read"] }, issuer))) as { reason: string }).reason, "profile_not_allowed")
      assert.strictEqual((failureOf(yield* Effect.exit(keys.create({ name: "x", scopes: ["profiles:read"], profiles: ["main", "other"] }, issuer))) as { reason: string }).reason, "profile_not_allowed")
      const mine = yield* keys.create({ name: "mine", scopes: ["profiles:read"], profiles: ["main"] }, issuer)
      assert.deepStrictEqual((yield* keys.list(issuer)).map((k) => k.id), [mine.key.id])
      assert.isTrue(Option.isNone(yield* keys.revoke(global.key.id, issuer)))
      yield* keys.verify(global.secret)
      assert.isTrue(Option.isSome(yield* keys.revoke(mine.key.id, issuer)))
    }).pipe(Effect.provide(layer)))

  it.effect("a cached key is read again from the store after the cache TTL (revocation by another process shows)", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const keys = yield* ApiKeys.ApiKeys
      const repo = yield* ApiKeyRepository.ApiKeyRepository
      const { key, secret } = yield* keys.create({ name: "a", role: "viewer" })
      yield* keys.verify(secret)
      yield* repo.revoke(key.id, T0 + 1) // behind the use case's back, as another instance would
      yield* TestClock.setTime(T0 + 5_000)
      yield* keys.verify(secret) // still cached
      yield* TestClock.setTime(T0 + 10_001)
      assert.strictEqual((failureOf(yield* Effect.exit(keys.verify(secret))) as { reason: string }).reason, "revoked")
    }).pipe(Effect.provide(layer)))

  it.effect("past the TTL a cached key is read again but not hashed again (no slow-hash stampede)", () => {
    let verifies = 0
    const counting = Layer.effect(
      ApiKeyCrypto.ApiKeyCrypto,
      Effect.map(ApiKeyCrypto.ApiKeyCrypto, (c) => ({ ...c, verify: (s: Redacted.Redacted<string>, h: string) => Effect.tap(c.verify(s, h), () => void (verifies += 1)) }))
    ).pipe(Layer.provide(ApiKeyCrypto.layerTest))
    return Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const keys = yield* ApiKeys.ApiKeys
      const { secret } = yield* keys.create({ name: "a", role: "viewer" })
      yield* keys.verify(secret)
      yield* TestClock.setTime(T0 + 60_000)
      yield* keys.verify(secret)
      yield* keys.verify(secret)
      assert.strictEqual(verifies, 1)
    }).pipe(Effect.provide(ApiKeys.layer({ cacheTtlMs: 10_000 }).pipe(Layer.provideMerge(Layer.mergeAll(ApiKeyRepository.layerMemory(), counting)))))
  })

  it.effect("uses are batched: no store write per request, one per key at the first use after the interval, before a listing and at shutdown", () => {
    const writes: Array<{ id: string; atMs: number; count: number | undefined }> = []
    const counting = Layer.effect(
      ApiKeyRepository.ApiKeyRepository,
      Effect.map(ApiKeyRepository.makeMemory(), (r) => ({
        ...r,
        recordUse: (id: ApiKeyRepository.ApiKeyId, atMs: number, count?: number) =>
          Effect.zipRight(Effect.sync(() => void writes.push({ id, atMs, count })), r.recordUse(id, atMs, count))
      }))
    )
    const repoLayer = Layer.fresh(counting)
    return Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const stored = yield* Effect.scoped(
        Effect.gen(function*() {
          const context = yield* Layer.build(ApiKeys.layer({ cacheTtlMs: 60_000, flushEveryMs: 5_000 }).pipe(Layer.provideMerge(Layer.mergeAll(repoLayer, ApiKeyCrypto.layerTest))))
          const keys = Context.get(context, ApiKeys.ApiKeys)
          const repo = Context.get(context, ApiKeyRepository.ApiKeyRepository)
          const { key, secret } = yield* keys.create({ name: "a", role: "viewer" })
          for (let i = 0; i < 10; i++) yield* keys.verify(secret)
          assert.deepStrictEqual(writes, [], "nothing written within the interval")
          assert.strictEqual(Option.getOrThrow(yield* repo.get(key.id)).useCount, 0)
          yield* TestClock.setTime(T0 + 5_000)
          yield* keys.verify(secret)
          assert.deepStrictEqual(writes, [{ id: key.id, atMs: T0 + 5_000, count: 11 }], "one write for eleven uses")
          yield* TestClock.setTime(T0 + 6_000)
          yield* keys.verify(secret)
          yield* keys.verify(secret)
          assert.strictEqual((yield* keys.list()).find((k) => k.id === key.id)?.useCount, 13, "a listing writes what is pending first")
          yield* TestClock.setTime(T0 + 7_000)
          yield* keys.verify(secret)
          return { repo, id: key.id }
        })
      )
      // The scope closed (shutdown): the last use was written.
      const after = Option.getOrThrow(yield* stored.repo.get(stored.id))
      assert.strictEqual(after.useCount, 14)
      assert.strictEqual(after.lastUsedAtMs, T0 + 7_000)
      assert.strictEqual(writes.length, 3)
    })
  })

  it.effect("verifyCached: a cached, usable key without an effect (its use counted); anything else defers to verify", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const keys = yield* ApiKeys.ApiKeys
      const { key, secret } = yield* keys.create({ name: "a", role: "viewer", expiresAt: "2026-06-01T00:00:30Z" })
      assert.isUndefined(keys.verifyCached(secret, T0), "not verified yet: the slow path first")
      const verified = yield* keys.verify(secret)
      assert.strictEqual(keys.verifyCached(secret, T0 + 1), verified)
      assert.isUndefined(keys.verifyCached(Redacted.make(`gp_${key.id}_${"x".repeat(40)}`), T0 + 1), "a wrong secret")
      assert.isUndefined(keys.verifyCached(Redacted.make("garbage"), T0 + 1))
      assert.isUndefined(keys.verifyCached(secret, T0 + 5_000), "a flush is due: verify writes it")
      yield* TestClock.setTime(T0 + 5_000)
      yield* keys.verify(secret)
      assert.strictEqual((yield* keys.list())[0]?.useCount, 3)
      assert.isUndefined(keys.verifyCached(secret, T0 + 30_000), "expired")
      assert.isDefined(keys.verifyCached(secret, T0 + 6_000))
      yield* keys.revoke(key.id)
      assert.isUndefined(keys.verifyCached(secret, T0 + 6_001), "revoked here: refused at once")
    }).pipe(Effect.provide(layer)))

  it("constantTimeEqual", () => {
    assert.isTrue(ApiKeyCrypto.constantTimeEqual("abc", "abc"))
    assert.isFalse(ApiKeyCrypto.constantTimeEqual("abc", "abd"))
    assert.isFalse(ApiKeyCrypto.constantTimeEqual("abc", "ab"))
  })
})
