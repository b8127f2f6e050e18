/** The behaviour every `ProfileRepository` shares: optimistic versions, `Conflict`, sorted listing. */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Layer, Option } from "effect"
import { ProfileRepository } from "../index.js"
import type { Profile } from "../index.js"
import { profileFixture, profileKey } from "./fixtures.js"
import type { ContractOptions } from "./SnapshotStoreContract.js"

const next = (profile: Profile): Profile => ({ ...profile, label: `${profile.label}+`, version: profile.version + 1 })

export const describeProfileRepositoryContract = (
  name: string,
  makeLayer: (namespace: string) => Layer.Layer<ProfileRepository.ProfileRepository, unknown>,
  options: ContractOptions
) =>
  describe(`ProfileRepository contract: ${name}`, () => {
    let seq = 0
    const fresh = () => makeLayer(`prof${++seq}`)

    it.live("creates with expected version 0 and reads back the same profile (brands decoded)", () =>
      Effect.gen(function* () {
        const repo = yield* ProfileRepository.ProfileRepository
        assert.isTrue(Option.isNone(yield* repo.get(profileKey("main"))))
        assert.deepStrictEqual(yield* repo.list, [])
        const profile = { ...profileFixture("main"), display: { theme: "dark" as const, colors: { accent: "#5865f2" } } }
        yield* repo.put(profile, 0)
        assert.deepStrictEqual(Option.getOrThrow(yield* repo.get(profileKey("main"))), profile)
      }).pipe(Effect.provide(fresh())))

    it.live("refuses to create twice and refuses a stale version with Conflict", () =>
      Effect.gen(function* () {
        const repo = yield* ProfileRepository.ProfileRepository
        const v1 = profileFixture("main")
        yield* repo.put(v1, 0)
        const again = yield* Effect.flip(repo.put(v1, 0))
        assert.strictEqual(again._tag, "Conflict")
        if (again._tag === "Conflict") {
          assert.strictEqual(again.reason, "already_exists")
          assert.strictEqual(again.actualVersion, 1)
        }
        const v2 = next(v1)
        yield* repo.put(v2, 1)
        const stale = yield* Effect.flip(repo.put(next(v1), 1))
        assert.strictEqual(stale._tag, "Conflict")
        if (stale._tag === "Conflict") {
          assert.strictEqual(stale.reason, "version_mismatch")
          assert.strictEqual(stale.expectedVersion, 1)
          assert.strictEqual(stale.actualVersion, 2)
        }
        assert.strictEqual(Option.getOrThrow(yield* repo.get(profileKey("main"))).version, 2)
      }).pipe(Effect.provide(fresh())))

    it.live("lists profiles sorted by key", () =>
      Effect.gen(function* () {
        const repo = yield* ProfileRepository.ProfileRepository
        for (const key of ["zeta", "alpha", "mid-1", "123"]) yield* repo.put(profileFixture(key), 0)
        assert.deepStrictEqual((yield* repo.list).map((p) => p.key), ["123", "alpha", "mid-1", "zeta"])
      }).pipe(Effect.provide(fresh())))

    it.live("deletes: unknown → false, stale version → Conflict, right version or none → true", () =>
      Effect.gen(function* () {
        const repo = yield* ProfileRepository.ProfileRepository
        assert.isFalse(yield* repo.delete(profileKey("nope")))
        yield* repo.put(profileFixture("a"), 0)
        yield* repo.put(profileFixture("b"), 0)
        const conflict = yield* Effect.flip(repo.delete(profileKey("a"), 7))
        assert.strictEqual(conflict._tag, "Conflict")
        assert.isTrue(yield* repo.delete(profileKey("a"), 1))
        assert.isTrue(yield* repo.delete(profileKey("b")))
        assert.isTrue(Option.isNone(yield* repo.get(profileKey("a"))))
        assert.deepStrictEqual(yield* repo.list, [])
        yield* repo.put(profileFixture("a"), 0)
      }).pipe(Effect.provide(fresh())))

    it.live("of concurrent writers expecting the same version, exactly one wins", () =>
      Effect.gen(function* () {
        const repo = yield* ProfileRepository.ProfileRepository
        const v1 = profileFixture("main")
        yield* repo.put(v1, 0)
        const results = yield* Effect.forEach(
          Array.from({ length: 12 }, (_, i) => ({ ...v1, label: `writer ${i}`, version: 2 })),
          (p) => Effect.either(repo.put(p, 1)),
          { concurrency: "unbounded" }
        )
        assert.strictEqual(results.filter(Either.isRight).length, 1)
        assert.isTrue(results.filter(Either.isLeft).every((r) => r.left._tag === "Conflict"))
      }).pipe(Effect.provide(fresh())))

    if (options.shared) {
      it.live("survives a restart", () =>
        Effect.gen(function* () {
          const namespace = `prof-restart${++seq}`
          const profile = profileFixture("main")
          yield* Effect.provide(Effect.flatMap(ProfileRepository.ProfileRepository, (r) => r.put(profile, 0)), makeLayer(namespace))
          const read = yield* Effect.provide(Effect.flatMap(ProfileRepository.ProfileRepository, (r) => r.get(profileKey("main"))), makeLayer(namespace))
          assert.deepStrictEqual(Option.getOrThrow(read), profile)
        }))
    }
  })
