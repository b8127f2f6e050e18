import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { Refresher } from "@guildpulse/core"
import * as Tracing from "../src/Tracing.js"
import { engine, TestSource, profileKey } from "./fixtures.js"
import { otlpSpans, startReceiver, type Receiver } from "./servers.js"

describe("Tracing over OTLP/HTTP", () => {
  let collector: Receiver
  beforeAll(async () => {
    collector = await startReceiver()
  })
  afterAll(() => collector.close())

  it.live("exports use-case and upstream spans with profile, source, outcome, status, retry and circuit state", () =>
    Effect.gen(function* () {
      const tracing = Tracing.layer({
        endpoint: collector.url,
        serviceName: "guildpulse-test",
        headers: { authorization: Redacted.make("Bearer otlp-collector-secret") }
      })
      yield* Effect.gen(function* () {
        const script = yield* TestSource
        script.set("invite", { _tag: "fail", error: { reason: "server_error", status: 503, message: "upstream 503" } })
        yield* (yield* Refresher.Refresher).refresh(profileKey("main"))
      }).pipe(Effect.provide(engine().pipe(Layer.provide(tracing))))
      // The layer is closed: spans were flushed.
      const spans = otlpSpans(collector.requests)
      const names = spans.map((s) => s.name)
      for (const name of ["Refresher.refresh", "Refresher.round", "upstream.widget", "upstream.bot", "upstream.invite"]) {
        assert.include(names, name)
      }
      const byName = (name: string) => spans.find((s) => s.name === name)!
      const widget = byName("upstream.widget")
      assert.include(widget.attributes, { profile: "main", source: "widget", outcome: "ok", retry: 0, attempts: 1, "circuit.state": "closed" })
      const invite = byName("upstream.invite")
      assert.include(invite.attributes, { profile: "main", source: "invite", outcome: "server_error", status: 503, retry: 2, attempts: 3 })
      assert.strictEqual(byName("Refresher.round").attributes["refresh.outcome"], "partial")
      // One trace: upstream spans are children of the round, the round of the refresh.
      assert.strictEqual(new Set(spans.filter((s) => names.includes(s.name)).map((s) => s.traceId)).size, 1)
      assert.strictEqual(invite.parentSpanId, byName("Refresher.round").spanId)
      // The collector got its credentials as a header; no span carries them.
      assert.strictEqual(collector.requests[0]!.headers["authorization"], "Bearer otlp-collector-secret")
      assert.notInclude(collector.requests.map((r) => r.body).join("\n"), "otlp-collector-secret")
      const resource = JSON.parse(collector.requests[0]!.body).resourceSpans[0].resource.attributes as ReadonlyArray<{ key: string; value: { stringValue?: string } }>
      assert.strictEqual(resource.find((a) => a.key === "service.name")?.value.stringValue, "guildpulse-test")
    }))

  it("is a no-op layer without an endpoint", () => {
    assert.strictEqual(Tracing.layer({}), Layer.empty)
  })

  it("redacts secret-keyed attributes and token-looking values", () => {
    assert.deepStrictEqual(
      Tracing.redactAttributes({ "http.request.header.authorization": "Bot abc.def.ghi", token: "x", note: "Authorization: Bot sandbox-bot-token-XYZ", n: 1 }),
      { "http.request.header.authorization": "<redacted>", token: "<redacted>", note: "Authorization: <redacted>", n: 1 }
    )
  })
})
