/**
 * `ProfileRepository` on Redis: profiles as JSON in one hash (`<prefix>profiles`), their versions in another
 * (`<prefix>profiles:version`). `put` and `delete` check the expected version inside one Lua script, so two
 * instances can never both win: the loser gets core's `Conflict`.
 *
 * Profiles are decoded with core's `Profile` schema (brands included). Only the refresh ranges are not
 * re-checked on read: they are policy enforced when a profile is written through `Profiles`, and a stored
 * profile must stay readable if a later version narrows them.
 *
 * Reads are served from the in-process copy while Redis is unreachable; writes then fail with
 * `StoreError("unavailable")` — an optimistic version check cannot be done offline.
 */
import { Clock, Context, Effect, Either, Layer, Option, Schema, Scope } from "effect"
import { Conflict, Profile, ProfileRepository, StoreError, type ProfileKey } from "@guildpulse/core"
import { jsonCodec } from "./internal/codec.js"
import { LocalCopy } from "./internal/localCopy.js"
import * as Lua from "./internal/lua.js"
import { evalScript, isOutage, RedisConnection } from "./RedisConnection.js"

const STORE = "profiles"

/** Core's profile schema without the write-time bounds of the refresh settings. */
export const StoredProfile = Schema.Struct({
  ...Profile.fields,
  refresh: Schema.Struct({
    ttlSeconds: Schema.Int.pipe(Schema.positive()),
    maxStaleSeconds: Schema.Int.pipe(Schema.positive())
  })
})

const codec = jsonCodec(StoredProfile, STORE)
const PutReply = Schema.Number
const DeleteReply = Schema.Tuple(Schema.Number, Schema.Number)
const decodePutReply = Schema.decodeUnknownEither(PutReply)
const decodeDeleteReply = Schema.decodeUnknownEither(DeleteReply)

const conflict = (key: string, expectedVersion: number, actualVersion: number) =>
  new Conflict({
    reason: expectedVersion === 0 ? "already_exists" : "version_mismatch",
    entity: "profile",
    key,
    expectedVersion,
    actualVersion
  })

const badReply = (reply: unknown) =>
  new StoreError({ reason: "corrupt", store: STORE, message: `unexpected reply from Redis: ${JSON.stringify(reply)}` })

export const make: Effect.Effect<Context.Tag.Service<ProfileRepository.ProfileRepository>, never, RedisConnection | Scope.Scope> =
  Effect.gen(function* () {
    const connection = yield* RedisConnection
    const { keys } = connection
    const copy = new LocalCopy<Profile>(connection.localCacheTtlMs)

    yield* connection.onInvalidation((kind, key) => {
      if (kind === "profile") copy.expire(key)
    })
    yield* connection.onResync(() => copy.expireAll())
    yield* connection.onReconnect((info) =>
      info.dataLost && connection.reseedAfterDataLoss
        ? Effect.forEach(
            copy.present(),
            ([key, profile]) =>
              Effect.flatMap(codec.encode(profile), (json) =>
                connection.runDirect(STORE, (client) =>
                  evalScript(client, Lua.profilePutIfAbsent, [keys.profiles, keys.profileVersions], [key, json, profile.version])
                )
              ),
            { discard: true }
          )
        : Effect.void
    )

    const decode = (json: string) => codec.decode(json)

    const get = (key: ProfileKey): Effect.Effect<Option.Option<Profile>, StoreError> =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const cached = copy.fresh(key, now)
        if (cached !== undefined) return Effect.succeed(Option.some(cached))
        return connection.run(STORE, (client) => client.hget(keys.profiles, key)).pipe(
          Effect.flatMap((json) => {
            if (json === null) {
              copy.set(key, undefined, now)
              return Effect.succeed(Option.none<Profile>())
            }
            return Effect.map(decode(json), (decoded) => {
              const previous = copy.last(key)
              // Same object for the same version: downstream memoisation by identity keeps working.
              const profile = previous !== undefined && previous.version === decoded.version && previous.updatedAt === decoded.updatedAt ? previous : decoded
              copy.set(key, profile, now)
              return Option.some(profile)
            })
          }),
          Effect.catchIf(isOutage, () => Effect.succeed(Option.fromNullable(copy.last(key))))
        )
      })

    const byKey = (a: Profile, b: Profile) => a.key.localeCompare(b.key)

    const list: Effect.Effect<ReadonlyArray<Profile>, StoreError> = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const all = yield* connection.run(STORE, (client) => client.hgetall(keys.profiles))
      const profiles: Array<Profile> = []
      for (const json of Object.values(all)) profiles.push(yield* decode(json))
      const seen = new Set<string>(profiles.map((p) => p.key))
      for (const [key] of copy.present()) if (!seen.has(key)) copy.set(key, undefined, now)
      for (const profile of profiles) copy.set(profile.key, profile, now)
      return profiles.sort(byKey)
    }).pipe(Effect.catchIf(isOutage, () => Effect.sync(() => copy.present().map(([, p]) => p).sort(byKey))))

    const put = (profile: Profile, expectedVersion: number): Effect.Effect<void, Conflict | StoreError> =>
      Effect.gen(function* () {
        const json = yield* codec.encode(profile)
        const reply = yield* connection.run(STORE, (client) =>
          evalScript(client, Lua.profilePut, [keys.profiles, keys.profileVersions], [
            profile.key,
            expectedVersion,
            json,
            profile.version,
            keys.invalidations,
            connection.invalidation("profile", profile.key)
          ])
        )
        const actual = decodePutReply(reply)
        if (Either.isLeft(actual)) return yield* badReply(reply)
        if (actual.right !== -1) return yield* conflict(profile.key, expectedVersion, actual.right)
        copy.set(profile.key, profile, yield* Clock.currentTimeMillis)
      })

    const del = (key: ProfileKey, expectedVersion?: number): Effect.Effect<boolean, Conflict | StoreError> =>
      Effect.gen(function* () {
        const reply = yield* connection.run(STORE, (client) =>
          evalScript(client, Lua.profileDelete, [keys.profiles, keys.profileVersions], [
            key,
            expectedVersion === undefined ? "" : expectedVersion,
            keys.invalidations,
            connection.invalidation("profile", key)
          ])
        )
        const decoded = decodeDeleteReply(reply)
        if (Either.isLeft(decoded)) return yield* badReply(reply)
        const [status, actual] = decoded.right
        if (status === 2) return yield* conflict(key, expectedVersion ?? 0, actual)
        copy.set(key, undefined, yield* Clock.currentTimeMillis)
        return status === 1
      })

    return ProfileRepository.ProfileRepository.of({ get, list, put, delete: del })
  })

export const layer: Layer.Layer<ProfileRepository.ProfileRepository, never, RedisConnection> = Layer.scoped(
  ProfileRepository.ProfileRepository,
  make
)
