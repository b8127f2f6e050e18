/**
 * `SnapshotStore` on the database file, write-behind: every snapshot is loaded at start and served from
 * memory (a restart serves the last good snapshot at once); `put`/`delete` change memory at once and reach
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
  // Decoded when first asked for, so a restart with thousands of profiles answers its first request at once.
  const rows = yield* database.read(STORE, (db) => db.prepare("SELECT profile, json FROM snapshots").raw(true).all() as Array<[string, string]>)
  const undecoded = new Map<string, string>(rows)
  const snapshots = new Map<string, Snapshot>()
  const fences = SnapshotStore.makeFences()
  const lookup = (profile: string): Effect.Effect<Option.Option<Snapshot>> => {
    const known = snapshots.get(profile)
    if (known !== undefined) return Effect.succeed(Option.some(known))
    const json = undecoded.get(profile)
    if (json === undefined) return Effect.succeed(Option.none())
    undecoded.delete(profile)
    const decoded = codec.decode(json)
    if (Either.isLeft(decoded)) return Effect.as(Effect.logWarning(`stored snapshot of '${profile}' is unreadable, ignoring it: ${decoded.left}`), Option.none())
    snapshots.set(profile, decoded.right)
    return Effect.succeed(Option.some(decoded.right))
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
            if (value === undefined) remove.run(key)
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
        undecoded.delete(snapshot.profile)
        snapshots.set(snapshot.profile, snapshot)
        dirty.add(snapshot.profile)
        return "stored"
      }),
    delete: (profile) =>
      Effect.sync(() => {
        const stored = undecoded.delete(profile)
        if (snapshots.delete(profile) || stored) dirty.add(profile)
      })
  })
})

export const layer: Layer.Layer<SnapshotStore.SnapshotStore, StoreError, SqliteDatabase> = Layer.scoped(SnapshotStore.SnapshotStore, make)
