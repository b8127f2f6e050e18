/**
 * The global budget's release rules, checked by simulation: a client driven by `GlobalWindow` against a
 * server that counts fixed windows opened by the first request it processes (the sandbox's and, as far as
 * anyone can tell, Discord's scheme), with random processing delays (including long stalls), random answer
 * delays, a random clock offset between client and server, and some answers without rate-limit headers.
 * No server window may ever count more than the limit.
 */
import { assert, describe, it } from "@effect/vitest"
import { GlobalWindow } from "../src/internal/GlobalWindow.js"

const mulberry32 = (seed: number) => () => {
  seed |= 0
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

interface Outcome {
  readonly maxInWindow: number
  readonly durationMs: number
  readonly processed: number
}

const simulate = (seed: number, options: { readonly headersMissing: number; readonly stalls: number; readonly serverToleranceMs: number }): Outcome & { readonly limit: number } => {
  const random = mulberry32(seed)
  const limit = 3 + Math.floor(random() * 30)
  const baseWindowMs = 1_000
  const window = new GlobalWindow(limit, baseWindowMs, 5)
  const offset = Math.round((random() - 0.5) * 10_000)
  const total = limit * 6
  type InFlight = { answerAt: number; serverMs: number | undefined; slot: ReturnType<GlobalWindow["take"]> }
  const inFlight: Array<InFlight> = []
  const processedServer: Array<number> = []
  let sent = 0
  let t = 0
  let guard = 0
  while ((sent < total || inFlight.length > 0) && guard++ < 1_000_000) {
    // Deliver every answer due by now, in time order.
    inFlight.sort((a, b) => a.answerAt - b.answerAt)
    while (inFlight.length > 0 && inFlight[0]!.answerAt <= t) {
      const done = inFlight.shift()!
      done.slot.complete(done.answerAt, done.serverMs)
    }
    let next = Infinity
    while (sent < total) {
      const check = window.check(t)
      if (check._tag === "Free") {
        const slot = window.take(t)
        const stall = random() < options.stalls ? Math.floor(random() * 1_500) : 0
        const processedAt = t + 1 + Math.floor(random() * 30) + stall
        const serverMs = processedAt + offset
        processedServer.push(serverMs)
        const answerAt = processedAt + Math.floor(random() * 60)
        inFlight.push({ answerAt, serverMs: random() < options.headersMissing ? undefined : serverMs, slot })
        sent += 1
        continue
      }
      if (check._tag === "Until") next = t + check.waitMs
      break
    }
    const nextAnswer = inFlight.reduce((m, f) => Math.min(m, f.answerAt), Infinity)
    next = Math.min(next, nextAnswer)
    if (next === Infinity) break
    t = Math.max(t + 1, next)
  }
  // The server's view: fixed windows, each opened by the first request processed after the last one closed.
  processedServer.sort((a, b) => a - b)
  let start = -Infinity
  let count = 0
  let maxInWindow = 0
  for (const p of processedServer) {
    if (p >= start + baseWindowMs - options.serverToleranceMs) {
      start = p
      count = 0
    }
    count += 1
    maxInWindow = Math.max(maxInWindow, count)
  }
  return { maxInWindow, durationMs: t, processed: processedServer.length, limit }
}

describe("GlobalWindow", () => {
  it("never lets a server window count more than the limit (fixed windows, random delays and offsets)", () => {
    for (let seed = 1; seed <= 300; seed++) {
      for (const options of [
        { headersMissing: 0, stalls: 0, serverToleranceMs: 0 },
        { headersMissing: 0, stalls: 0.05, serverToleranceMs: 5 },
        { headersMissing: 0.2, stalls: 0.1, serverToleranceMs: 0 },
        { headersMissing: 1, stalls: 0.1, serverToleranceMs: 0 }
      ]) {
        const outcome = simulate(seed, options)
        assert.strictEqual(outcome.processed, outcome.limit * 6)
        assert.isAtMost(outcome.maxInWindow, outcome.limit, `seed ${seed} ${JSON.stringify(options)}`)
      }
    }
  })

  it("releases a clean burst as a whole: six full windows take about five windows", () => {
    const outcome = simulate(42, { headersMissing: 0, stalls: 0, serverToleranceMs: 0 })
    assert.strictEqual(outcome.maxInWindow, outcome.limit)
    // 5 gaps of one window (+ margin + a round trip) after the first burst.
    assert.isBelow(outcome.durationMs, 5 * 1_100 + 200)
  })

  it("frees places by answers and the offset bound, never before sentAt + window", () => {
    const window = new GlobalWindow(2, 1_000, 0)
    const a = window.take(0)
    const b = window.take(0)
    assert.deepStrictEqual(window.check(10), { _tag: "Answer" })
    // Server clock 5 s ahead; processed at 20 (local), answered at 30 and 40.
    a.complete(30, 5_020)
    b.complete(40, 5_020)
    // Offset bound = 5_020 − 30 = 4_990 → processed ≤ 30 (local): both free at 1_030 by the window rule.
    assert.deepStrictEqual(window.check(1_000), { _tag: "Until", waitMs: 30 })
    assert.deepStrictEqual(window.check(1_030), { _tag: "Free" })
    // Without headers a place is held until its answer + window.
    const c = window.take(1_030)
    const d = window.take(1_030)
    c.complete(1_100)
    d.complete(1_200)
    assert.deepStrictEqual(window.check(2_099), { _tag: "Until", waitMs: 1 })
    assert.deepStrictEqual(window.check(2_100), { _tag: "Free" })
  })

  it("keeps the sliding rule for a burst spread over more than a window's length", () => {
    const window = new GlobalWindow(2, 1_000, 5)
    const a = window.take(0)
    const b = window.take(0)
    a.complete(1, 0)
    b.complete(991, 990) // processed 990 ms after `a`: the server may have opened a new window with it
    // Offset bound −1 ms (answers seen 1 ms after processing): a's place frees at 1 + 1_005.
    assert.deepStrictEqual(window.check(1_006), { _tag: "Free" })
    window.take(1_006)
    // b's place stays held until 991 + 1_005, not released with a's.
    assert.deepStrictEqual(window.check(1_007), { _tag: "Until", waitMs: 989 })
  })
})
