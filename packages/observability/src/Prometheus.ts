/**
 * Prometheus exposition of every Effect metric of the process, through OpenTelemetry's maintained Prometheus
 * exporter: `@effect/opentelemetry`'s metric producer reads Effect's registry, an `@opentelemetry/exporter-
 * prometheus` `PrometheusExporter` (its own HTTP server never started) collects it, and its
 * `PrometheusSerializer` renders the text format. Counters keep their `_total` names, histograms come out as
 * `_bucket{le}`/`_sum`/`_count`. OpenMetrics `# UNIT` comments (Effect metrics have no unit metadata; units
 * are in the names) and per-series scope labels are left out, so the output is plain text format 0.0.4.
 */
import { Context, Effect, Layer } from "effect"
import * as OtelMetrics from "@effect/opentelemetry/Metrics"
import * as OtelResource from "@effect/opentelemetry/Resource"
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus"
import type { MetricReader } from "@opentelemetry/sdk-metrics"

export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

export class Prometheus extends Context.Tag("@guildpulse/observability/Prometheus")<
  Prometheus,
  {
    readonly contentType: string
    /** The current value of every metric, in Prometheus text format. */
    readonly scrape: Effect.Effect<string>
  }
>() {}

export interface PrometheusOptions {
  /** `service.name` of the `target_info` series (default `guildpulse`). */
  readonly serviceName?: string
  readonly serviceVersion?: string
  /** Leave out the `target_info` series (default false). */
  readonly withoutTargetInfo?: boolean
  /** Export only the families whose name passes (default: every metric of the process, `effect_*` included). */
  readonly include?: (name: string) => boolean
}

/** Drops OpenMetrics-only `# UNIT` lines. */
export const toTextFormat = (text: string): string => text.replace(/^# UNIT [^\n]*\n/gm, "")

type MetricData = Awaited<ReturnType<PrometheusExporter["collect"]>>["resourceMetrics"]["scopeMetrics"][number]["metrics"][number]

/**
 * Two Effect metrics may share a name (two packages defining the same family with different descriptions);
 * the producer merges them under one name, which could repeat a series. Keep the first of each label set, so
 * the page stays a valid exposition.
 */
const uniqueSeries = (metric: MetricData): MetricData => {
  const seen = new Set<string>()
  const dataPoints = (metric.dataPoints as ReadonlyArray<{ readonly attributes: Readonly<Record<string, unknown>> }>).filter((point) => {
    const key = JSON.stringify(Object.entries(point.attributes).sort(([a], [b]) => a.localeCompare(b)))
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
  return dataPoints.length === metric.dataPoints.length ? metric : ({ ...metric, dataPoints } as unknown as MetricData)
}

/** Builds the exporter and registers Effect's metric producer with it (released with the scope). */
export const make = (options: PrometheusOptions = {}) =>
  Effect.gen(function* () {
    const exporter = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true })
    const producer = yield* OtelMetrics.makeProducer
    // The exporter may bundle its own copy of sdk-metrics (a patch version apart): the reader contract is
    // the same, only TypeScript's nominal check on private fields differs.
    yield* OtelMetrics.registerProducer(producer, () => exporter as unknown as MetricReader)
    const serializer = new PrometheusSerializer(undefined, false, undefined, options.withoutTargetInfo === true, true)
    const scrape = Effect.promise(() => exporter.collect()).pipe(
      Effect.map(({ resourceMetrics }) => {
        const include = options.include ?? (() => true)
        const selected = {
          ...resourceMetrics,
          scopeMetrics: resourceMetrics.scopeMetrics.map((scope) => ({
            ...scope,
            metrics: scope.metrics.filter((metric) => include(metric.descriptor.name)).map(uniqueSeries)
          }))
        }
        return toTextFormat(serializer.serialize(selected))
      })
    )
    return Prometheus.of({ contentType: CONTENT_TYPE, scrape })
  })

export const layer = (options: PrometheusOptions = {}): Layer.Layer<Prometheus> =>
  Layer.scoped(Prometheus, make(options)).pipe(
    Layer.provide(
      OtelResource.layer({
        serviceName: options.serviceName ?? "guildpulse",
        ...(options.serviceVersion !== undefined ? { serviceVersion: options.serviceVersion } : {})
      })
    )
  )
