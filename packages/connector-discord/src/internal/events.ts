/**
 * Emitting engine events from the connector. The `EventLog` is optional: when the connector's layer was
 * built without one (the usual `Engine.layerMemory(...).pipe(Layer.provide(DiscordLive.layer(...)))`
 * composition builds the connector first), the log of the calling fiber is used, which is the engine's.
 */
import { Effect, Option } from "effect"
import { EventLog } from "@guildpulse/core"
import type { EventInput } from "@guildpulse/core"

export type Emit = (event: EventInput) => Effect.Effect<void>

export const makeEmitter: Effect.Effect<Emit> = Effect.map(Effect.serviceOption(EventLog.EventLog), (constructed) =>
  Option.match(constructed, {
    onSome: (log) => log.emit,
    onNone: () => (event: EventInput) =>
      Effect.flatMap(Effect.serviceOption(EventLog.EventLog), (ambient) =>
        Option.isSome(ambient) ? ambient.value.emit(event) : Effect.void
      )
  })
)
