/**
 * `SnapshotStore` on Redis: one JSON string per profile (`<prefix>snapshot:<profile>`), so the last good
 * snapshot survives restarts and is shared by every instance.
 *
 * - Reads go through an in-process copy: served as a cache while younger than `localCacheTtlMs` (other
 *   instances' writes invalidate it over pub/sub), and served whatever its age while Redis is unreachable.
 * - Writes during an outage succeed locally and are written back on reconnection, only where Redis holds
 *   nothing newer (`attemptedAtMs`), so a late write-back never overwrites a fresher round of another instance.
 * - After Redis lost its data, every snapshot this instance still knows is written back the same way.
 */
import { Clock, Context, Effect, Either, Layer, Option, Scope } from "effect"
import { Snapshot, SnapshotStore, StoreError } from "@guildpulse/core"
import { jsonCodec } from "./internal/codec.js"
import { LocalCopy } from "./internal/localCopy.js"
import * as Lua from "./internal/lua.js"
import { evalScript, isOutage, RedisConnection } from "./RedisConnection.js"

const STORE = "snapshots"
const codec = jsonCodec(Snapshot, STORE)

export const make: Effect.Effect<Context.Tag.Service<SnapshotStore.SnapshotStore>, never, RedisConnection | Scope.Scope> = Effect.gen(function* () {
  const connection = yield* RedisConnection
  const { keys } = connection
  const copy = new LocalCopy<Snapshot>(connection.localCacheTtlMs)
  /** Snapshots put while Redis was unreachable, waiting to be written back. */
  const pending = new Map<string, Snapshot>()

  yield* connection.onInvalidation((kind, profile) => {
    if (kind === "snapshot") copy.expire(profile)
  })
  yield* connection.onResync(() => copy.expireAll())

  const writeBack = (snapshot: Snapshot) =>
    Effect.flatMap(codec.encode(snapshot), (json) =>
      connection.runDirect(STORE, (client) =>
        evalScript(client, Lua.putSnapshotIfNewer, [keys.snapshot(snapshot.profile)], [
          json,
          snapshot.attemptedAtMs,
          keys.invalidations,
          connection.invalidation("snapshot", snapshot.profile)
        ])
      )
    )

  yield* connection.onReconnect((info) =>
    Effect.gen(function* () {
      const toWrite = new Map(pending)
      if (info.dataLost && connection.reseedAfterDataLoss) {
        for (const [profile, snapshot] of copy.present()) if (!toWrite.has(profile)) toWrite.set(profile, snapshot)
      }
      for (const [profile, snapshot] of toWrite) {
        yield* writeBack(snapshot)
        // Only forget it if nothing newer was put meanwhile.
        if (pending.get(profile) === snapshot) pending.delete(profile)
      }
    })
  )

  const get = (profile: string): Effect.Effect<Option.Option<Snapshot>, StoreError> =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => {
      const cached = copy.fresh(profile, now)
      if (cached !== undefined) return Effect.succeed(Option.some(cached))
      return connection.run(STORE, (client) => client.get(keys.snapshot(profile))).pipe(
        Effect.flatMap((json) => {
          if (json === null) {
            // A write-back still pending is newer than "absent".
            const waiting = pending.get(profile)
            copy.set(profile, waiting, now)
            return Effect.succeed(Option.fromNullable(waiting))
          }
          const decoded = codec.decode(json)
          if (Either.isLeft(decoded)) {
            // A snapshot is derived data: an unreadable one is treated as absent (the next round replaces it).
            return Effect.as(Effect.logWarning(`snapshot of '${profile}' is unreadable, ignoring it: ${decoded.left.message}`), Option.none())
          }
          const previous = copy.last(profile)
          // Keep the same object when nothing changed, so per-snapshot memoisation downstream keeps working.
          const value = previous !== undefined && previous.attemptedAtMs === decoded.right.attemptedAtMs && previous.profile === decoded.right.profile
            ? previous
            : decoded.right
          copy.set(profile, value, now)
          return Effect.succeed(Option.some(value))
        }),
        Effect.catchIf(isOutage, () => Effect.succeed(Option.fromNullable(copy.last(profile))))
      )
    })

  const put = (snapshot: Snapshot): Effect.Effect<void, StoreError> =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const json = yield* codec.encode(snapshot)
      copy.set(snapshot.profile, snapshot, now)
      yield* connection
        .run(STORE, (client) =>
          evalScript(client, Lua.setAndPublish, [keys.snapshot(snapshot.profile)], [
            json,
            keys.invalidations,
            connection.invalidation("snapshot", snapshot.profile)
          ])
        )
        .pipe(
          Effect.zipRight(Effect.sync(() => void pending.delete(snapshot.profile))),
          Effect.catchIf(isOutage, () => Effect.sync(() => void pending.set(snapshot.profile, snapshot)))
        )
    })

  const del = (profile: string): Effect.Effect<void, StoreError> =>
    Effect.gen(function* () {
      pending.delete(profile)
      yield* connection.run(STORE, (client) =>
        evalScript(client, Lua.delAndPublish, [keys.snapshot(profile)], [keys.invalidations, connection.invalidation("snapshot", profile)])
      )
      copy.set(profile, undefined, yield* Clock.currentTimeMillis)
    }).pipe(
      // The local copy goes regardless, so this instance stops serving it; Redis keeps it until the next delete.
      Effect.tapError(() => Effect.sync(() => copy.delete(profile)))
    )

  return SnapshotStore.SnapshotStore.of({ get, put, delete: del })
})

export const layer: Layer.Layer<SnapshotStore.SnapshotStore, never, RedisConnection> = Layer.scoped(SnapshotStore.SnapshotStore, make)
