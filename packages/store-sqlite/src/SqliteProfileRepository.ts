/**
 * `ProfileRepository` on the database file, durable: `put` and `delete` are committed (and synced) before they
 * return. Reads are answered from a copy loaded at start and kept in step with every write — this process owns
 * the file, so no one else can change it underneath. The version check and the write run under one permit, so
 * of concurrent writers expecting the same version exactly one wins.
 */
import { Context, Effect, Either, Layer, Option, Schema, Scope } from "effect"
import { Profile, ProfileRepository } from "@guildpulse/core"
import type { Conflict, ProfileKey, StoreError } from "@guildpulse/core"
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
  // Nothing is read at start: a profile is read (one indexed lookup) and decoded when first asked for, and
  // `list` reads the rest in slices. Writes go to the file first, then to memory, so memory never holds what
  // the file does not; `null` marks a row that does not decode (left in the file, never served).
  const selectOne = database.db.prepare("SELECT json FROM profiles WHERE key = ?").raw(true)
  const selectSlice = database.db.prepare("SELECT key, json FROM profiles WHERE key > ? ORDER BY key LIMIT ?").raw(true)
  const profiles = new Map<string, Profile | null>()
  let loadedAll = false
  const unreadable: Array<string> = []
  const decodeRow = (key: string, json: string): Profile | null => {
    const decoded = codec.decode(json)
    if (Either.isLeft(decoded)) {
      unreadable.push(`stored profile '${key}' is unreadable, leaving it in the file but not serving it: ${decoded.left}`)
      return null
    }
    return decoded.right
  }
  const decodeOne = (key: string): Profile | undefined => {
    const known = profiles.get(key)
    if (known !== undefined || loadedAll) return known ?? undefined
    const row = selectOne.get(key) as [string] | undefined
    if (row === undefined) return undefined
    const profile = decodeRow(key, row[0])
    profiles.set(key, profile)
    return profile ?? undefined
  }
  const reportUnreadable = Effect.suspend(() => {
    if (unreadable.length === 0) return Effect.void
    const messages = unreadable.splice(0)
    return Effect.forEach(messages, (message) => Effect.logError(message), { discard: true })
  })
  const lookup = (key: string) => Effect.zipLeft(database.read(STORE, () => decodeOne(key)), reportUnreadable)
  /** Reads and decodes every row not in memory yet, a slice at a time, yielding between slices. */
  const loadAll: Effect.Effect<void, StoreError> = Effect.suspend(() => {
    let after = ""
    const next: Effect.Effect<void, StoreError> = Effect.flatMap(
      database.read(STORE, () => {
        const rows = selectSlice.all(after, DECODE_SLICE) as Array<[string, string]>
        for (const [key, json] of rows) if (!profiles.has(key)) profiles.set(key, decodeRow(key, json))
        return rows
      }),
      (rows) => {
        const last = rows[rows.length - 1]
        if (last === undefined || rows.length < DECODE_SLICE) return Effect.sync(() => void (loadedAll = true))
        after = last[0]
        return Effect.zipRight(Effect.yieldNow(), next)
      }
    )
    return next
  })
  let sorted: ReadonlyArray<Profile> | undefined
  const upsert = database.db.prepare(
    "INSERT INTO profiles (key, version, json) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET version = excluded.version, json = excluded.json"
  )
  const remove = database.db.prepare("DELETE FROM profiles WHERE key = ?")
  const permit = yield* Effect.makeSemaphore(1)

  const put = (profile: Profile, expectedVersion: number): Effect.Effect<void, Conflict | StoreError> =>
    permit.withPermits(1)(
      Effect.flatMap(lookup(profile.key), (current): Effect.Effect<void, Conflict | StoreError> => {
        const conflict = ProfileRepository.checkVersion(profile.key, current, expectedVersion)
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

  const del = (key: ProfileKey, expectedVersion?: number): Effect.Effect<boolean, Conflict | StoreError> =>
    permit.withPermits(1)(
      Effect.flatMap(lookup(key), (current): Effect.Effect<boolean, Conflict | StoreError> => {
        if (current === undefined) return Effect.succeed(false)
        if (expectedVersion !== undefined) {
          const conflict = ProfileRepository.checkVersion(key, current, expectedVersion)
          if (conflict !== undefined) return Effect.fail(conflict)
        }
        return Effect.as(
          Effect.zipRight(
            database.write(STORE, () => remove.run(key)),
            Effect.sync(() => {
              profiles.delete(key) // not read again: the row is gone
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
      return known ? Effect.succeed(Option.some(known)) : Effect.map(lookup(key), Option.fromNullable)
    },
    list: Effect.zipLeft(
      Effect.suspend(() => {
        if (sorted !== undefined) return Effect.succeed(sorted)
        // In slices, yielding between them: a request arriving meanwhile is answered without waiting for all.
        return Effect.zipRight(
          loadedAll ? Effect.void : loadAll,
          Effect.sync(() => (sorted ??= [...profiles.values()].flatMap((p) => (p === null ? [] : [p])).sort((a, b) => a.key.localeCompare(b.key))))
        )
      }),
      reportUnreadable
    ),
    put,
    delete: del
  })
})

export const layer: Layer.Layer<ProfileRepository.ProfileRepository, StoreError, SqliteDatabase> = Layer.scoped(ProfileRepository.ProfileRepository, make)
