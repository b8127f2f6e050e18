/** Test doubles: the shared scriptable source and an instrumented in-memory engine around it. */
import { Layer } from "effect"
import { fromInput } from "@guildpulse/core"
import type { Engine, GuildId, StatsSource, InviteCode, Profile, ProfileKey, UpstreamSource } from "@guildpulse/core"
import { layerScripted, TestSource } from "@guildpulse/core/testing"
import type { Behaviour } from "@guildpulse/core/testing"
import * as Observability from "../src/Observability.js"
import type * as Telemetry from "../src/Telemetry.js"

export { healthy, layerScripted } from "@guildpulse/core/testing"
export type { Behaviour, Script } from "@guildpulse/core/testing"
export { TestSource }

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
): Layer.Layer<Engine.Services | Telemetry.Telemetry | StatsSource.StatsSource | TestSource> =>
  Observability.engineMemory({ profiles: [profile()], tokens: { main: "sandbox-token" }, scheduler: false, ...options }, { log: false }).pipe(
    Layer.provideMerge(layerScripted(options.initial))
  )

export const T0 = Date.UTC(2026, 10, 25, 12)
