/**
 * The `Profiles` use case: create, replace, update and delete profiles with validation of untrusted input,
 * optimistic versions, events, and the scheduler kept in step.
 */
import { Clock, Context, Effect, Layer, Option } from "effect"
import { CircuitBreaker } from "./CircuitBreaker.js"
import { ProfileNotFound, ValidationError, type Conflict, type StoreError } from "./Errors.js"
import { EventLog } from "./EventLog.js"
import { ProfileKey } from "./Identifiers.js"
import { applyPatch, fromInput, Profile, ProfileInput, ProfilePatch } from "./Profile.js"
import { ProfileRepository } from "./ProfileRepository.js"
import { RefreshScheduler } from "./RefreshScheduler.js"
import { SnapshotStore } from "./SnapshotStore.js"
import { decode } from "./Validation.js"
import { Schema } from "effect"

export class Profiles extends Context.Tag("@guildpulse/core/Profiles")<
  Profiles,
  {
    readonly list: Effect.Effect<ReadonlyArray<Profile>, StoreError>
    readonly get: (key: unknown) => Effect.Effect<Profile, ProfileNotFound | ValidationError | StoreError>
    readonly create: (input: unknown) => Effect.Effect<Profile, ValidationError | Conflict | StoreError>
    /**
     * Creates or replaces (PUT semantics); `expectedVersion` guards against lost updates (`0`: create only).
     */
    readonly put: (
      key: unknown,
      input: unknown,
      expectedVersion?: number
    ) => Effect.Effect<{ readonly profile: Profile; readonly created: boolean }, ValidationError | Conflict | StoreError>
    readonly update: (
      key: unknown,
      patch: unknown,
      expectedVersion?: number
    ) => Effect.Effect<Profile, ProfileNotFound | ValidationError | Conflict | StoreError>
    readonly delete: (key: unknown, expectedVersion?: number) => Effect.Effect<void, ProfileNotFound | ValidationError | Conflict | StoreError>
  }
>() {}

const decodeKey = decode(ProfileKey, "profile")
const decodeInput = decode(ProfileInput)
const decodePatch = decode(ProfilePatch)
const decodeVersion = decode(Schema.UndefinedOr(Schema.Int.pipe(Schema.nonNegative())), "expectedVersion")

export const make = Effect.gen(function* () {
  const repository = yield* ProfileRepository
  const events = yield* EventLog
  const scheduler = yield* RefreshScheduler
  const snapshots = yield* SnapshotStore
  const breaker = yield* CircuitBreaker
  const nowIso = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms).toISOString())

  const load = (key: string) =>
    Effect.flatMap(repository.get(key), Option.match({
      onNone: () => Effect.fail(new ProfileNotFound({ profile: key })),
      onSome: Effect.succeed
    }))

  const afterWrite = (profile: Profile, type: "profile.created" | "profile.updated") =>
    Effect.zipRight(
      events.emit({ level: "info", type, profile: profile.key, message: `${type === "profile.created" ? "created" : "updated"} profile '${profile.key}' (version ${profile.version})` }),
      Effect.ignore(scheduler.schedule(profile))
    )

  const create = (input: unknown) =>
    Effect.gen(function* () {
      const valid = yield* decodeInput(input)
      const profile = fromInput(valid, yield* nowIso)
      yield* repository.put(profile, 0)
      yield* afterWrite(profile, "profile.created")
      return profile
    }).pipe(Effect.withSpan("Profiles.create"))

  return Profiles.of({
    list: repository.list,
    get: (key) => Effect.flatMap(decodeKey(key), load),
    create,
    put: (keyInput, input, expectedVersion) =>
      Effect.gen(function* () {
        const key = yield* decodeKey(keyInput)
        const version = yield* decodeVersion(expectedVersion)
        const valid = yield* decodeInput(typeof input === "object" && input !== null && !("key" in input) ? { ...input, key } : input)
        if (valid.key !== key) {
          return yield* new ValidationError({ issues: [{ field: "key", message: `must match the profile in the path ('${key}')` }] })
        }
        const current = yield* repository.get(key)
        const now = yield* nowIso
        const profile = Option.match(current, {
          onNone: () => fromInput(valid, now),
          onSome: (existing) => ({ ...fromInput(valid, now, existing.token), version: existing.version + 1, createdAt: existing.createdAt })
        })
        const expected = version ?? Option.match(current, { onNone: () => 0, onSome: (p) => p.version })
        yield* repository.put(profile, expected)
        yield* afterWrite(profile, Option.isNone(current) ? "profile.created" : "profile.updated")
        return { profile, created: Option.isNone(current) }
      }).pipe(Effect.withSpan("Profiles.put")),
    update: (keyInput, patchInput, expectedVersion) =>
      Effect.gen(function* () {
        const key = yield* decodeKey(keyInput)
        const version = yield* decodeVersion(expectedVersion)
        const patch = yield* decodePatch(patchInput)
        const current = yield* load(key)
        const next = applyPatch(current, patch, yield* nowIso)
        yield* repository.put(next, version ?? current.version)
        yield* afterWrite(next, "profile.updated")
        return next
      }).pipe(Effect.withSpan("Profiles.update")),
    delete: (keyInput, expectedVersion) =>
      Effect.gen(function* () {
        const key = yield* decodeKey(keyInput)
        const version = yield* decodeVersion(expectedVersion)
        const deleted = yield* repository.delete(key, version)
        if (!deleted) return yield* new ProfileNotFound({ profile: key })
        yield* scheduler.unschedule(key)
        yield* Effect.ignore(snapshots.delete(key))
        yield* breaker.reset(key)
        yield* events.emit({ level: "info", type: "profile.deleted", profile: key, message: `deleted profile '${key}'` })
      }).pipe(Effect.withSpan("Profiles.delete"))
  })
})

export const layer: Layer.Layer<
  Profiles,
  never,
  ProfileRepository | EventLog | RefreshScheduler | SnapshotStore | CircuitBreaker
> = Layer.effect(Profiles, make)
