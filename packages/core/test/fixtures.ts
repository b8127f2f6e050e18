/** Test doubles for the core's unit tests: the shared scriptable source and an engine around it. */
import { Layer } from "effect"
import { Engine, fromInput } from "../src/index.js"
import type { GuildId, InviteCode, Profile, ProfileKey, UpstreamSource } from "../src/index.js"
import { layerScripted } from "../src/testing/index.js"
import type { Behaviour } from "../src/testing/index.js"

export { healthy, layerScripted, TestSource } from "../src/testing/index.js"
export type { Behaviour, Script } from "../src/testing/index.js"

export const profile = (overrides: Partial<Profile> = {}): Profile => ({
  ...fromInput(
    {
      key: "main" as ProfileKey,
      label: "Main",
      guildId: "123456789012345678" as GuildId,
      inviteCode: "abc" as InviteCode,
      refresh: { ttlSeconds: 60 },
      fallback: { demo: "never" }
    },
    "2026-11-25T00:00:00.000Z"
  ),
  ...overrides
})

export const engine = (options: Engine.MemoryEngineOptions & { readonly initial?: Record<UpstreamSource, Behaviour> } = {}) =>
  Engine.layerMemory({ profiles: [profile()], tokens: { main: "sandbox-token" }, scheduler: false, ...options }).pipe(
    Layer.provideMerge(layerScripted(options.initial))
  )
