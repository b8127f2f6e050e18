/**
 * Port: the latest snapshot per profile (merged good data + the latest round's outcome).
 * A persistent implementation makes the last good snapshot survive restarts.
 */
import { Context, Effect, Layer, Option } from "effect"
import type { StoreError } from "./Errors.js"
import type { Snapshot } from "./Snapshot.js"

export class SnapshotStore extends Context.Tag("@guildpulse/core/SnapshotStore")<
  SnapshotStore,
  {
    readonly get: (profile: string) => Effect.Effect<Option.Option<Snapshot>, StoreError>
    readonly put: (snapshot: Snapshot) => Effect.Effect<void, StoreError>
    readonly delete: (profile: string) => Effect.Effect<void, StoreError>
  }
>() {}

export const makeMemory = Effect.sync(() => {
  const snapshots = new Map<string, Snapshot>()
  return SnapshotStore.of({
    get: (profile) => Effect.sync(() => Option.fromNullable(snapshots.get(profile))),
    put: (snapshot) => Effect.sync(() => void snapshots.set(snapshot.profile, snapshot)),
    delete: (profile) => Effect.sync(() => void snapshots.delete(profile))
  })
})

export const layerMemory: Layer.Layer<SnapshotStore> = Layer.effect(SnapshotStore, makeMemory)
