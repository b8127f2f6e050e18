/**
 * Port: the latest snapshot per profile (merged good data + the latest round's outcome).
 * A persistent implementation makes the last good snapshot survive restarts.
 *
 * Fencing: a refresh holding the profile's `Lock` lease passes the lease's `fencing` token to `put`. The store
 * keeps the highest token it accepted per profile and refuses a put with a lower one — the round of a refresher
 * whose lease expired (paused, slow) cannot overwrite the snapshot of the newer lease holder. A refused put is
 * not an error: it answers `"fenced"` and changes nothing (the caller reads the newer snapshot instead).
 * A put without a token is unconditional and leaves the recorded token as it is; `delete` keeps the token, so
 * a stale refresher cannot bring back a deleted snapshot either.
 */
import { Context, Effect, Layer, Option } from "effect"
import type { StoreError } from "./Errors.js"
import type { ProfileKey } from "./Identifiers.js"
import type { Snapshot } from "./Snapshot.js"

export interface PutOptions {
  /** The fencing token of the lease under which the snapshot was made (`Lease.fencing`). */
  readonly fencing?: number
}

/** `"stored"`, or `"fenced"` when a put with a higher fencing token was accepted before (nothing changed). */
export type PutResult = "stored" | "fenced"

export class SnapshotStore extends Context.Tag("@guildpulse/core/SnapshotStore")<
  SnapshotStore,
  {
    readonly get: (profile: ProfileKey) => Effect.Effect<Option.Option<Snapshot>, StoreError>
    readonly put: (snapshot: Snapshot, options?: PutOptions) => Effect.Effect<PutResult, StoreError>
    readonly delete: (profile: ProfileKey) => Effect.Effect<void, StoreError>
  }
>() {}

/**
 * Fencing tokens accepted per profile, in one process: `admit` records a token unless a higher one was accepted.
 * Shared by the in-process stores (memory, the embedded store).
 */
export const makeFences = () => {
  const fences = new Map<ProfileKey, number>()
  return {
    admit: (profile: ProfileKey, fencing: number | undefined): boolean => {
      if (fencing === undefined) return true
      const last = fences.get(profile)
      if (last !== undefined && fencing < last) return false
      fences.set(profile, fencing)
      return true
    }
  }
}

export const makeMemory = Effect.sync(() => {
  const snapshots = new Map<ProfileKey, Snapshot>()
  const fences = makeFences()
  return SnapshotStore.of({
    get: (profile) => Effect.sync(() => Option.fromNullable(snapshots.get(profile))),
    put: (snapshot, options) =>
      Effect.sync((): PutResult => {
        if (!fences.admit(snapshot.profile, options?.fencing)) return "fenced"
        snapshots.set(snapshot.profile, snapshot)
        return "stored"
      }),
    delete: (profile) => Effect.sync(() => void snapshots.delete(profile))
  })
})

export const layerMemory: Layer.Layer<SnapshotStore> = Layer.effect(SnapshotStore, makeMemory)
