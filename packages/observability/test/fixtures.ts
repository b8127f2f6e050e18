/** Test doubles: a scriptable source and an instrumented in-memory engine around it. */
import { Context, Duration, Effect, Layer } from "effect"
import { fromInput, StatsSource, UpstreamError } from "@guildpulse/core"
import type { Engine, GuildId, InviteCode, Profile, ProfileKey, StatsFields, UpstreamSource } from "@guildpulse/core"
import * as Observability from "../src/Observability.js"

export type Behaviour =
  | { readonly _tag: "ok"; readonly fields: StatsFields; readonly delayMs?: number }
  | { readonly _tag: "fail"; readonly error: Omit<ConstructorParameters<typeof UpstreamError>[0], "source">; readonly delayMs?: number }

export interface Script {
  readonly set: (source: UpstreamSource, behaviour: Behaviour) => void
  readonly setAll: (behaviour: Behaviour) => void
  readonly calls: Record<UpstreamSource, number>
}

export class TestSource extends Context.Tag("test/TestSource")<TestSource, Script>() {}

export const healthy: Record<UpstreamSource, Behaviour> = {
  widget: { _tag: "ok", fields: { online: 120, name: "Widget name", presence: { online: 60, idle: 25, dnd: 15, sampleSize: 100 } } },
  bot: { _tag: "ok", fields: { online: 118, members: 1500, name: "Guild", boosts: 4, boostTier: 1 } },
  invite: { _tag: "ok", fields: { online: 110, members: 1490, name: "Guild" } }
}

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

export const profile = (overrides: Omit<Partial<Profile>, "key"> & { readonly key?: string } = {}): Profile => ({
  ...fromInput(
    {
      key: (overrides.key ?? "main") as ProfileKey,
      label: "Main",
      guildId: "123456789012345678" as GuildId,
      inviteCode: "abc" as InviteCode,
      refresh: { ttlSeconds: 60 },
      fallback: { demo: "never" }
    },
    "2026-11-25T00:00:00.000Z"
  ),
  ...overrides
} as Profile)

export const engine = (
  options: Engine.MemoryEngineOptions & { readonly initial?: Record<UpstreamSource, Behaviour> } = {}
) =>
  Observability.engineMemory({ profiles: [profile()], tokens: { main: "sandbox-token" }, scheduler: false, ...options }, { log: false }).pipe(
    Layer.provideMerge(layerScripted(options.initial))
  )

export const T0 = Date.UTC(2026, 10, 25, 12)
