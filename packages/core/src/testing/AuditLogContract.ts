/** The behaviour every `AuditLog` shares. */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { AuditLog, ProfileKey } from "../index.js"

const main = ProfileKey.make("main")
const other = ProfileKey.make("other")

export const describeAuditLogContract = (name: string, makeLayer: (namespace: string) => Layer.Layer<AuditLog.AuditLog, unknown>) =>
  describe(`AuditLog contract: ${name}`, () => {
    it.effect("appends with increasing ids; queries newest first with filters and pages with a cursor", () =>
      Effect.gen(function* () {
        const log = yield* AuditLog.AuditLog
        const first = yield* log.append({
          atMs: 1_000,
          keyId: "admin",
          action: "profile.create",
          profile: main,
          ip: "203.0.113.7",
          after: { label: "Main", refresh: { ttlSeconds: 60 } }
        })
        yield* log.append({ atMs: 2_000, keyId: "ci", action: "profile.update", profile: main, before: { label: "Main" }, after: { label: "New" } })
        yield* log.append({ atMs: 3_000, keyId: "admin", action: "token.set", profile: other })
        yield* log.append({ atMs: 4_000, keyId: "admin", action: "key.revoke" })
        assert.deepStrictEqual(first, {
          id: first.id,
          atMs: 1_000,
          keyId: "admin",
          action: "profile.create",
          profile: main,
          ip: "203.0.113.7",
          after: { label: "Main", refresh: { ttlSeconds: 60 } }
        })

        const all = yield* log.query({})
        assert.deepStrictEqual(all.entries.map((e) => e.atMs), [4_000, 3_000, 2_000, 1_000])
        assert.isTrue(Option.isNone(all.nextCursor))
        assert.deepStrictEqual((yield* log.query({ keyId: "admin" })).entries.map((e) => e.action), ["key.revoke", "token.set", "profile.create"])
        assert.deepStrictEqual((yield* log.query({ action: "profile" })).entries.map((e) => e.action), ["profile.update", "profile.create"])
        assert.deepStrictEqual((yield* log.query({ profile: main, sinceMs: 1_500 })).entries.map((e) => e.atMs), [2_000])
        assert.deepStrictEqual((yield* log.query({ untilMs: 2_000 })).entries.map((e) => e.atMs), [2_000, 1_000])

        const page1 = yield* log.query({ limit: 3 })
        assert.deepStrictEqual(page1.entries.map((e) => e.atMs), [4_000, 3_000, 2_000])
        const page2 = yield* log.query({ limit: 3, cursor: Option.getOrThrow(page1.nextCursor) })
        assert.deepStrictEqual(page2.entries.map((e) => e.atMs), [1_000])
        assert.isTrue(Option.isNone(page2.nextCursor))
      }).pipe(Effect.provide(makeLayer("query"))))

    it.effect("prune drops entries older than the cut and says how many went", () =>
      Effect.gen(function* () {
        const log = yield* AuditLog.AuditLog
        for (const atMs of [1_000, 2_000, 3_000]) yield* log.append({ atMs, keyId: "admin", action: "profile.update", profile: main })
        assert.strictEqual(yield* log.prune(2_500), 2)
        assert.deepStrictEqual((yield* log.query({})).entries.map((e) => e.atMs), [3_000])
      }).pipe(Effect.provide(makeLayer("prune"))))
  })
