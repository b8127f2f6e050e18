/**
 * `ProfileRepository` on the database file, durable: `put` and `delete` are committed (and synced) before they
 * return. Reads are answered from a copy loaded at start and kept in step with every write — this process owns
 * the file, so no one else can change it underneath. The version check and the write run under one permit, so
 * of concurrent writers expecting the same version exactly one wins.
 */
import { Context, Effect, Either, Layer, Option, Schema, Scope } from "effect"
import { Profile, ProfileRepository } from "@guildpulse/core"
import type { Conflict, StoreError } from "@guildpulse/core"
import { jsonCodec } from "./internal/json.js"
import { SqliteDatabase } from "./SqliteDatabase.js"

const STORE = "profiles"
const DECODE_SLICE = 250

/**
 * A stored profile: the domain schema, with refresh settings checked for structure only (ranges are the
 * business of `Profiles` validation; a store keeps what it is given).
 */
export const StoredProfile = Schema.Struct({
  ...Profile.fields,
  refresh: Schema.Struct({ ttlSeconds: Schema.Int.pipe(Schema.positive()), maxStaleSeconds: Schema.Int.pipe(Schema.positive()) })
})
const codec = jsonCodec(StoredProfile)

export const make: Effect.Effect<Context.Tag.Service<ProfileRepository.ProfileRepository>, StoreError, SqliteDatabase | Scope.Scope> = Effect.gen(function* () {
  const database = yield* SqliteDatabase
  // Rows are decoded when first asked for: a restart with thousands of profiles answers its first request
  // without decoding them all.
  const rows = yield* database.read(STORE, (db) => db.prepare("SELECT key, json FROM profiles").raw(true).all() as Array<[string, string]>)
  const undecoded = new Map<string, string>(rows)
  const profiles = new Map<string, Profile>()
  const unreadable: Array<string> = []
  const decodeOne = (key: string): Profile | undefined => {
    const json = undecoded.get(key)
    if (json === undefined) return profiles.get(key)
    undecoded.delete(key)
    const decoded = codec.decode(json)
    if (Either.isLeft(decoded)) {
      unreadable.push(`stored profile '${key}' is unreadable, leaving it in the file but not serving it: ${decoded.left}`)
      return undefined
    }
    profiles.set(key, decoded.right)
    return decoded.right
  }
  const reportUnreadable = Effect.suspend(() => {
    if (unreadable.length === 0) return Effect.void
    const messages = unreadable.splice(0)
    return Effect.forEach(messages, (message) => Effect.logError(message), { discard: true })
  })
  const lookup = (key: string) => Effect.zipLeft(Effect.sync(() => decodeOne(key)), reportUnreadable)
  let sorted: ReadonlyArray<Profile> | undefined
  const upsert = database.db.prepare(
    "INSERT INTO profiles (key, version, json) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET version = excluded.version, json = excluded.json"
  )
  const remove = database.db.prepare("DELETE FROM profiles WHERE key = ?")
  const permit = yield* Effect.makeSemaphore(1)

  const put = (profile: Profile, expectedVersion: number): Effect.Effect<void, Conflict | StoreError> =>
    permit.withPermits(1)(
      Effect.suspend((): Effect.Effect<void, Conflict | StoreError> => {
        const conflict = ProfileRepository.checkVersion(profile.key, decodeOne(profile.key), expectedVersion)
        if (conflict !== undefined) return Effect.fail(conflict)
        const json = codec.encode(profile)
        return Effect.zipRight(
          database.write(STORE, () => upsert.run(profile.key, profile.version, json)),
          Effect.sync(() => {
            profiles.set(profile.key, profile)
            sorted = undefined
          })
        )
      })
    )

  const del = (key: string, expectedVersion?: number): Effect.Effect<boolean, Conflict | StoreError> =>
    permit.withPermits(1)(
      Effect.suspend((): Effect.Effect<boolean, Conflict | StoreError> => {
        const current = decodeOne(key)
        if (current === undefined) return Effect.succeed(false)
        if (expectedVersion !== undefined) {
          const conflict = ProfileRepository.checkVersion(key, current, expectedVersion)
          if (conflict !== undefined) return Effect.fail(conflict)
        }
        return Effect.as(
          Effect.zipRight(
            database.write(STORE, () => remove.run(key)),
            Effect.sync(() => {
              profiles.delete(key)
              sorted = undefined
            })
          ),
          true
        )
      })
    )

  return ProfileRepository.ProfileRepository.of({
    get: (key) => {
      const known = profiles.get(key)
      return known !== undefined ? Effect.succeed(Option.some(known)) : Effect.map(lookup(key), Option.fromNullable)
    },
    list: Effect.zipLeft(
      Effect.suspend(() => {
        if (sorted !== undefined) return Effect.succeed(sorted)
        // In slices, yielding between them: a request arriving meanwhile is answered without waiting for all.
        const keys = [...undecoded.keys()]
        const slices = Array.from({ length: Math.ceil(keys.length / DECODE_SLICE) }, (_, i) => keys.slice(i * DECODE_SLICE, (i + 1) * DECODE_SLICE))
        return Effect.zipRight(
          Effect.forEach(slices, (slice) => Effect.zipRight(Effect.sync(() => slice.forEach(decodeOne)), Effect.yieldNow()), { discard: true }),
          Effect.sync(() => (sorted ??= [...profiles.values()].sort((a, b) => a.key.localeCompare(b.key))))
        )
      }),
      reportUnreadable
    ),
    put,
    delete: del
  })
})

export const layer: Layer.Layer<ProfileRepository.ProfileRepository, StoreError, SqliteDatabase> = Layer.scoped(ProfileRepository.ProfileRepository, make)
