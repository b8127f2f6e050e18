/**
 * Events are the logs: `EventLogging.layer` wraps the engine's `EventLog` so that every event emitted by the
 * use cases and the connector is, in order:
 *
 * 1. redacted (message and string fields through the redaction guard — an error message echoing an
 *    `Authorization` header never reaches the store or `/v1/events`);
 * 2. correlated — `traceId`/`spanId` of the current span are added;
 * 3. stored by the wrapped `EventLog`;
 * 4. fed to `Telemetry` (the health windows);
 * 5. written on the current span as attributes — `outcome`, `status`, `retry`, `attempts`, `circuit.state` on
 *    an `upstream.<source>` span; `refresh.outcome` on `Refresher.round`;
 * 6. logged through Effect's logger at its level, the event's fields as annotations (so `Logging`'s JSON
 *    output carries them, and Effect's tracer logger turns them into span events).
 *
 * Install it between the stores and the use cases (see `Observability.engineMemory`), so that every service
 * emits through it.
 */
import { Effect, Layer, LogLevel, Option } from "effect"
import { EventLog } from "@guildpulse/core"
import type { EventInput, EventLevel, GuildPulseEvent } from "@guildpulse/core"
import { redactText } from "./Redaction.js"
import { Telemetry } from "./Telemetry.js"
import * as TelemetryModule from "./Telemetry.js"

export interface EventLoggingOptions {
  /** Log every event through Effect's logger (default true). */
  readonly log?: boolean
  /** Annotate the current span with the event's fields (default true). */
  readonly annotateSpans?: boolean
}

const logLevels: Record<EventLevel, LogLevel.LogLevel> = {
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warn: LogLevel.Warning,
  error: LogLevel.Error
}

const redactEvent = <E extends EventInput>(event: E): E => {
  const out: Record<string, unknown> = { ...event, message: redactText(event.message) }
  for (const key of ["outcome", "source", "jobId"] as const) {
    const value = event[key]
    if (typeof value === "string") out[key] = redactText(value)
  }
  return out as E
}

/** The event's fields as log annotations (the message is the log message). */
const annotations = (event: EventInput): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(event)) {
    if (key === "message" || key === "level" || value === undefined) continue
    out[key] = value
  }
  return out
}

const spanAttributes = (event: EventInput, circuitState: string | undefined): Record<string, unknown> => {
  switch (event.type) {
    case "upstream.request":
    case "upstream.attempt":
      return {
        outcome: event.outcome,
        ...(event.status !== undefined ? { status: event.status, "http.response.status_code": event.status } : {}),
        ...(event.attempt !== undefined ? { attempts: event.attempt, retry: Math.max(0, event.attempt - 1) } : {}),
        ...(event.rateLimit?.remaining !== undefined ? { "ratelimit.remaining": event.rateLimit.remaining } : {}),
        ...(event.durationMs !== undefined ? { "duration.ms": event.durationMs } : {}),
        ...(event.retryAfterMs !== undefined ? { "retry_after.ms": event.retryAfterMs } : {}),
        ...(event.discordCode !== undefined ? { "discord.code": event.discordCode } : {}),
        "circuit.state": circuitState ?? "closed"
      }
    case "circuit.transition":
      return event.circuit === undefined ? {} : { "circuit.from": event.circuit.from, "circuit.state": event.circuit.to }
    case "refresh.succeeded":
    case "refresh.failed":
      return { "refresh.outcome": event.outcome ?? event.type.slice("refresh.".length) }
    case "ratelimit.hit":
      return {
        ...(event.rateLimit?.scope !== undefined ? { "ratelimit.scope": event.rateLimit.scope } : {}),
        ...(event.rateLimit?.bucket !== undefined ? { "ratelimit.bucket": event.rateLimit.bucket } : {}),
        ...(event.retryAfterMs !== undefined ? { "retry_after.ms": event.retryAfterMs } : {})
      }
    default:
      return {}
  }
}

export const make = (inner: EventLog.EventLog["Type"], telemetry: Telemetry["Type"], options: EventLoggingOptions = {}) => {
  const log = options.log !== false
  const annotate = options.annotateSpans !== false
  const emit = (input: EventInput): Effect.Effect<void> =>
    Effect.gen(function* () {
      const span = yield* Effect.option(Effect.currentSpan)
      const redacted = redactEvent(input)
      const event: EventInput =
        Option.isSome(span) && redacted.traceId === undefined
          ? { ...redacted, traceId: span.value.traceId, spanId: span.value.spanId }
          : redacted
      const ts = event.ts ?? new Date(yield* Effect.clockWith((clock) => clock.currentTimeMillis)).toISOString()
      const stored: GuildPulseEvent = { ...event, ts }
      yield* inner.emit(stored)
      yield* telemetry.recordEvent(stored)
      if (annotate && Option.isSome(span)) {
        const circuit =
          (event.type === "upstream.request" || event.type === "upstream.attempt") && event.profile !== undefined && event.source !== undefined
            ? yield* telemetry.circuit(event.profile, event.source)
            : undefined
        const attributes = spanAttributes(event, circuit?.state)
        for (const [key, value] of Object.entries(attributes)) {
          if (value !== undefined) span.value.attribute(key, value)
        }
      }
      if (log) {
        yield* Effect.logWithLevel(logLevels[event.level], event.message).pipe(Effect.annotateLogs(annotations(stored)))
      }
    })
  return EventLog.EventLog.of({ emit, query: inner.query })
}

/**
 * Wraps the `EventLog` it is given; also provides the `Telemetry` it feeds. Layer it over the stores:
 * `EventLogging.layer().pipe(Layer.provideMerge(stores))` — the wrapped log replaces the inner one.
 */
export const layer = (
  options: EventLoggingOptions & TelemetryModule.TelemetryOptions = {}
): Layer.Layer<EventLog.EventLog | Telemetry, never, EventLog.EventLog> =>
  Layer.effect(
    EventLog.EventLog,
    Effect.gen(function* () {
      const inner = yield* EventLog.EventLog
      const telemetry = yield* Telemetry
      return make(inner, telemetry, options)
    })
  ).pipe(Layer.provideMerge(TelemetryModule.layer(options)))
