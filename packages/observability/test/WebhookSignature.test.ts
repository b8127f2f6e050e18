import { assert, describe, it } from "@effect/vitest"
import { Redacted } from "effect"
import { createHmac } from "node:crypto"
import * as WebhookSignature from "../src/WebhookSignature.js"

const secret = Redacted.make("whsec_test_0123456789")
const body = JSON.stringify({ type: "alert.firing", id: "stale_data:main:1", data: { title: "Data is stale" } })
const now = Date.UTC(2026, 10, 25, 12)
const t = Math.floor(now / 1000)

describe("WebhookSignature", () => {
  it("signs t.body with HMAC-SHA256 and verifies it", () => {
    const header = WebhookSignature.sign({ secret, timestamp: t, body })
    assert.match(header, /^t=\d+,v1=[0-9a-f]{64}$/)
    assert.deepStrictEqual(WebhookSignature.verify({ secret, header, body, nowMs: now }), { ok: true, timestamp: t })
    // Same as computing it by hand.
    const expected = createHmac("sha256", "whsec_test_0123456789").update(`${t}.${body}`).digest("hex")
    assert.strictEqual(header, `t=${t},v1=${expected}`)
  })

  it("rejects a tampered body, timestamp or signature", () => {
    const header = WebhookSignature.sign({ secret, timestamp: t, body })
    assert.deepStrictEqual(WebhookSignature.verify({ secret, header, body: body.replace("stale", "fresh"), nowMs: now }), { ok: false, reason: "mismatch" })
    assert.deepStrictEqual(WebhookSignature.verify({ secret, header: header.replace(`t=${t}`, `t=${t + 1}`), body, nowMs: now }), { ok: false, reason: "mismatch" })
    const flipped = header.slice(0, -1) + (header.endsWith("0") ? "1" : "0")
    assert.deepStrictEqual(WebhookSignature.verify({ secret, header: flipped, body, nowMs: now }), { ok: false, reason: "mismatch" })
    assert.deepStrictEqual(WebhookSignature.verify({ secret: "another-secret", header, body, nowMs: now }), { ok: false, reason: "mismatch" })
  })

  it("enforces the replay window on both sides", () => {
    const header = WebhookSignature.sign({ secret, timestamp: t, body })
    assert.isTrue(WebhookSignature.verify({ secret, header, body, nowMs: now + 300_000 }).ok)
    assert.deepStrictEqual(WebhookSignature.verify({ secret, header, body, nowMs: now + 301_000 }), { ok: false, reason: "stale" })
    assert.deepStrictEqual(WebhookSignature.verify({ secret, header, body, nowMs: now - 301_000 }), { ok: false, reason: "future" })
    assert.deepStrictEqual(WebhookSignature.verify({ secret, header, body, nowMs: now + 60_000, toleranceSeconds: 30 }), { ok: false, reason: "stale" })
  })

  it("rejects missing and malformed headers", () => {
    for (const header of [undefined, null, ""]) {
      assert.deepStrictEqual(WebhookSignature.verify({ secret, header, body, nowMs: now }), { ok: false, reason: "missing" })
    }
    for (const header of ["garbage", `t=${t}`, "v1=abc", `t=abc,v1=${"0".repeat(64)}`, `t=${t},v1=xyz`, `t=${t},t=${t},v1=${"0".repeat(64)}`]) {
      assert.deepStrictEqual(WebhookSignature.verify({ secret, header, body, nowMs: now }), { ok: false, reason: "malformed" }, header)
    }
  })

  it("accepts either secret while rotating, and raw bytes", () => {
    const old = Redacted.make("old-secret-abcdef")
    const header = WebhookSignature.sign({ secret: [secret, old], timestamp: t, body })
    assert.isTrue(WebhookSignature.verify({ secret: old, header, body, nowMs: now }).ok)
    assert.isTrue(WebhookSignature.verify({ secret, header, body: Buffer.from(body), nowMs: now }).ok)
  })
})
