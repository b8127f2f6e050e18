import { assert, describe, it } from "@effect/vitest"
import { Html } from "../src/index.js"

describe("Html.escape", () => {
  it("escapes the five markup characters, keeps everything else", () => {
    assert.strictEqual(Html.escape(`<a href="x" title='y'>Tom & Jerry</a> · ünïcode`), "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;Tom &amp; Jerry&lt;/a&gt; · ünïcode")
  })

  it("returns text without markup characters unchanged, and handles edges", () => {
    assert.strictEqual(Html.escape("plain text"), "plain text")
    assert.strictEqual(Html.escape(""), "")
    assert.strictEqual(Html.escape("&"), "&amp;")
    assert.strictEqual(Html.escape("a<"), "a&lt;")
  })
})
