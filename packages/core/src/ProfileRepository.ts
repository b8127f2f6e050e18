/**
 * Port: profiles with optimistic concurrency. `put` with an `expectedVersion` fails with `Conflict` when the
 * stored version differs; `expectedVersion: 0` means "must not exist yet".
 */
import { Context, Effect, Layer, Option } from "effect"
import { Conflict } from "./Errors.js"
import type { StoreError } from "./Errors.js"
import type { ProfileKey } from "./Identifiers.js"
import type { Profile } from "./Profile.js"

export class ProfileRepository extends Context.Tag("@guildpulse/core/ProfileRepository")<
  ProfileRepository,
  {
    readonly get: (key: ProfileKey) => Effect.Effect<Option.Option<Profile>, StoreError>
    readonly list: Effect.Effect<ReadonlyArray<Profile>, StoreError>
    readonly put: (profile: Profile, expectedVersion: number) => Effect.Effect<void, Conflict | StoreError>
    readonly delete: (key: ProfileKey, expectedVersion?: number) => Effect.Effect<boolean, Conflict | StoreError>
  }
>() {}

/** The version check shared by every implementation (pure). */
export const checkVersion = (key: ProfileKey, current: Profile | undefined, expectedVersion: number): Conflict | undefined => {
  const actual = current?.version ?? 0
  if (actual === expectedVersion) return undefined
  return new Conflict({
    reason: expectedVersion === 0 ? "already_exists" : "version_mismatch",
    entity: "profile",
    key,
    expectedVersion,
    actualVersion: actual
  })
}

export const makeMemory = (initial: ReadonlyArray<Profile> = []) =>
  Effect.sync(() => {
    const profiles = new Map<ProfileKey, Profile>(initial.map((p) => [p.key, p]))
    return ProfileRepository.of({
      get: (key) => Effect.sync(() => Option.fromNullable(profiles.get(key))),
      list: Effect.sync(() => [...profiles.values()].sort((a, b) => a.key.localeCompare(b.key))),
      put: (profile, expectedVersion) =>
        Effect.suspend(() => {
          const conflict = checkVersion(profile.key, profiles.get(profile.key), expectedVersion)
          if (conflict !== undefined) return Effect.fail(conflict)
          profiles.set(profile.key, profile)
          return Effect.void
        }),
      delete: (key, expectedVersion) =>
        Effect.suspend(() => {
          const current = profiles.get(key)
          if (current === undefined) return Effect.succeed(false)
          if (expectedVersion !== undefined) {
            const conflict = checkVersion(key, current, expectedVersion)
            if (conflict !== undefined) return Effect.fail(conflict)
          }
          profiles.delete(key)
          return Effect.succeed(true)
        })
    })
  })

export const layerMemory = (initial?: ReadonlyArray<Profile>): Layer.Layer<ProfileRepository> =>
  Layer.effect(ProfileRepository, makeMemory(initial))
