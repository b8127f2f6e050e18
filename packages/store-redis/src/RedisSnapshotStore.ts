/**
 * `SnapshotStore` on Redis: one JSON string per profile (`<prefix>snapshot:<profile>`), so the last good
 * snapshot survives restarts and is shared by every instance.
 *
 * - Reads go through an in-process copy: served as a cache while younger than `localCacheTtlMs` (other
 *   instances' writes invalidate it over pub/sub), and served whatever its age while Redis is unreachable.
 * - Writes during an outage succeed locally and are written back on reconnection, only where Redis holds
 *   nothing newer (`attemptedAtMs`), so a late write-back never overwrites a fresher round of another instance.
 * - After Redis lost its data, every snapshot this instance still knows is written back the same way.
 * - Fencing: `<prefix>snapfence:<profile>` holds the highest fencing token a put was accepted with; the check
 *   and the write are one Lua script. A put during an outage is kept with its token and checked on write-back.
 */
import { Clock, Context, Effect, Either, Layer, Option, Schema, Scope } from "effect"
import { Snapshot, SnapshotStore, StoreError, type ProfileKey } from "@guildpulse/core"
import { jsonCodec } from "./internal/codec.js"
import { LocalCopy } from "./internal/localCopy.js"
import * as Lua from "./internal/lua.js"
import { evalScript, isOutage, RedisConnection } from "./RedisConnection.js"

const STORE = "snapshots"
const codec = jsonCodec(Snapshot, STORE)
const decodePutReply = Schema.decodeUnknownEither(Schema.Literal(1, 0, -1))

interface Pending {
  readonly snapshot: Snapshot
  readonly fencing: number | undefined
}

export const make: Effect.Effect<Context.Tag.Service<SnapshotStore.SnapshotStore>, never, RedisConnection | Scope.Scope> = Effect.gen(function* () {
  const connection = yield* RedisConnection
  const { keys } = connection
  const copy = new LocalCopy<Snapshot>(connection.localCacheTtlMs)
  /** Snapshots put while Redis was unreachable, waiting to be written back. */
  const pending = new Map<string, Pending>()

  yield* connection.onInvalidation((kind, profile) => {
    if (kind === "snapshot") copy.expire(profile)
  })
  yield* connection.onResync(() => copy.expireAll())

  /** Runs the put script: 1 written, 0 not newer (write-back only), -1 fenced. */
  const putScript = (
    run: typeof connection.run,
    snapshot: Snapshot,
    fencing: number | undefined,
    onlyIfNewer: boolean
  ): Effect.Effect<1 | 0 | -1, StoreError> =>
    Effect.flatMap(codec.encode(snapshot), (json) =>
      run(STORE, (client) =>
        evalScript(client, Lua.putSnapshot, [keys.snapshot(snapshot.profile), keys.snapshotFence(snapshot.profile)], [
          json,
          fencing === undefined ? "" : String(fencing),
          onlyIfNewer ? String(snapshot.attemptedAtMs) : "",
          keys.invalidations,
          connection.invalidation("snapshot", snapshot.profile)
        ])
      ).pipe(
        Effect.flatMap((reply) => {
          const decoded = decodePutReply(reply)
          return Either.isRight(decoded)
            ? Effect.succeed(decoded.right)
            : Effect.fail(new StoreError({ reason: "corrupt", store: STORE, message: `unexpected reply from Redis: ${JSON.stringify(reply)}` }))
        })
      )
    )

  yield* connection.onReconnect((info) =>
    Effect.gen(function* () {
      const toWrite = new Map(pending)
      if (info.dataLost && connection.reseedAfterDataLoss) {
        for (const [profile, snapshot] of copy.present()) if (!toWrite.has(profile)) toWrite.set(profile, { snapshot, fencing: undefined })
      }
      for (const [profile, entry] of toWrite) {
        const written = yield* putScript(connection.runDirect, entry.snapshot, entry.fencing, true)
        if (written !== 1) copy.expire(profile)
        // Only forget it if nothing newer was put meanwhile.
        if (pending.get(profile) === entry) pending.delete(profile)
      }
    })
  )

  const get = (profile: ProfileKey): Effect.Effect<Option.Option<Snapshot>, StoreError> =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => {
      const cached = copy.fresh(profile, now)
      if (cached !== undefined) return Effect.succeed(Option.some(cached))
      return connection.run(STORE, (client) => client.get(keys.snapshot(profile))).pipe(
        Effect.flatMap((json) => {
          if (json === null) {
            // A write-back still pending is newer than "absent".
            const waiting = pending.get(profile)?.snapshot
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

  const put = (snapshot: Snapshot, options?: SnapshotStore.PutOptions): Effect.Effect<SnapshotStore.PutResult, StoreError> =>
    Effect.gen(function* () {
      const fencing = options?.fencing
      const written = yield* putScript(connection.run, snapshot, fencing, false).pipe(
        Effect.catchIf(isOutage, () => Effect.succeed("outage" as const))
      )
      const now = yield* Clock.currentTimeMillis
      if (written === -1) {
        // A newer holder's snapshot is in Redis: read it next time.
        copy.expire(snapshot.profile)
        return "fenced"
      }
      copy.set(snapshot.profile, snapshot, now)
      if (written === "outage") pending.set(snapshot.profile, { snapshot, fencing })
      else pending.delete(snapshot.profile)
      return "stored"
    })

  const del = (profile: ProfileKey): Effect.Effect<void, StoreError> =>
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
