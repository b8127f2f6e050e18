/**
 * Whether Redis is reachable, for `/readyz` and health, and one `store.state` event per transition (never one
 * per request). While the Redis-backed `EventLog` is itself down, the "disconnected" event waits in its buffer
 * and is written when Redis returns, just before the "connected" one.
 */
import { Context, Effect, Layer, Queue, Stream } from "effect"
import { EventLog, StoreHealth } from "@guildpulse/core"
import { changes, RedisConnection, type ConnectionState } from "./RedisConnection.js"

export interface RedisHealthStatus {
  readonly connected: boolean
  /** Start of the current state, ISO-8601. */
  readonly since: string
  readonly sinceMs: number
  readonly lastError?: string
}

export class RedisHealth extends Context.Tag("@guildpulse/store-redis/RedisHealth")<
  RedisHealth,
  {
    readonly status: Effect.Effect<RedisHealthStatus>
    /** True while Redis is connected (what `/readyz` reports). */
    readonly ready: Effect.Effect<boolean>
    /** The current status, then every change. */
    readonly changes: Stream.Stream<RedisHealthStatus>
  }
>() {}

const toStatus = (state: ConnectionState): RedisHealthStatus => ({
  connected: state.connected,
  since: new Date(state.sinceMs).toISOString(),
  sinceMs: state.sinceMs,
  ...(state.lastError !== undefined ? { lastError: state.lastError } : {})
})

export const make = Effect.gen(function* () {
  const connection = yield* RedisConnection
  const events = yield* EventLog.EventLog
  const transitions = yield* Effect.acquireRelease(Queue.unbounded<ConnectionState>(), Queue.shutdown)
  yield* connection.subscribe((state) => void transitions.unsafeOffer(state))

  const report = (state: ConnectionState) =>
    events.emit({
      level: state.connected ? "info" : "warn",
      type: "store.state",
      source: "redis",
      outcome: state.connected ? "connected" : "disconnected",
      ts: new Date(state.sinceMs).toISOString(),
      message: state.connected
        ? "Redis reachable again: shared state resumed"
        : `Redis unreachable${state.lastError !== undefined ? ` (${state.lastError})` : ""}: serving from in-process copies, not ready`
    })
  yield* Effect.forkScoped(Effect.forever(Effect.flatMap(Queue.take(transitions), report)))

  return RedisHealth.of({
    status: Effect.map(connection.state, toStatus),
    ready: Effect.sync(connection.isConnected),
    changes: Stream.map(changes(connection), toStatus)
  })
})

export const layer: Layer.Layer<RedisHealth, never, RedisConnection | EventLog.EventLog> = Layer.scoped(RedisHealth, make)

/** Core's `StoreHealth` port over `RedisHealth`: ready while Redis is connected. */
export const layerStoreHealth: Layer.Layer<StoreHealth.StoreHealth, never, RedisHealth> = Layer.effect(
  StoreHealth.StoreHealth,
  Effect.map(RedisHealth, (health) =>
    StoreHealth.StoreHealth.of({
      check: Effect.map(health.status, (status) => ({
        store: "redis",
        ready: status.connected,
        sinceMs: status.sinceMs,
        ...(status.connected ? {} : { detail: `Redis unreachable${status.lastError !== undefined ? ` (${status.lastError})` : ""}` })
      }))
    })
  )
)
