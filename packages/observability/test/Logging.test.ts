import { assert, describe, it } from "@effect/vitest"
import { Config, ConfigProvider, Effect, Layer, LogLevel } from "effect"
import { EventLog } from "@guildpulse/core"
import * as EventLogging from "../src/EventLogging.js"
import * as Logging from "../src/Logging.js"

const emitSome = Effect.gen(function* () {
  const events = yield* EventLog.EventLog
  yield* events.emit({ level: "debug", type: "upstream.request", profile: "main", source: "widget", outcome: "ok", durationMs: 85, attempt: 1, message: "widget answered in 85 ms" })
  yield* events.emit({ level: "warn", type: "refresh.failed", profile: "main", outcome: "failed", retryAfterMs: 3200, message: "refresh failed (rate_limited); next attempt in 60 s" })
  yield* events.emit({ level: "error", type: "scheduler.dead_letter", profile: "main", jobId: "main", message: "parked" })
})

const withLogging = (options: Logging.LoggingOptions) =>
  EventLogging.layer().pipe(Layer.provide(EventLog.layerMemory()), Layer.provideMerge(Logging.layer(options)))

describe("Logging", () => {
  it.effect("json: one object per event through Effect's JSON logger, event fields as annotations, level filtered", () => {
    const lines: Array<string> = []
    return Effect.gen(function* () {
      yield* emitSome.pipe(Effect.withSpan("Refresher.round"))
      assert.strictEqual(lines.length, 2, "the debug event is below the info level")
      const [warn, error] = lines.map((l) => JSON.parse(l) as { message: string; logLevel: string; timestamp: string; annotations: Record<string, unknown> })
      assert.strictEqual(warn!.message, "refresh failed (rate_limited); next attempt in 60 s")
      assert.strictEqual(warn!.logLevel, "WARN")
      assert.include(warn!.annotations, { type: "refresh.failed", profile: "main", outcome: "failed", retryAfterMs: 3200 })
      assert.match(String(warn!.annotations["traceId"]), /^[0-9a-f]{32}$/, "correlated with the current trace")
      assert.strictEqual(error!.logLevel, "ERROR")
      assert.strictEqual(error!.annotations["jobId"], "main")
      // The stored events carry the trace ids too.
      const stored = yield* (yield* EventLog.EventLog).query({})
      assert.isTrue(stored.events.every((e) => e.traceId !== undefined && e.spanId !== undefined))
    }).pipe(Effect.provide(withLogging({ format: "json", level: LogLevel.Info, sink: (line) => void lines.push(line) })))
  })

  it.effect("pretty: Effect's pretty logger, readable lines, no colours when asked", () => {
    const lines: Array<string> = []
    return Effect.gen(function* () {
      yield* emitSome
      const text = lines.join("\n")
      assert.match(lines[0]!, /^\[\d{2}:\d{2}:\d{2}\.\d{3}\] DEBUG \(#\d+\): widget answered in 85 ms$/)
      assert.include(text, "  type: upstream.request")
      assert.include(text, "  durationMs: 85")
      assert.match(text, /WARN \(#\d+\): refresh failed/)
      assert.notInclude(text, "\u001b[")
    }).pipe(Effect.provide(withLogging({ format: "pretty", level: LogLevel.Debug, colors: false, sink: (line) => void lines.push(line) })))
  })

  it.effect("LOG_FORMAT and LOG_LEVEL from config; invalid values fail at startup", () =>
    Effect.gen(function* () {
      const lines: Array<string> = []
      const provider = ConfigProvider.fromMap(new Map([["LOG_FORMAT", "json"], ["LOG_LEVEL", "warn"]]))
      yield* Effect.gen(function* () {
        yield* Effect.logInfo("hidden")
        yield* Effect.logWarning("shown")
      }).pipe(Effect.provide(Logging.layerConfig({ ...Logging.fromEnv, sink: Config.succeed((line: string) => void lines.push(line)) })), Effect.withConfigProvider(provider))
      assert.deepStrictEqual(lines.map((l) => (JSON.parse(l) as { message: string }).message), ["shown"])
      const bad = yield* Effect.flip(
        Layer.build(Logging.layerConfig()).pipe(Effect.scoped, Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["LOG_LEVEL", "chatty"]]))))
      )
      assert.include(String(bad), "LOG_LEVEL must be one of")
      const badFormat = yield* Effect.flip(
        Layer.build(Logging.layerConfig()).pipe(Effect.scoped, Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["LOG_FORMAT", "xml"]]))))
      )
      assert.include(String(badFormat), "LOG_FORMAT")
    }))

  it.effect("known secrets are masked wherever they appear", () => {
    const lines: Array<string> = []
    return Effect.logError("login failed for hunter2-password-xyz").pipe(
      Effect.provide(Logging.layer({ format: "json", sink: (line) => void lines.push(line), secrets: ["hunter2-password-xyz"] })),
      Effect.tap(() => {
        assert.notInclude(lines.join(""), "hunter2-password-xyz")
        assert.include(lines.join(""), "login failed for <redacted>")
      })
    )
  })
})
