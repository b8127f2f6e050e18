import { legacyAttributeTable, legacyAttributes, legacyQueryIgnored, legacyUnsupported } from "@guildpulse/widget"
import { describe, expect, it } from "vitest"
import { blockJson, BLOCK_NAME, LEGACY_BLOCK_NAME } from "../src/index.js"

describe("the block metadata generated from the legacy attribute schema", () => {
  it("declares every legacy attribute, typed and without defaults (unset attributes keep the profile's display)", () => {
    const attributes = blockJson().attributes as Record<string, { type: string; default?: unknown }>
    expect(Object.keys(attributes).sort()).toEqual(Object.keys(legacyAttributes).sort())
    for (const [name, spec] of Object.entries(legacyAttributes)) {
      expect(attributes[name], name).toEqual({ type: spec.type })
    }
    expect(Object.keys(attributes).some((name) => name.startsWith("bot_token"))).toBe(false)
  })

  it("every legacy attribute is either mapped onto WidgetOptions or ignored with a documented reason", () => {
    for (const name of Object.keys(legacyAttributes)) {
      const mapped = Object.hasOwn(legacyAttributeTable, name)
      const unsupported = Object.hasOwn(legacyUnsupported, name)
      expect(mapped || unsupported || name === "class", name).toBe(true)
      if (legacyAttributes[name]?.unsupported === true) expect(legacyQueryIgnored.has(name), name).toBe(true)
    }
  })

  it("the new block is in the inserter with the editor script; the legacy one renders old posts only", () => {
    const current = blockJson(BLOCK_NAME)
    const legacy = blockJson(LEGACY_BLOCK_NAME)
    expect(current["editorScript"]).toBe("file:./editor.js")
    expect((current["supports"] as Record<string, unknown>)["inserter"]).toBeUndefined()
    expect((legacy["supports"] as Record<string, unknown>)["inserter"]).toBe(false)
    expect(legacy["category"]).toBe("widgets")
    expect((legacy["supports"] as Record<string, unknown>)["align"]).toEqual(["wide", "full"])
  })
})
