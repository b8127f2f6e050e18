/**
 * Shared fixtures of every package's tests: domain values (a profile, a snapshot) and a scriptable
 * `StatsSource` whose answers a test sets per source and whose calls it counts.
 */
import { Context, Duration, Effect, Layer } from "effect"
import { fromInput, ProfileKey, StatsSource, UpstreamError } from "../index.js"
import type { GuildId, InviteCode, Profile, Snapshot, StatsFields, UpstreamSource } from "../index.js"

/**
 * A profile key of a test, checked (a malformed one throws at once): what a test passes to a port that takes a
 * `ProfileKey`, instead of a cast.
 */
export const profileKey = (key: string): ProfileKey => ProfileKey.make(key)

export const profileFixture = (key: string, overrides: Partial<Profile> = {}): Profile => ({
  ...fromInput(
    {
      key: key as ProfileKey,
      label: `Profile ${key}`,
      guildId: "123456789012345678" as GuildId,
      inviteCode: "abc" as InviteCode,
      refresh: { ttlSeconds: 60 },
      fallback: { demo: "never" }
    },
    "2026-11-25T00:00:00.000Z"
  ),
  ...overrides
})

export const snapshotFixture = (profile: string, attemptedAtMs = Date.UTC(2026, 10, 25, 12)): Snapshot => ({
  profile: profileKey(profile),
  guildId: "123456789012345678",
  fields: { online: 120, members: 1500, name: "Guild <b>", presence: { online: 60, idle: 25, dnd: 15, sampleSize: 100 }, boostTier: 1 },
  provenance: {
    online: { source: "widget", fetchedAtMs: attemptedAtMs - 10 },
    members: { source: "bot", fetchedAtMs: attemptedAtMs - 20 },
    name: { source: "bot", fetchedAtMs: attemptedAtMs - 20 }
  },
  sources: [
    { source: "widget", ok: true, atMs: attemptedAtMs - 10, durationMs: 85, attempts: 1 },
    { source: "bot", ok: false, atMs: attemptedAtMs, error: "rate_limited", status: 429, retryAfterMs: 3200 }
  ],
  attemptedAtMs,
  lastSuccessAtMs: attemptedAtMs - 10,
  lastError: { reason: "rate_limited", message: "429", atMs: attemptedAtMs },
  consecutiveFailures: 0,
  nextRefreshAtMs: attemptedAtMs + 54_000,
  reasons: ["rate_limited"],
  profileVersion: 1
})

export type Behaviour =
  | { readonly _tag: "ok"; readonly fields: StatsFields; readonly delayMs?: number }
  | { readonly _tag: "fail"; readonly error: Omit<ConstructorParameters<typeof UpstreamError>[0], "source">; readonly delayMs?: number }

export interface Script {
  readonly set: (source: UpstreamSource, behaviour: Behaviour) => void
  /** The same behaviour for every source. */
  readonly setAll: (behaviour: Behaviour) => void
  readonly calls: Record<UpstreamSource, number>
}

export class TestSource extends Context.Tag("@guildpulse/core/testing/TestSource")<TestSource, Script>() {}

/** The three sources answering with consistent, plausible numbers. */
export const healthy: Record<UpstreamSource, Behaviour> = {
  widget: { _tag: "ok", fields: { online: 120, name: "Widget name", presence: { online: 60, idle: 25, dnd: 15, sampleSize: 100 } } },
  bot: { _tag: "ok", fields: { online: 118, members: 1500, name: "Guild", boosts: 4, boostTier: 1 } },
  invite: { _tag: "ok", fields: { online: 110, members: 1490, name: "Guild" } }
}

/** A scriptable `StatsSource` plus a handle to script it and count calls. */
export const layerScripted = (initial: Record<UpstreamSource, Behaviour> = healthy) => {
  const behaviours = new Map<UpstreamSource, Behaviour>(Object.entries(initial) as Array<[UpstreamSource, Behaviour]>)
  const calls: Record<UpstreamSource, number> = { widget: 0, bot: 0, invite: 0 }
  const script: Script = {
    set: (source, behaviour) => void behaviours.set(source, behaviour),
    setAll: (behaviour) => {
      for (const source of ["widget", "bot", "invite"] as const) behaviours.set(source, behaviour)
    },
    calls
  }
  const source = StatsSource.layerFunction((request) =>
    Effect.suspend(() => {
      calls[request.source] += 1
      const behaviour = behaviours.get(request.source)!
      const delay = behaviour.delayMs !== undefined ? Effect.sleep(Duration.millis(behaviour.delayMs)) : Effect.void
      return Effect.zipRight(
        delay,
        behaviour._tag === "ok" ? Effect.succeed(behaviour.fields) : Effect.fail(new UpstreamError({ ...behaviour.error, source: request.source }))
      )
    })
  )
  return Layer.merge(source, Layer.succeed(TestSource, script))
}

