/**
 * Port: a lease lock with fencing tokens, for single-flight refreshes across processes.
 * A lease expires by itself after `ttlMs`; only its owner (matching `token`) can release or extend it.
 * `fencing` increases with every grant of a key, so a store can refuse writes from an expired owner.
 */
import { Clock, Context, Effect, Layer, Option, Random } from "effect"
import type { StoreError } from "./Errors.js"

export interface Lease {
  readonly key: string
  readonly token: string
  readonly fencing: number
  readonly expiresAtMs: number
}

export class Lock extends Context.Tag("@guildpulse/core/Lock")<
  Lock,
  {
    readonly acquire: (key: string, ttlMs: number) => Effect.Effect<Option.Option<Lease>, StoreError>
    readonly release: (lease: Lease) => Effect.Effect<boolean, StoreError>
    readonly extend: (lease: Lease, ttlMs: number) => Effect.Effect<Option.Option<Lease>, StoreError>
  }
>() {}

let tokenSeq = 0
/** `<time>-<sequence>-<random>`, from Effect's `Clock` and `Random` (so tests can fix both). */
const newToken = (now: number, random01: number): string =>
  `${now.toString(36)}-${(tokenSeq++).toString(36)}-${random01.toString(36).slice(2, 10)}`

/** Where an in-process lock keeps the last fencing token of each key (a persistent store writes it behind). */
export interface FencingMap {
  readonly get: (key: string) => number | undefined
  readonly set: (key: string, fencing: number) => void
}

export interface InProcessOptions {
  readonly fencing?: FencingMap
  /** The next fencing token after `last` (default `last + 1`). */
  readonly nextFencing?: (last: number, nowMs: number) => number
}

/**
 * Leases held by fibers of one process: the memory layer, and stores whose process alone takes the leases
 * (the embedded store, which keeps fencing tokens increasing across restarts).
 */
export const makeInProcess = (options: InProcessOptions = {}): Lock["Type"] => {
  const held = new Map<string, { token: string; expiresAtMs: number }>()
  const fencing: FencingMap = options.fencing ?? new Map<string, number>()
  const nextFencing = options.nextFencing ?? ((last: number) => last + 1)
  return Lock.of({
    acquire: (key, ttlMs) =>
      Effect.map(Effect.zip(Clock.currentTimeMillis, Random.next), ([now, random01]) => {
        const current = held.get(key)
        if (current !== undefined && current.expiresAtMs > now) return Option.none()
        const next = nextFencing(fencing.get(key) ?? 0, now)
        fencing.set(key, next)
        const lease: Lease = { key, token: newToken(now, random01), fencing: next, expiresAtMs: now + ttlMs }
        held.set(key, { token: lease.token, expiresAtMs: lease.expiresAtMs })
        return Option.some(lease)
      }),
    release: (lease) =>
      Effect.sync(() => {
        const current = held.get(lease.key)
        if (current === undefined || current.token !== lease.token) return false
        held.delete(lease.key)
        return true
      }),
    extend: (lease, ttlMs) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const current = held.get(lease.key)
        if (current === undefined || current.token !== lease.token || current.expiresAtMs <= now) return Option.none()
        const extended = { ...lease, expiresAtMs: now + ttlMs }
        held.set(lease.key, { token: lease.token, expiresAtMs: extended.expiresAtMs })
        return Option.some(extended)
      })
  })
}

export const makeMemory: Effect.Effect<Lock["Type"]> = Effect.sync(() => makeInProcess())

export const layerMemory: Layer.Layer<Lock> = Layer.effect(Lock, makeMemory)
