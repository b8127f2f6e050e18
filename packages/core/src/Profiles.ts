/**
 * The `Profiles` use case: create, replace, update and delete profiles with validation of untrusted input,
 * optimistic versions, events, and the scheduler kept in step.
 */
import { Clock, Context, Effect, Layer, Option } from "effect"
import { CircuitBreaker } from "./CircuitBreaker.js"
import { ProfileNotFound, ValidationError, type Conflict, type StoreError } from "./Errors.js"
import { EventLog } from "./EventLog.js"
import { ProfileKey } from "./Identifiers.js"
import { applyPatch, effectiveToken, fromInput, Profile, ProfileInput, ProfilePatch } from "./Profile.js"
import { ProfileRepository } from "./ProfileRepository.js"
import { RefreshScheduler } from "./RefreshScheduler.js"
import { SecretVault } from "./SecretVault.js"
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

/**
 * The profile with token metadata reflecting the token the engine actually uses (`effectiveToken`): the vault's
 * token, however it was supplied, and the bot's latest answer. A token the keyring cannot open is `invalid` with
 * the reason in `problem`. A store that cannot answer leaves the stored metadata as it is.
 */
export const withEffectiveToken = (
  profile: Profile
): Effect.Effect<Profile, never, SecretVault | SnapshotStore> =>
  Effect.gen(function* () {
    const vault = yield* SecretVault
    const snapshots = yield* SnapshotStore
    const token = yield* vault.get(profile.key).pipe(Effect.either)
    if (token._tag === "Left" && token.left._tag === "SecretUnreadable") {
      // The keyring cannot open the token (its key was removed, or it was tampered with): invalid, saying why.
      const { problem: _problem, ...kept } = profile.token
      return { ...profile, token: { ...kept, present: true, status: "invalid" as const, problem: token.left.message } }
    }
    if (token._tag === "Left") return yield* token.left
    const snapshot = yield* Effect.orElseSucceed(snapshots.get(profile.key), () => Option.none())
    const bot = Option.isSome(snapshot) && snapshot.value.guildId === profile.guildId
      ? snapshot.value.sources.find((s) => s.source === "bot")
      : undefined
    return { ...profile, token: effectiveToken(profile.token, Option.isSome(token.right), bot) }
  }).pipe(Effect.orElseSucceed(() => profile))

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
  const vault = yield* SecretVault
  const withToken = (profile: Profile) =>
    withEffectiveToken(profile).pipe(Effect.provideService(SecretVault, vault), Effect.provideService(SnapshotStore, snapshots))
  const nowIso = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms).toISOString())

  const load = (key: ProfileKey) =>
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
      return yield* withToken(profile)
    }).pipe(Effect.withSpan("Profiles.create"))

  return Profiles.of({
    list: Effect.flatMap(repository.list, (all) => Effect.forEach(all, withToken)),
    get: (key) => Effect.flatMap(Effect.flatMap(decodeKey(key), load), withToken),
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
        return { profile: yield* withToken(profile), created: Option.isNone(current) }
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
        return yield* withToken(next)
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
  ProfileRepository | EventLog | RefreshScheduler | SnapshotStore | CircuitBreaker | SecretVault
> = Layer.effect(Profiles, make)
