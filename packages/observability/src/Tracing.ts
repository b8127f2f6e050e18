/**
 * Traces over OTLP/HTTP (JSON) when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `…_TRACES_ENDPOINT`) is set; nothing
 * at all otherwise (Effect's spans stay in-process and cost next to nothing).
 *
 * Spans come from the engine (`Refresher.refresh`, `Refresher.round`, `upstream.<source>`), enriched by
 * `EventLogging` (outcome, status, retry, circuit state), and from this package (`Alerts.evaluate`,
 * `Notifier.deliver`, `Digest.send`). Every exported span passes a redacting exporter: attributes under
 * secret-sounding keys (`authorization`, `token`, …) are masked and string values pass the redaction guard;
 * the collector's own credentials (`OTEL_EXPORTER_OTLP_HEADERS`) are exporter configuration, read as
 * `Redacted`, and never become span data.
 */
import { Config, Effect, Layer, Option, Redacted } from "effect"
import type { ConfigError } from "effect"
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import type { Attributes, AttributeValue } from "@opentelemetry/api"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { BatchSpanProcessor, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base"
import { isSensitiveKey, REDACTED, redactText } from "./Redaction.js"

export interface TracingOptions {
  /** OTLP base endpoint; traces go to `<endpoint>/v1/traces`. */
  readonly endpoint?: string | undefined
  /** Full traces URL (takes precedence over `endpoint`). */
  readonly tracesEndpoint?: string | undefined
  readonly serviceName?: string
  readonly serviceVersion?: string
  /** Headers for the collector (e.g. an API key); values are secrets. */
  readonly headers?: Readonly<Record<string, Redacted.Redacted<string>>>
  /** `batch` (default) or `simple` (export each span as it ends — tests, short-lived CLIs). */
  readonly processor?: "batch" | "simple"
  /** Export through this exporter instead of OTLP (tests); still redacted. */
  readonly exporter?: SpanExporter
  readonly shutdownTimeoutMs?: number
}

export const DEFAULT_SERVICE_NAME = "guildpulse"

const redactAttribute = (key: string, value: AttributeValue | undefined): AttributeValue | undefined => {
  if (value === undefined) return undefined
  if (isSensitiveKey(key)) return REDACTED
  if (typeof value === "string") return redactText(value)
  if (Array.isArray(value)) return value.map((item) => (typeof item === "string" ? redactText(item) : item)) as AttributeValue
  return value
}

export const redactAttributes = (attributes: Attributes): Attributes => {
  const out: Attributes = {}
  for (const [key, value] of Object.entries(attributes)) out[key] = redactAttribute(key, value)
  return out
}

/** A copy of the span (same prototype, so every accessor keeps working) with redacted data. */
export const redactSpan = (span: ReadableSpan): ReadableSpan =>
  Object.create(span, {
    name: { value: redactText(span.name), enumerable: true },
    attributes: { value: redactAttributes(span.attributes), enumerable: true },
    events: {
      value: span.events.map((event) => ({
        ...event,
        name: redactText(event.name),
        ...(event.attributes !== undefined ? { attributes: redactAttributes(event.attributes) } : {})
      })),
      enumerable: true
    },
    status: {
      value: span.status.message !== undefined ? { ...span.status, message: redactText(span.status.message) } : span.status,
      enumerable: true
    }
  }) as ReadableSpan

/** Wraps an exporter so that nothing secret leaves the process in a span. */
export class RedactingSpanExporter implements SpanExporter {
  constructor(readonly inner: SpanExporter) {}
  export(spans: Array<ReadableSpan>, resultCallback: Parameters<SpanExporter["export"]>[1]): void {
    this.inner.export(spans.map(redactSpan), resultCallback)
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown()
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve()
  }
}

/** `<endpoint>/v1/traces`, as the OTLP specification derives the signal URL from the base endpoint. */
export const tracesUrl = (endpoint: string): string => `${endpoint.replace(/\/+$/, "")}/v1/traces`

/**
 * The tracing layer: an OpenTelemetry tracer provider behind Effect's tracer, exporting over OTLP/HTTP.
 * `Layer.empty` when neither an endpoint nor an exporter is given.
 */
export const layer = (options: TracingOptions): Layer.Layer<never> => {
  const url = options.tracesEndpoint ?? (options.endpoint !== undefined ? tracesUrl(options.endpoint) : undefined)
  if (url === undefined && options.exporter === undefined) return Layer.empty
  return Layer.discard(
    NodeSdk.layer(() => {
      const headers: Record<string, string> = {}
      for (const [key, value] of Object.entries(options.headers ?? {})) headers[key] = Redacted.value(value)
      const exporter = new RedactingSpanExporter(options.exporter ?? new OTLPTraceExporter({ url: url!, headers }))
      const spanProcessor = options.processor === "simple" ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter)
      return {
        resource: {
          serviceName: options.serviceName ?? DEFAULT_SERVICE_NAME,
          ...(options.serviceVersion !== undefined ? { serviceVersion: options.serviceVersion } : {})
        },
        spanProcessor,
        shutdownTimeout: options.shutdownTimeoutMs ?? 5_000
      }
    })
  )
}

/** Parses `OTEL_EXPORTER_OTLP_HEADERS` (`key=value,key2=value2`, values URL-encoded). */
export const parseHeaders = (text: string): Record<string, Redacted.Redacted<string>> => {
  const out: Record<string, Redacted.Redacted<string>> = {}
  for (const pair of text.split(",")) {
    const eq = pair.indexOf("=")
    if (eq <= 0) continue
    const key = pair.slice(0, eq).trim()
    const value = pair.slice(eq + 1).trim()
    try {
      out[key] = Redacted.make(decodeURIComponent(value))
    } catch {
      out[key] = Redacted.make(value)
    }
  }
  return out
}

const optionalTrimmed = (name: string): Config.Config<string | undefined> =>
  Config.option(Config.string(name)).pipe(
    Config.map((value) => (Option.isSome(value) && value.value.trim() !== "" ? value.value.trim() : undefined))
  )

/**
 * The environment: `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `OTEL_EXPORTER_OTLP_HEADERS`
 * (redacted), `OTEL_SERVICE_NAME` (default `guildpulse`), one `Config` per option, so a caller can spread it and
 * replace or add options (`{ ...fromEnv, processor: Config.succeed("simple") }`).
 */
export const fromEnv = {
  endpoint: optionalTrimmed("OTEL_EXPORTER_OTLP_ENDPOINT"),
  tracesEndpoint: optionalTrimmed("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
  headers: Config.option(Config.redacted("OTEL_EXPORTER_OTLP_HEADERS")).pipe(
    Config.map((value) => (Option.isSome(value) ? parseHeaders(Redacted.value(value.value)) : undefined))
  ),
  serviceName: Config.string("OTEL_SERVICE_NAME").pipe(Config.withDefault(DEFAULT_SERVICE_NAME))
} satisfies Config.Config.Wrap<TracingOptions>

/** `fromEnv` as one `Config`. */
export const config: Config.Config<TracingOptions> = Config.unwrap<TracingOptions>(fromEnv)

/**
 * Options read with Effect `Config`, in the Effect monorepo's shape: a `Config` of the options or a record of one
 * `Config` per option (a `Config.Config.Wrap`; `Config.succeed(value)` for a code-only option such as `exporter`);
 * the environment (`fromEnv`) by default.
 */
export const layerConfig = (config: Config.Config.Wrap<TracingOptions> = fromEnv): Layer.Layer<never, ConfigError.ConfigError> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap<TracingOptions>(config), layer))
