/**
 * A full refresh cycle with a sandbox bot token, every output captured — logger lines (JSON and pretty, all
 * levels), anything written to stdout/stderr or the console, exported spans, stored events, the health
 * report, the metrics page, alert deliveries — and the token must appear nowhere.
 */
import { afterAll, afterEach, assert, beforeAll, beforeEach, describe, it, vi } from "@effect/vitest"
import { Effect, Layer, LogLevel, Redacted } from "effect"
import { Profiles, Refresher, Stats, StatsSource, UpstreamError } from "@guildpulse/core"
import type { ProfileKey } from "@guildpulse/core"
import * as Observability from "../src/Observability.js"
import { ObservabilityHttp } from "../src/ObservabilityHttp.js"
import * as WebhookNotifier from "../src/WebhookNotifier.js"
import { Alerts } from "../src/Alerts.js"
import { redactText } from "../src/Redaction.js"
import { writeFileSync } from "node:fs"
import { profile, profileKey } from "./fixtures.js"
import { otlpSpans, startReceiver, type Receiver } from "./servers.js"

const TOKEN = "sandbox-bot-token-XYZ"

describe("no secret in any output of a refresh cycle", () => {
  let collector: Receiver
  let hooks: Receiver
  const written: Array<string> = []
  beforeAll(async () => {
    collector = await startReceiver()
    hooks = await startReceiver()
  })
  afterAll(async () => {
    await collector.close()
    await hooks.close()
  })
  beforeEach(() => {
    written.length = 0
    const capture = (chunk: unknown) => {
      written.push(String(chunk))
      return true
    }
    vi.spyOn(process.stdout, "write").mockImplementation(capture as never)
    vi.spyOn(process.stderr, "write").mockImplementation(capture as never)
    for (const method of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, method).mockImplementation((...args: Array<unknown>) => void written.push(args.map(String).join(" ")))
    }
  })
  afterEach(() => {
    vi.restoreAllMocks()
  })

  for (const format of ["json", "pretty"] as const) {
    it.live(`${format} logs, spans, events, health, metrics and alerts stay clean`, () =>
      Effect.gen(function* () {
        const lines: Array<string> = []
        let round = 0
        const seenTokens: Array<string> = []
        // A source that uses the token — and misbehaves the way a sloppy HTTP client would, echoing it.
        const source = StatsSource.layerFunction((request) =>
          Effect.gen(function* () {
            if (request.source !== "bot") return { online: 10, members: 20 }
            if (request.token === undefined) return yield* new UpstreamError({ source: "bot", reason: "unauthorized", message: "no token" })
            seenTokens.push(Redacted.value(request.token))
            yield* Effect.logDebug("calling Discord", { token: request.token, headers: { Authorization: `Bot ${Redacted.value(request.token)}` } })
            round += 1
            if (round === 1) return { online: 12, members: 34 }
            return yield* new UpstreamError({
              source: "bot",
              reason: "unauthorized",
              status: 401,
              message: `401 Unauthorized for GET /guilds/123 with Authorization: Bot ${Redacted.value(request.token)}`
            })
          })
        )
        const telemetry = Observability.layerTelemetry({
          logging: { format, level: LogLevel.All, sink: (line) => void lines.push(line), colors: format === "pretty" },
          tracing: { endpoint: collector.url, processor: "simple" }
        })
        const channels = [WebhookNotifier.make({ url: Redacted.make(`${hooks.url}/hook`), secret: Redacted.make("whsec_x"), policy: { allow: ["127.0.0.1"], allowHttp: true } })]
        const app = Observability.layer({ channels, alerts: { run: false }, digest: { run: false }, recorder: false, notifier: { retry: { baseDelayMs: 5 } } }).pipe(
          Layer.provideMerge(
            Observability.engineMemory({
              profiles: [profile({ key: "main" })],
              tokens: { main: TOKEN },
              scheduler: false
            })
          ),
          Layer.provide(source),
          Layer.provide(telemetry)
        )
        const outputs = yield* Effect.gen(function* () {
          const refresher = yield* Refresher.Refresher
          const stats = yield* Stats.Stats
          yield* refresher.refresh(profileKey("main"))
          yield* stats.get("main")
          yield* refresher.refresh(profileKey("main"))
          yield* refresher.refresh(profileKey("main"))
          yield* stats.get("main", { bypassCache: true })
          yield* (yield* Profiles.Profiles).update("main" as ProfileKey, { label: "Renamed" })
          // A changed profile re-probes its misconfigured bot once (whichever of this and the scheduler's round runs it).
          yield* refresher.refresh(profileKey("main"))
          yield* (yield* Alerts).sendTest()
          const http = yield* ObservabilityHttp
          const bodies = yield* Effect.all([http.health(), http.metrics(), http.events({ limit: "1000" }), http.events({ level: "debug", limit: "1000" })])
          return bodies.map((b) => b.body)
        }).pipe(Effect.provide(app), Effect.scoped)
        // Round 2 answers 401: the bot circuit turns misconfigured and later rounds skip the bot — until the
        // profile changes, which re-probes it once (401 again).
        assert.strictEqual(seenTokens.length, 3, "the source did receive the token")
        assert.isTrue(seenTokens.every((t) => t === TOKEN))
        const spans = otlpSpans(collector.requests)
        assert.isAbove(spans.length, 5, "spans were exported")
        assert.isAbove(lines.length, 10, "logs were written")
        assert.isTrue(lines.some((l) => l.includes("upstream.request")), "debug events were logged")
        assert.isTrue(lines.some((l) => l.includes("Authorization: <redacted>")), "the echoed header was masked, not dropped")
        if (process.env["SHOW_LOGS"] !== undefined) writeFileSync(`${process.env["SHOW_LOGS"]}.${format}.log`, lines.join("\n"))
        const everything = [
          ...lines,
          ...written,
          ...collector.requests.map((r) => r.body),
          ...hooks.requests.map((r) => `${JSON.stringify(r.headers)} ${r.body}`),
          ...outputs
        ].join("\n")
        assert.notInclude(everything, TOKEN)
        assert.notInclude(everything, "sandbox-bot-token")
        collector.requests.length = 0
      }))
  }

  it("the redaction guard masks tokens, keys and hook secrets in free text", () => {
    const text = [
      "Authorization: Bot MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz012345",
      "Bearer eyJhbGciOi.payload.sig",
      "key gp_ab12_SECRETSECRET used",
      "https://discord.com/api/webhooks/123456/AbC-dEf_gHi",
      "https://hooks.slack.com/services/T000/B000/XXXXXXXX",
      "smtp://alerts:hunter22@mail.example:587",
      'token=abc123 "secret": "s3cr3t"'
    ].join("\n")
    const out = redactText(text)
    for (const leaked of ["MTIzNDU2Nzg5MDEyMzQ1Njc4", "eyJhbGciOi", "SECRETSECRET", "AbC-dEf_gHi", "XXXXXXXX", "hunter22", "abc123", "s3cr3t"]) {
      assert.notInclude(out, leaked)
    }
    assert.include(out, "discord.com/api/webhooks/123456/<redacted>")
  })
})
