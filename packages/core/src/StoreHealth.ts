/**
 * Port: whether the stores behind the engine can be used now, for readiness (`/readyz`). A store that
 * keeps serving from in-process copies while its backend is unreachable reports not ready here, so a load
 * balancer moves traffic elsewhere, while the engine keeps answering.
 */
import { Context, Effect, Layer } from "effect"

export interface StoreCheck {
  /** The store behind the engine: `memory`, `redis`, `sqlite`… */
  readonly store: string
  readonly ready: boolean
  /** Why not ready (never a secret or a URL with credentials). */
  readonly detail?: string
  /** When the current state began (epoch ms), when known. */
  readonly sinceMs?: number
}

export class StoreHealth extends Context.Tag("@guildpulse/core/StoreHealth")<
  StoreHealth,
  {
    readonly check: Effect.Effect<StoreCheck>
  }
>() {}

/** In-process stores are always ready. */
export const layerMemory: Layer.Layer<StoreHealth> = Layer.succeed(StoreHealth, StoreHealth.of({ check: Effect.succeed({ store: "memory", ready: true }) }))
