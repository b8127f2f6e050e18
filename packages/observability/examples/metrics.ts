import { Effect, Layer } from "effect"
import { DemoSource } from "@guildpulse/core"
import { Observability, ObservabilityHttp } from "@guildpulse/observability"

const app = Observability.layerConfig().pipe(                 // health, metrics, alerts, digest, HTTP handlers
  Layer.provideMerge(Observability.engineMemory()),           // the engine (memory stores), emitting through EventLogging
  Layer.provide(DemoSource.layer),                            // or the Discord connector
  Layer.provide(Observability.layerTelemetryConfig())         // LOG_FORMAT/LOG_LEVEL + OTEL_* (beneath everything)
)
const page = await Effect.runPromise(Effect.flatMap(ObservabilityHttp.ObservabilityHttp, (h) => h.metrics()).pipe(Effect.provide(app)))
console.log(page.status, page.body) // 200, Prometheus text: guildpulse_* families
