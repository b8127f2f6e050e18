/** Test harness: a real FakeDiscord sandbox per test and the connector pointed at it (no HTTP mocks). */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { Clock, Context, Duration, Effect, Fiber, Layer, Logger, LogLevel, Redacted, TestClock } from "effect"
import { fromInput } from "@guildpulse/core"
import type { GuildId, InviteCode, Profile, ProfileKey } from "@guildpulse/core"
import { DiscordLive } from "../src/index.js"
import type { DiscordConfig } from "../src/index.js"
import { FakeDiscord, type FakeDiscordOptions, type FakeDiscordServer, SANDBOX_BOT_TOKEN, SANDBOX_SECOND_BOT_TOKEN } from "../src/sandbox/index.js"

export class Sandbox extends Context.Tag("test/Sandbox")<Sandbox, FakeDiscordServer>() {}

/**
 * A sandbox on the test's clock unless told otherwise: the live clock under `it.live`, the `TestClock` under
 * `it.effect` — so the sandbox and the connector agree on time, and a test can move both at once.
 */
export const sandboxLayer = (options: FakeDiscordOptions = {}): Layer.Layer<Sandbox> =>
  Layer.scoped(
    Sandbox,
    Effect.flatMap(Effect.clock, (clock) =>
      Effect.acquireRelease(
        Effect.promise(() => FakeDiscord.start({ now: () => clock.unsafeCurrentTimeMillis(), ...options })),
        (server) => Effect.promise(() => server.stop())
      )
    )
  )

/** The connector (DiscordLive.layer) against the sandbox in context. */
export const connectorLayer = (options: Partial<DiscordConfig.DiscordOptions> = {}) =>
  Layer.unwrapEffect(Effect.map(Sandbox, (server) => DiscordLive.layer({ baseUrl: server.apiUrl, cdnUrl: server.cdnUrl, ...options })))

/** A fresh sandbox plus the connector against it. */
export const harness = (sandbox: FakeDiscordOptions = {}, options: Partial<DiscordConfig.DiscordOptions> = {}) =>
  connectorLayer(options).pipe(Layer.provideMerge(sandboxLayer(sandbox)), Layer.provideMerge(quiet))

/** Keeps the expected 429 warnings out of the test output. */
export const quiet = Logger.minimumLogLevel(LogLevel.Error)

/** Limits high enough to stay out of the way of scenario tests. */
const HIGH = { limit: 1_000, windowMs: 1_000 }
export const RELAXED: NonNullable<FakeDiscordOptions["limits"]> = {
  widget: HIGH,
  guild: HIGH,
  invite: HIGH,
  me: HIGH,
  globalPerSecond: 10_000,
  unauthenticatedPerSecond: 10_000
}
export const RELAXED_CLIENT: Partial<DiscordConfig.DiscordOptions> = {
  globalRequestsPerSecond: 10_000,
  unauthenticatedRequestsPerSecond: 10_000
}

export const botToken = Redacted.make(SANDBOX_BOT_TOKEN)
export const secondBotToken = Redacted.make(SANDBOX_SECOND_BOT_TOKEN)

export const profileFor = (guildId: string, options: { readonly inviteCode?: string; readonly key?: string; readonly ttlSeconds?: number } = {}): Profile =>
  fromInput(
    {
      key: (options.key ?? "main") as ProfileKey,
      label: "Sandbox guild",
      guildId: guildId as GuildId,
      ...(options.inviteCode !== undefined ? { inviteCode: options.inviteCode as InviteCode } : {}),
      refresh: { ttlSeconds: options.ttlSeconds ?? 60 },
      fallback: { demo: "never" }
    },
    "2026-01-01T00:00:00.000Z"
  )

export const sandboxStats = Effect.map(Sandbox, (s) => s.stats())

/** Requests the sandbox has seen so far (all routes). */
export const sandboxRequests = Effect.map(Sandbox, (s) => s.stats().totalRequests)

export interface RecordedRequest {
  readonly method: string
  readonly url: string
  readonly headers: IncomingMessage["headers"]
}

export interface ScriptedServer {
  readonly url: string
  readonly requests: Array<RecordedRequest>
}

/**
 * A plain node:http server answering each request with `respond` — for answer shapes the sandbox does not
 * produce (Retry-After forms) and for looking at what the connector sends. Scoped.
 */
export const scriptedServer = (respond: (req: IncomingMessage, res: ServerResponse, index: number) => void) =>
  Effect.acquireRelease(
    Effect.async<{ server: ReturnType<typeof createServer>; state: ScriptedServer }>((resume) => {
      const requests: Array<RecordedRequest> = []
      const server = createServer((req, res) => {
        requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers })
        respond(req, res, requests.length - 1)
      })
      server.listen(0, "127.0.0.1", () => {
        const port = (server.address() as AddressInfo).port
        resume(Effect.succeed({ server, state: { url: `http://127.0.0.1:${port}`, requests } }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ state }) => state))

export const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  const text = JSON.stringify(body)
  res.writeHead(status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)), ...headers })
  res.end(text)
}

/**
 * Runs `calls` concurrently on the TestClock (the sandbox runs on it too, see `sandboxLayer`) and moves the clock
 * only when nothing is in flight: to the earliest time a waiting call asked to wake. Rate-limit waits are
 * instant, and time never moves while a request is on the wire, so a busy machine cannot make the connector send
 * early by the sandbox's clock. Returns the results and the virtual time the burst took (a lower bound is exact;
 * how many extra windows a run takes depends on when the driver catches the calls idle, so no upper bound).
 */
export const onTestClock = <A, E, R>(calls: ReadonlyArray<Effect.Effect<A, E, R>>) =>
  Effect.gen(function* () {
    const sandbox = yield* Sandbox
    const sentBefore = sandbox.stats().totalRequests
    let completed = 0
    const startedAt = yield* Clock.currentTimeMillis
    const fiber = yield* Effect.fork(
      Effect.forEach(calls, (call) => Effect.ensuring(call, Effect.sync(() => void (completed += 1))), { concurrency: "unbounded" })
    )
    while (fiber.unsafePoll() === null) {
      // Let real I/O (requests to the sandbox, answers) progress.
      yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
      const inFlight = sandbox.stats().totalRequests - sentBefore - completed
      if (inFlight > 0) continue
      const wakes = [...(yield* TestClock.sleeps())]
      if (wakes.length === 0) continue
      const now = yield* Clock.currentTimeMillis
      yield* TestClock.adjust(Duration.millis(Math.max(0, Math.min(...wakes) - now)))
    }
    const value = yield* Fiber.join(fiber)
    return { value, elapsedMs: (yield* Clock.currentTimeMillis) - startedAt }
  })
