/** Test doubles: the shared scriptable source and an instrumented in-memory engine around it. */
import { Layer } from "effect"
import type { Engine, StatsSource, Profile, UpstreamSource } from "@guildpulse/core"
import { layerScripted, profileFixture, TestSource } from "@guildpulse/core/testing"
import type { Behaviour } from "@guildpulse/core/testing"
import * as Observability from "../src/Observability.js"
import type * as Telemetry from "../src/Telemetry.js"

export { healthy, layerScripted, profileKey } from "@guildpulse/core/testing"
export type { Behaviour, Script } from "@guildpulse/core/testing"
export { TestSource }

export const profile = (overrides: Omit<Partial<Profile>, "key"> & { readonly key?: string } = {}): Profile =>
  profileFixture(overrides.key ?? "main", { label: "Main", ...overrides } as Partial<Profile>)

export const engine = (
  options: Engine.MemoryEngineOptions & { readonly initial?: Record<UpstreamSource, Behaviour> } = {}
): Layer.Layer<Engine.Services | Telemetry.Telemetry | StatsSource.StatsSource | TestSource> =>
  Observability.engineMemory({ profiles: [profile()], tokens: { main: "sandbox-token" }, scheduler: false, ...options }, { log: false }).pipe(
    Layer.provideMerge(layerScripted(options.initial))
  )

export const T0 = Date.UTC(2026, 10, 25, 12)
