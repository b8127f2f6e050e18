/** The behaviour every `ApiKeyRepository` shares. */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { ApiKeyRepository, ProfileKey } from "../index.js"

export const apiKeyFixture = (id: string, overrides: Partial<ApiKeyRepository.ApiKey> = {}): ApiKeyRepository.ApiKey => ({
  id: ApiKeyRepository.ApiKeyId.make(id),
  name: `key ${id}`,
  hash: `sha256:${id.padEnd(64, "0")}`,
  scopes: ["profiles:read"],
  createdAtMs: 1_000,
  useCount: 0,
  ...overrides
})

export const describeApiKeyRepositoryContract = (
  name: string,
  makeLayer: (namespace: string) => Layer.Layer<ApiKeyRepository.ApiKeyRepository, unknown>
) =>
  describe(`ApiKeyRepository contract: ${name}`, () => {
    it.live("creates, reads, lists oldest first, refuses a taken id, deletes", () =>
      Effect.gen(function* () {
        const repo = yield* ApiKeyRepository.ApiKeyRepository
        const limited = apiKeyFixture("abcdefgh", {
          role: "viewer",
          scopes: ["profiles:read", "metrics:read"],
          profiles: [ProfileKey.make("main")],
          expiresAtMs: 9_000,
          createdAtMs: 2_000
        })
        const admin = apiKeyFixture("zyxwvuts", { scopes: ["*"], createdAtMs: 1_000 })
        yield* repo.create(limited)
        yield* repo.create(admin)
        assert.deepStrictEqual(yield* repo.get(limited.id), Option.some(limited))
        assert.deepStrictEqual((yield* repo.list).map((k) => k.id), [admin.id, limited.id])
        const taken = yield* Effect.flip(repo.create({ ...admin, name: "again" }))
        assert.strictEqual(taken._tag, "Conflict")
        assert.strictEqual(taken._tag === "Conflict" ? taken.reason : undefined, "already_exists")
        assert.isTrue(yield* repo.delete(admin.id))
        assert.isFalse(yield* repo.delete(admin.id))
        assert.isTrue(Option.isNone(yield* repo.get(admin.id)))
      }).pipe(Effect.provide(makeLayer("crud"))))

    it.live("revoke keeps the first revocation time; recordUse counts every use and keeps the latest time", () =>
      Effect.gen(function* () {
        const repo = yield* ApiKeyRepository.ApiKeyRepository
        const key = apiKeyFixture("k1234567")
        yield* repo.create(key)
        yield* Effect.all([repo.recordUse(key.id, 5_000), repo.recordUse(key.id, 7_000), repo.recordUse(key.id, 6_000)], { concurrency: "unbounded" })
        const used = Option.getOrThrow(yield* repo.get(key.id))
        assert.strictEqual(used.useCount, 3)
        assert.strictEqual(used.lastUsedAtMs, 7_000)
        // A batch of uses (what ApiKeys flushes): the count adds up, an older time does not win.
        yield* repo.recordUse(key.id, 6_500, 40)
        const batched = Option.getOrThrow(yield* repo.get(key.id))
        assert.strictEqual(batched.useCount, 43)
        assert.strictEqual(batched.lastUsedAtMs, 7_000)
        const revoked = yield* repo.revoke(key.id, 8_000)
        assert.strictEqual(Option.getOrThrow(revoked).revokedAtMs, 8_000)
        yield* repo.revoke(key.id, 9_000)
        assert.strictEqual(Option.getOrThrow(yield* repo.get(key.id)).revokedAtMs, 8_000)
        assert.strictEqual(ApiKeyRepository.unusableReason(Option.getOrThrow(yield* repo.get(key.id)), 8_000), "revoked")
        assert.isTrue(Option.isNone(yield* repo.revoke(ApiKeyRepository.ApiKeyId.make("unknown1"), 1)))
      }).pipe(Effect.provide(makeLayer("use"))))
  })
