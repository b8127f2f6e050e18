import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { fromLegacyAttributes, legacyAttributes, legacyQueryIgnored, parseBadgeQuery, parseWidgetQuery, widgetQueryParams } from "../src/index.js"

const issuesOf = <A>(result: Either.Either<A, { readonly issues: ReadonlyArray<{ field: string; message: string }> }>) =>
  Either.isLeft(result) ? result.left.issues : []

describe("parseWidgetQuery", () => {
  it("maps flat parameters onto WidgetOptions", () => {
    const result = parseWidgetQuery({
      theme: "dark",
      layout: "vertical",
      showMembers: "false",
      showPresence: "1",
      locale: "fr",
      accent: "#5865F2",
      background: "202225",
      labelOnline: "Connectés",
      iconBoosts: "🚀",
      borderRadiusPx: "12",
      width: "320px",
      showInvite: "0",
      inviteLabel: "Entrer",
      refreshIntervalSeconds: "120",
      profile: "main"
    })
    expect(result).toEqual(
      Either.right({
        theme: "dark",
        layout: "vertical",
        showMembers: false,
        showPresence: true,
        locale: "fr",
        colors: { accent: "#5865F2", background: "#202225" },
        labels: { online: "Connectés" },
        icons: { boosts: "🚀" },
        borderRadiusPx: 12,
        width: "320px",
        invite: { show: false, label: "Entrer" },
        refreshIntervalSeconds: 120
      })
    )
  })

  it("accepts an empty query", () => {
    expect(parseWidgetQuery({})).toEqual(Either.right({}))
    expect(parseWidgetQuery({ theme: undefined })).toEqual(Either.right({}))
  })

  it("names the parameter of each bad value", () => {
    const issues = issuesOf(
      parseWidgetQuery({ theme: "neon", showOnline: "maybe", avatarSize: "big", gapPx: "500", accent: "red;x", width: "1e9px" })
    )
    expect(issues.map((i) => i.field).sort()).toEqual(["avatarSize", "showOnline"])
    // Coercion errors come first; once they are fixed, schema errors name their parameters too.
    const schema = issuesOf(parseWidgetQuery({ theme: "neon", gapPx: "500", accent: "red;x", width: "1e9px", locale: "de" }))
    expect(schema.map((i) => i.field).sort()).toEqual(["accent", "gapPx", "locale", "theme", "width"])
    const message = (field: string) => schema.find((i) => i.field === field)?.message
    expect(message("theme")).toBe('must be one of "discord", "dark", "light", "minimal", "high-contrast"')
    expect(message("locale")).toBe('must be one of "en", "fr"')
    expect(message("gapPx")).toBe("Expected a number between 0 and 96, actual 500")
    expect(message("accent")).toContain("must be a hex colour")
  })

  it("rejects unknown parameters by name, but lets `profile` through", () => {
    const issues = issuesOf(parseWidgetQuery({ them: "dark", profile: "main" }))
    expect(issues).toHaveLength(1)
    expect(issues[0]?.field).toBe("them")
    expect(issues[0]?.message).toContain("unknown parameter")
  })

  it("refuses repeated and nested parameters", () => {
    expect(issuesOf(parseWidgetQuery({ theme: ["dark", "light"] }))[0]).toEqual({ field: "theme", message: "must be given once" })
    expect(issuesOf(parseWidgetQuery({ theme: { a: "b" } }))[0]?.field).toBe("theme")
  })

  it("cannot set links from the query string", () => {
    expect(Object.keys(widgetQueryParams)).not.toContain("inviteUrl")
    expect(issuesOf(parseWidgetQuery({ inviteUrl: "https://evil.example" }))[0]?.field).toBe("inviteUrl")
    expect(issuesOf(parseWidgetQuery({ ctaUrl: "https://evil.example" }))[0]?.field).toBe("ctaUrl")
  })

  it("does not treat inherited names as parameters", () => {
    expect(issuesOf(parseWidgetQuery({ toString: "x", __proto__: "y" } as Record<string, string>)).map((i) => i.field)).toContain("toString")
  })
})

describe("parseWidgetQuery with the legacy plugin's attribute names", () => {
  it("maps every supported legacy attribute the same way as fromLegacyAttributes", () => {
    for (const [name, spec] of Object.entries(legacyAttributes)) {
      if (legacyQueryIgnored.has(name) || Object.hasOwn(widgetQueryParams, name)) continue
      const sample = spec.type === "boolean" ? "true" : spec.type === "number" ? "20" : spec.enum?.[1] ?? (name.includes("color") ? "#123456" : "abc")
      const viaQuery = parseWidgetQuery({ [name]: sample })
      expect(viaQuery, name).toEqual(Either.right(fromLegacyAttributes({ [name]: sample }).options))
    }
  })

  it("clamps sizes and snaps the avatar; refuses unreadable values naming the attribute", () => {
    expect(parseWidgetQuery({ border_radius: "500", gap: "-3", refresh_interval: "1", avatar_size: "100" })).toEqual(
      Either.right({ borderRadiusPx: 64, gapPx: 0, refreshIntervalSeconds: 10, avatarSize: 128 })
    )
    const issues = issuesOf(parseWidgetQuery({ stat_bg_color: "red", show_online: "perhaps", cta_style: "x", width: "1px;x", padding: "wide" }))
    expect(issues.map((i) => i.field).sort()).toEqual(["padding", "show_online", "stat_bg_color", "width"])
  })

  it("translates legacy values of the shared names, and a GuildPulse parameter wins", () => {
    expect(parseWidgetQuery({ theme: "Shadcn", animated: "no", layout: "VERTICAL" })).toEqual(Either.right({ theme: "light", animated: false, layout: "vertical" }))
    expect(parseWidgetQuery({ show_total: "false", showMembers: "true", label_online: "A", labelMembers: "B" })).toEqual(
      Either.right({ showMembers: true, labels: { online: "A", members: "B" } })
    )
  })

  it("ignores data selection, unsupported features, links and tokens without echoing them", () => {
    const secret = "MTIz.not-a-real.token"
    const result = parseWidgetQuery({ invite_url: "https://evil.example", cta_enabled: "1", cta_url: "https://evil.example", cta_label: "x", server_id: "1", profile: "p", demo: "1", bot_token: secret, bot_token_2: secret })
    expect(result).toEqual(Either.right({}))
  })

  it("still refuses unknown names and repeated legacy attributes", () => {
    expect(issuesOf(parseWidgetQuery({ show_onlien: "true" }))[0]?.field).toBe("show_onlien")
    expect(issuesOf(parseWidgetQuery({ show_online: ["true", "false"] }))[0]).toEqual({ field: "show_online", message: "must be given once" })
  })
})

describe("parseBadgeQuery", () => {
  it("parses label, colours, style, counts and locale", () => {
    expect(
      parseBadgeQuery({ label: "chat", color: "ff0000", labelColor: "#333", style: "for-the-badge", showOnline: "false", locale: "fr", profile: "x" })
    ).toEqual(Either.right({ label: "chat", color: "ff0000", labelColor: "#333", style: "for-the-badge", showOnline: false, locale: "fr" }))
  })

  it("names bad and unknown parameters", () => {
    const issues = issuesOf(parseBadgeQuery({ style: "plastic", color: "blue", logo: "discord" }))
    expect(issues.map((i) => i.field).sort()).toEqual(["logo"])
    const schema = issuesOf(parseBadgeQuery({ style: "plastic", color: "blue", label: "x".repeat(41) }))
    expect(schema.map((i) => i.field).sort()).toEqual(["color", "label", "style"])
  })
})
