/** Test doubles for the core's unit tests: the shared scriptable source and an engine around it. */
import { Layer } from "effect"
import { Engine } from "../src/index.js"
import type { Profile, UpstreamSource } from "../src/index.js"
import { layerScripted, profileFixture } from "../src/testing/index.js"
import type { Behaviour } from "../src/testing/index.js"

export { healthy, layerScripted, profileKey, TestSource } from "../src/testing/index.js"
export type { Behaviour, Script } from "../src/testing/index.js"

export const profile = (overrides: Partial<Profile> = {}): Profile => profileFixture("main", { label: "Main", ...overrides })

export const engine = (options: Engine.MemoryEngineOptions & { readonly initial?: Record<UpstreamSource, Behaviour> } = {}) =>
  Engine.layerMemory({ profiles: [profile()], tokens: { main: "sandbox-token" }, scheduler: false, ...options }).pipe(
    Layer.provideMerge(layerScripted(options.initial))
  )
