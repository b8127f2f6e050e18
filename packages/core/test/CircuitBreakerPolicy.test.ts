import { assert, describe, it } from "@effect/vitest"
import { CircuitBreakerPolicy as P, UpstreamError } from "../src/index.js"
import type { CircuitBreakerPolicy } from "../src/index.js"

const fail = (reason: UpstreamError["reason"], retryAfterMs?: number): P.CallOutcome => ({
  _tag: "Failure",
  error: new UpstreamError({ source: "bot", reason, message: reason, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) })
})
const ok: P.CallOutcome = { _tag: "Success" }

const run = (outcomes: ReadonlyArray<P.CallOutcome>, start: CircuitBreakerPolicy.CircuitState = P.initialState(), now = 0) =>
  outcomes.reduce((state, outcome) => P.record(state, outcome, now, 0.5, 1), start)

describe("CircuitBreakerPolicy", () => {
  it("stays closed under four consecutive failures and opens on the fifth", () => {
    const four = run([fail("server_error"), fail("timeout"), fail("transport"), fail("server_error")])
    assert.strictEqual(four._tag, "Closed")
    const five = P.record(four, fail("server_error"), 1_000, 0.5, 1)
    assert.strictEqual(five._tag, "Open")
    if (five._tag === "Open") assert.strictEqual(five.openUntilMs, 1_000 + 30_000)
  })

  it("a success resets the consecutive count", () => {
    const state = run([fail("server_error"), fail("server_error"), fail("server_error"), fail("server_error"), ok, fail("server_error")])
    assert.strictEqual(state._tag, "Closed")
    if (state._tag === "Closed") assert.strictEqual(state.consecutiveFailures, 1)
  })

  it("opens at a 50 % failure rate over at least 10 calls, not before 10 calls", () => {
    // Alternating outcomes never reach 5 in a row; 5 failures out of 9 calls are below the minimum count.
    const nine = run([fail("server_error"), ok, fail("server_error"), ok, fail("server_error"), ok, fail("server_error"), ok, fail("server_error")])
    assert.strictEqual(nine._tag, "Closed")
    const ten = P.record(nine, ok, 0, 0.5, 1) // 5 of 10 failed → 50 %
    assert.strictEqual(ten._tag, "Closed") // rate is checked when a failure is recorded
    const eleven = P.record(ten, fail("server_error"), 0, 0.5, 1) // 6 of 11
    assert.strictEqual(eleven._tag, "Open")
  })

  it("does not open at 45 % over the last 20 calls", () => {
    const warm: Array<P.CallOutcome> = Array.from({ length: 20 }, () => ok)
    const alternating: Array<P.CallOutcome> = Array.from({ length: 18 }, (_, i) => (i % 2 === 0 ? fail("server_error") : ok))
    const state = run([...warm, ...alternating])
    assert.strictEqual(state._tag, "Closed")
    if (state._tag === "Closed") assert.strictEqual(state.window.filter(Boolean).length, 9)
    assert.strictEqual(P.record(state, fail("timeout"), 0, 0.5, 1)._tag, "Open", "the 10th failure in 20 reaches 50 %")
  })

  it("admits exactly one half-open probe after the open interval", () => {
    const open = run([fail("server_error"), fail("server_error"), fail("server_error"), fail("server_error"), fail("server_error")])
    assert.strictEqual(open._tag, "Open")
    const early = P.admit(open, 29_999, 1)
    assert.isFalse(early.admitted)
    const probe = P.admit(open, 30_000, 1)
    assert.isTrue(probe.admitted)
    assert.strictEqual(probe.state._tag, "HalfOpen")
    const second = P.admit(probe.state, 30_001, 1)
    assert.isFalse(second.admitted)
  })

  it("doubles the open interval after each failed probe, with ±20 % jitter, capped at 15 minutes", () => {
    let state: CircuitBreakerPolicy.CircuitState = run(Array.from({ length: 5 }, () => fail("server_error")))
    const intervals: Array<number> = []
    let now = 0
    for (let i = 0; i < 8; i++) {
      assert.strictEqual(state._tag, "Open")
      if (state._tag !== "Open") return
      now = state.openUntilMs
      const probe = P.admit(state, now, 1)
      assert.isTrue(probe.admitted)
      state = P.record(probe.state, fail("server_error"), now, 0.5, 1)
      if (state._tag === "Open") intervals.push(state.intervalMs)
    }
    assert.deepStrictEqual(intervals, [60_000, 120_000, 240_000, 480_000, 900_000, 900_000, 900_000, 900_000])
    // Jitter bounds: random 0 → −20 %, random ~1 → +20 %.
    assert.strictEqual(P.jitteredMs(60_000, 0, 0.2), 48_000)
    assert.strictEqual(P.jitteredMs(60_000, 0.999999, 0.2), 72_000)
  })

  it("a successful probe closes the circuit and resets the interval", () => {
    const open = run(Array.from({ length: 5 }, () => fail("server_error")))
    const probe = P.admit(open, 60_000, 1)
    const closed = P.record(probe.state, ok, 60_000, 0.5, 1)
    assert.deepStrictEqual(closed, P.initialState())
  })

  it("a stuck probe stops blocking after the probe timeout", () => {
    const halfOpen: CircuitBreakerPolicy.CircuitState = { _tag: "HalfOpen", probeStartedAtMs: 0, intervalMs: 30_000 }
    assert.isFalse(P.admit(halfOpen, 59_999, 1).admitted)
    assert.isTrue(P.admit(halfOpen, 60_000, 1).admitted)
  })

  it("a 429 throttles for exactly the announced wait, then closes without counting a failure", () => {
    const throttled = P.record(P.initialState(), fail("rate_limited", 2500), 10_000, 0.5, 1)
    assert.deepStrictEqual(throttled, { _tag: "Throttled", untilMs: 12_500 })
    const during = P.admit(throttled, 12_499, 1)
    assert.isFalse(during.admitted)
    if (!during.admitted) assert.strictEqual(during.retryAfterMs, 1)
    const after = P.admit(throttled, 12_500, 1)
    assert.isTrue(after.admitted)
    assert.deepStrictEqual(after.state, P.initialState())
  })

  for (const reason of ["unauthorized", "widget_disabled", "unknown_guild", "unknown_invite", "forbidden"] as const) {
    it(`${reason} marks the circuit misconfigured, probed 30 s later, then at a doubling interval`, () => {
      const state = P.record(P.initialState(), fail(reason), 0, 0.5, 3)
      assert.strictEqual(state._tag, "Misconfigured")
      assert.isFalse(P.admit(state, 29_999, 3).admitted)
      const probe = P.admit(state, 30_000, 3)
      assert.isTrue(probe.admitted)
      assert.isFalse(P.admit(probe.state, 30_001, 3).admitted, "only one probe at a time")
      // The probe fails again: misconfigured for 30 s, so the next probe is 30 s on (at 60 s), then 60 s on.
      const second = P.record(probe.state, fail(reason), 30_000, 0.5, 3)
      assert.isFalse(P.admit(second, 59_999, 3).admitted)
      const secondProbe = P.admit(second, 60_000, 3)
      assert.isTrue(secondProbe.admitted)
      const third = P.record(secondProbe.state, fail(reason), 60_000, 0.5, 3)
      assert.isFalse(P.admit(third, 119_999, 3).admitted)
      assert.isTrue(P.admit(third, 120_000, 3).admitted)
    })
  }

  it("a lasting misconfiguration is probed at most hourly", () => {
    const since = P.record(P.initialState(), fail("unknown_guild"), 0, 0.5, 3)
    // Misconfigured for five hours: the interval is capped at one hour.
    const probe = P.admit(since, 5 * 3_600_000, 3)
    assert.isTrue(probe.admitted)
    const later = P.record(probe.state, fail("unknown_guild"), 5 * 3_600_000, 0.5, 3)
    assert.isFalse(P.admit(later, 6 * 3_600_000 - 1, 3).admitted)
    assert.isTrue(P.admit(later, 6 * 3_600_000, 3).admitted)
    assert.strictEqual(P.misconfiguredProbeIntervalMs(0), 30_000)
    assert.strictEqual(P.misconfiguredProbeIntervalMs(600_000), 600_000)
    assert.strictEqual(P.misconfiguredProbeIntervalMs(7_200_000), 3_600_000)
  })

  it("a misconfigured circuit is probed at once when the profile changes", () => {
    const state = P.record(P.initialState(), fail("widget_disabled"), 0, 0.5, 3)
    assert.isFalse(P.admit(state, 1_000, 3).admitted)
    const probe = P.admit(state, 1_000, 4)
    assert.isTrue(probe.admitted)
    assert.strictEqual(P.record(probe.state, ok, 1_100, 0.5, 4)._tag, "Closed")
  })

  it("names every state", () => {
    assert.strictEqual(P.stateName(P.initialState()), "closed")
    assert.strictEqual(P.stateName({ _tag: "Throttled", untilMs: 1 }), "throttled")
  })
})
