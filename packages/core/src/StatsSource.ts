/**
 * Port: fetch one Discord source for a profile. One call is one attempt; retry, timeouts and the circuit
 * breaker are applied around it by the `Refresher`.
 */
import { Context, Effect, Layer, Redacted } from "effect"
import { UpstreamError } from "./Errors.js"
import type { SourceStats, StatsFields, UpstreamSource } from "./GuildStats.js"
import type { Profile } from "./Profile.js"

export interface SourceRequest {
  readonly source: UpstreamSource
  readonly profile: Profile
  /** The profile's bot token, when the vault has one. */
  readonly token?: Redacted.Redacted<string> | undefined
}

export class StatsSource extends Context.Tag("@guildpulse/core/StatsSource")<
  StatsSource,
  {
    readonly fetch: (request: SourceRequest) => Effect.Effect<SourceStats, UpstreamError>
  }
>() {}

/** Sources that need a bot token. */
export const requiresToken = (source: UpstreamSource): boolean => source === "bot"

/**
 * A source driven by a function of the request — for tests and examples. Returning `undefined` for a source
 * makes it fail as `not_found`.
 */
export const layerFunction = (
  f: (request: SourceRequest) => Effect.Effect<StatsFields | undefined, UpstreamError>
): Layer.Layer<StatsSource> =>
  Layer.succeed(
    StatsSource,
    StatsSource.of({
      fetch: (request) =>
        Effect.flatMap(f(request), (fields) =>
          fields === undefined
            ? Effect.fail(new UpstreamError({ source: request.source, reason: "not_found", status: 404, message: "no such source in fixture" }))
            : Effect.map(Effect.clockWith((clock) => clock.currentTimeMillis), (fetchedAtMs) => ({
                source: request.source,
                fetchedAtMs,
                fields
              }))
        )
    })
  )

/** A source answering fixed fields per source name. */
export const layerFixed = (fixture: Partial<Record<UpstreamSource, StatsFields>>): Layer.Layer<StatsSource> =>
  layerFunction((request) => Effect.succeed(fixture[request.source]))

