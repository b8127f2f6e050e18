/**
 * `SnapshotStore` on the database file, write-behind: a snapshot is read from the file when first asked for
 * and served from memory after that (a restart serves the last good snapshot at once, without reading the
 * others first); `put`/`delete` change memory at once and reach
 * the file with the next flush (≤ `flushIntervalMs`, and when the layer closes). A crash loses at most the
 * snapshots of that interval — the next refresh round makes them again.
 *
 * Fencing tokens are kept in memory: only this process takes the leases of `SqliteLock` (a restart ends every
 * holder), and its tokens keep increasing across restarts.
 */
import { Context, Effect, Either, Layer, Option, Scope } from "effect"
import { Snapshot, SnapshotStore } from "@guildpulse/core"
import type { StoreError } from "@guildpulse/core"
import { jsonCodec } from "./internal/json.js"
import { SqliteDatabase } from "./SqliteDatabase.js"

const STORE = "snapshots"
const codec = jsonCodec(Snapshot)

export const make: Effect.Effect<Context.Tag.Service<SnapshotStore.SnapshotStore>, StoreError, SqliteDatabase | Scope.Scope> = Effect.gen(function* () {
  const database = yield* SqliteDatabase
  // Nothing is read at start: a profile's row is read (one indexed lookup) and decoded when first asked for,
  // so a restart with thousands of profiles answers its first request at once. From then on memory is the
  // truth: `snapshots` holds every value this process has seen or written, `null` for a deleted one — the file
  // can only lag behind it (write-behind), never be ahead.
  const selectOne = database.db.prepare("SELECT json FROM snapshots WHERE profile = ?").raw(true)
  const snapshots = new Map<string, Snapshot | null>()
  const fences = SnapshotStore.makeFences()
  const lookup = (profile: string): Effect.Effect<Option.Option<Snapshot>, StoreError> => {
    const known = snapshots.get(profile)
    if (known !== undefined) return Effect.succeed(Option.fromNullable(known))
    return Effect.flatMap(
      database.read(STORE, () => selectOne.get(profile) as [string] | undefined),
      (row) => {
        // A put or delete may have happened while the row was read: what memory knows wins.
        const now = snapshots.get(profile)
        if (now !== undefined) return Effect.succeed(Option.fromNullable(now))
        if (row === undefined) return Effect.succeed(Option.none())
        const decoded = codec.decode(row[0])
        if (Either.isLeft(decoded)) return Effect.as(Effect.logWarning(`stored snapshot of '${profile}' is unreadable, ignoring it: ${decoded.left}`), Option.none())
        snapshots.set(profile, decoded.right)
        return Effect.succeed(Option.some(decoded.right))
      }
    )
  }

  const upsert = database.db.prepare(
    "INSERT INTO snapshots (profile, attempted_at_ms, json) VALUES (?, ?, ?) " +
      "ON CONFLICT (profile) DO UPDATE SET attempted_at_ms = excluded.attempted_at_ms, json = excluded.json"
  )
  const remove = database.db.prepare("DELETE FROM snapshots WHERE profile = ?")
  let dirty = new Set<string>()

  yield* database.registerWriteBehind({
    name: STORE,
    take: () => {
      if (dirty.size === 0) return undefined
      const keys = dirty
      dirty = new Set()
      return {
        count: keys.size,
        write: () => {
          // Snapshot has no transformations: its JSON is its encoded form.
          for (const key of keys) {
            const value = snapshots.get(key)
            if (value === undefined || value === null) remove.run(key)
            else upsert.run(key, value.attemptedAtMs, JSON.stringify(value))
          }
        },
        requeue: () => {
          for (const key of keys) dirty.add(key)
        }
      }
    }
  })

  return SnapshotStore.SnapshotStore.of({
    get: lookup,
    put: (snapshot, options) =>
      Effect.sync((): SnapshotStore.PutResult => {
        if (!fences.admit(snapshot.profile, options?.fencing)) return "fenced"
        snapshots.set(snapshot.profile, snapshot)
        dirty.add(snapshot.profile)
        return "stored"
      }),
    delete: (profile) =>
      Effect.sync(() => {
        // Deleting what was never read deletes the row all the same.
        if (snapshots.get(profile) !== null) dirty.add(profile)
        snapshots.set(profile, null)
      })
  })
})

export const layer: Layer.Layer<SnapshotStore.SnapshotStore, StoreError, SqliteDatabase> = Layer.scoped(SnapshotStore.SnapshotStore, make)
