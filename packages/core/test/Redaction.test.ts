import { assert, describe, it } from "@effect/vitest"
import { Redacted } from "effect"
import { Redaction } from "../src/index.js"

describe("Redaction", () => {
  it("masks literal known secrets whatever their shape, and the shapes it recognises", () => {
    const out = Redaction.redactText("fetch failed with plain-fixture-token-42 and Bearer abcdef123456", ["plain-fixture-token-42"])
    assert.strictEqual(out, "fetch failed with <redacted> and Bearer <redacted>")
  })

  it("redactValue masks Redacted values and secret-keyed fields", () => {
    assert.deepStrictEqual(Redaction.redactValue({ token: "x", nested: { note: "ok", value: Redacted.make("s") } }), {
      token: "<redacted>",
      nested: { note: "ok", value: "<redacted>" }
    })
  })

  it("secretsOf unwraps Redacted values and skips short or missing ones", () => {
    assert.deepStrictEqual(Redaction.secretsOf([Redacted.make("longer"), "abc", undefined, "plain"]), ["longer", "plain"])
  })
})
