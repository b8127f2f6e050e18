/**
 * Test fixtures: an engine with in-memory stores, a `StatsSource` whose behaviour a test switches at will,
 * on Effect's `TestClock`: time stands still unless a test moves it, so ages, ETags, Cache-Control and the
 * public budget are the same on every run, and freshness ages without waiting.
 */
import { Engine, fromInput, ProfileInput, StatsSource, UpstreamError, type Profile, type StatsFields, type UpstreamReason } from "@guildpulse/core"
import { Duration, Effect, Layer, ManagedRuntime, Redacted, Schema, TestClock, TestContext } from "effect"
import { createServer, type ServerOptions } from "../src/index.js"

export const ADMIN_KEY = "test-admin-key-0123456789abcdef"
export const BOT_TOKEN = "MTIzNDU2Nzg5.BOT-TOKEN-SECRET.xyz"
export const GUILD_ID = "123456789012345678"

export const makeProfile = (input: Record<string, unknown>): Profile =>
  fromInput(Schema.decodeUnknownSync(ProfileInput)(input), "2026-01-01T00:00:00.000Z")

export type SourceMode =
  | { readonly _tag: "healthy" }
  | { readonly _tag: "failing"; readonly reason: UpstreamReason; readonly retryAfterMs?: number; readonly status?: number }

export const healthyFields = (source: string): StatsFields | undefined => {
  switch (source) {
    case "widget":
      return { name: "Test <Guild>", online: 1234, presence: { online: 60, idle: 25, dnd: 15, sampleSize: 100 }, instantInvite: "https://discord.gg/abc" }
    case "bot":
      return { name: "Test <Guild>", members: 56789, boosts: 14, boostTier: 3 }
    default:
      return undefined
  }
}

export const makeSource = () => {
  let mode: SourceMode = { _tag: "healthy" }
  let calls = 0
  const tokensSeen: Array<string> = []
  const layer = StatsSource.layerFunction((request) =>
    Effect.suspend(() => {
      calls += 1
      if (request.token !== undefined) tokensSeen.push(Redacted.value(request.token))
      if (mode._tag === "healthy") return Effect.succeed(healthyFields(request.source))
      return Effect.fail(
        new UpstreamError({
          source: request.source,
          reason: mode.reason,
          message: `test failure: ${mode.reason}`,
          ...(mode.retryAfterMs !== undefined ? { retryAfterMs: mode.retryAfterMs } : {}),
          ...(mode.status !== undefined ? { status: mode.status } : {})
        })
      )
    })
  )
  return {
    layer,
    set: (next: SourceMode) => void (mode = next),
    calls: () => calls,
    tokensSeen
  }
}

/** Where the TestClock of every harness starts. */
export const START_MS = Date.parse("2026-06-01T12:00:00.000Z")

/** Moves the engine's TestClock (and runs what was due meanwhile). */
const clockOf = (runtime: ManagedRuntime.ManagedRuntime<Engine.Services, never>) => ({
  advance: (ms: number): Promise<void> => runtime.runPromise(TestClock.adjust(Duration.millis(ms)))
})

export const testRetry = {
  retry: { maxRetries: 0, baseDelayMs: 1, factor: 2, maxDelayMs: 1, maxInlineRetryAfterMs: 0, attemptTimeoutMs: 2000 },
  lockLeaseMs: 2000,
  lockPollMs: 10
}

export const defaultProfiles = (): ReadonlyArray<Profile> => [
  makeProfile({ key: "main", label: "Main <b>server</b>", guildId: GUILD_ID, sources: { invite: false }, refresh: { ttlSeconds: 60 } }),
  makeProfile({ key: "cold", label: "Cold", guildId: "223456789012345678", sources: { invite: false }, fallback: { demo: "never" } }),
  makeProfile({ key: "demo", label: "Demo", guildId: "323456789012345678", sources: { invite: false }, fallback: { demo: "when-empty" } }),
  makeProfile({ key: "secret", label: "Hidden", guildId: "423456789012345678", sources: { invite: false }, public: false })
]

export interface Harness {
  readonly app: ReturnType<typeof createServer>["app"]
  readonly router: ReturnType<typeof createServer>["router"]
  readonly source: ReturnType<typeof makeSource>
  readonly clock: ReturnType<typeof clockOf>
  readonly runtime: ManagedRuntime.ManagedRuntime<Engine.Services, never>
  readonly close: () => Promise<void>
}

export const makeHarness = async (
  options: Partial<ServerOptions> & { readonly profiles?: ReadonlyArray<Profile>; readonly scheduler?: false } = {}
): Promise<Harness> => {
  const source = makeSource()
  const layer = Engine.layerMemory({
    scheduler: options.scheduler ?? false,
    profiles: options.profiles ?? defaultProfiles(),
    tokens: { main: BOT_TOKEN, cold: BOT_TOKEN, demo: BOT_TOKEN, secret: BOT_TOKEN },
    refresher: testRetry
  }).pipe(Layer.provide(source.layer), Layer.provideMerge(TestContext.TestContext))
  const runtime = ManagedRuntime.make(layer)
  await runtime.runPromise(TestClock.setTime(START_MS))
  const clock = clockOf(runtime)
  const { profiles: _p, scheduler: _s, ...rest } = options
  const server = createServer({ adminKey: Redacted.make(ADMIN_KEY), ...rest, runtime } as ServerOptions)
  await server.router.ready
  return { app: server.app, router: server.router, source, clock, runtime, close: () => runtime.dispose() }
}

export const auth = { Authorization: `Bearer ${ADMIN_KEY}` }
