import { WidgetOptions } from "@guildpulse/core"
import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import { fromLegacyAttributes } from "../src/index.js"

describe("fromLegacyAttributes", () => {
  it("maps a full legacy shortcode onto WidgetOptions", () => {
    const { options, ignored, warnings } = fromLegacyAttributes({
      show_online: "true",
      show_total: "1",
      show_presence_breakdown: true,
      show_premium_subscriptions: "yes",
      layout: "vertical",
      theme: "light",
      animated: "false",
      align: "center",
      width: "clamp(200px, 50%, 400px)",
      class: "my-card",
      border_radius: "12",
      gap: 10,
      padding: "15px",
      stat_bg_color: "#202225",
      stat_text_color: "#ffffff",
      accent_color: "#5865F2",
      accent_color_alt: "rgb(71, 82, 196)",
      accent_text_color: "#fff",
      show_title: "true",
      title: "Rejoignez-nous",
      refresh: "true",
      refresh_interval: "5",
      icon_online: "✅",
      icon_total: "🧑",
      icon_presence: "📈",
      icon_premium: "🚀",
      label_online: "Connectés",
      label_total: "Membres",
      label_presence: "Statuts",
      label_presence_idle: "Absent",
      label_presence_dnd: "Occupé",
      label_premium_singular: "Boost",
      label_premium_plural: "Boosts",
      hide_labels: "false",
      hide_icons: "0",
      show_server_name: "true",
      show_server_avatar: "true",
      avatar_size: "100",
      invite_url: "https://discord.gg/abc",
      invite_label: "Rejoindre le serveur",
      cta_enabled: "true",
      cta_label: "Règlement",
      cta_url: "https://example.com/rules",
      cta_style: "outline",
      cta_new_tab: "false",
      cta_tooltip: "Lire le règlement",
      show_sparkline: "true"
    })
    expect(options).toEqual({
      showOnline: true,
      showMembers: true,
      showPresence: true,
      showBoosts: true,
      layout: "vertical",
      theme: "light",
      animated: false,
      align: "center",
      width: "clamp(200px, 50%, 400px)",
      className: "my-card",
      borderRadiusPx: 12,
      gapPx: 10,
      paddingPx: 15,
      colors: { background: "#202225", text: "#ffffff", accent: "#5865F2", accentAlt: "rgb(71, 82, 196)", accentText: "#fff" },
      showTitle: true,
      title: "Rejoignez-nous",
      refreshIntervalSeconds: 10,
      icons: { online: "✅", members: "🧑", presence: "📈", boosts: "🚀" },
      labels: { online: "Connectés", members: "Membres", presence: "Statuts", idle: "Absent", dnd: "Occupé", boosts: "Boosts" },
      showLabels: true,
      showIcons: true,
      showServerName: true,
      showServerAvatar: true,
      avatarSize: 128,
      invite: { url: "https://discord.gg/abc", label: "Rejoindre le serveur" },
      cta: { url: "https://example.com/rules", label: "Règlement", style: "outline", newTab: false, tooltip: "Lire le règlement" },
      showSparkline: true
    })
    expect(Schema.is(WidgetOptions)(options)).toBe(true)
    expect(ignored).toEqual([])
    expect(warnings.some((w) => w.startsWith("refresh_interval:"))).toBe(true)
    expect(warnings.some((w) => w.startsWith("avatar_size:"))).toBe(true)
  })

  it("ignores bot_token attributes and never copies their value", () => {
    const secret = "MTIzNDU2Nzg5.secret.token"
    const result = fromLegacyAttributes({ bot_token: secret, bot_token_encrypted: secret, BOT_TOKEN_2: secret, show_online: "true" })
    expect([...result.ignored].sort()).toEqual(["BOT_TOKEN_2", "bot_token", "bot_token_encrypted"])
    expect(JSON.stringify(result)).not.toContain(secret)
    expect(result.options).toEqual({ showOnline: true })
  })

  it("maps legacy themes to the nearest one, with a warning", () => {
    for (const [legacy, ours] of [["radix", "light"], ["headless", "minimal"], ["shadcn", "light"], ["bootstrap", "light"], ["semantic", "light"], ["anime", "discord"]] as const) {
      const { options, warnings } = fromLegacyAttributes({ theme: legacy })
      expect(options.theme).toBe(ours)
      expect(warnings.join("\n")).toContain(legacy)
    }
    expect(fromLegacyAttributes({ theme: "dark" }).warnings).toEqual([])
  })

  it("turns compact, hide_labels and hide_icons into the new options", () => {
    expect(fromLegacyAttributes({ compact: "true", hide_labels: "true", hide_icons: "1" }).options).toEqual({
      layout: "compact",
      showLabels: false,
      showIcons: false
    })
  })

  it("puts unknown, unsupported and invalid attributes in `ignored`, with warnings for the known ones", () => {
    const { options, ignored, warnings } = fromLegacyAttributes({
      foo: "bar",
      server_id: "123456789012345678",
      demo: "true",
      profile: "main",
      show_discord_icon: "true",
      width: "100px; background: url(x)",
      stat_bg_color: "red",
      invite_url: "javascript:alert(1)",
      layout: "diagonal",
      show_online: "perhaps"
    })
    expect(options).toEqual({})
    expect([...ignored].sort()).toEqual(
      ["demo", "foo", "invite_url", "layout", "profile", "server_id", "show_discord_icon", "show_online", "stat_bg_color", "width"].sort()
    )
    expect(warnings.join("\n")).not.toContain("javascript:")
    for (const name of ["server_id", "demo", "width", "invite_url"]) expect(warnings.some((w) => w.startsWith(`${name}:`))).toBe(true)
  })

  it("clamps sizes to the allowed ranges", () => {
    const { options, warnings } = fromLegacyAttributes({ border_radius: "200", gap: "-5", padding: "15", refresh_interval: "99999" })
    expect(options).toEqual({ borderRadiusPx: 64, gapPx: 0, paddingPx: 15, refreshIntervalSeconds: 3600 })
    expect(warnings).toHaveLength(3)
  })

  it("shows the CTA only when it is enabled and complete", () => {
    expect(fromLegacyAttributes({ cta_url: "https://example.com", cta_label: "Go" }).options.cta).toBeUndefined()
    const incomplete = fromLegacyAttributes({ cta_enabled: "true", cta_url: "https://example.com" })
    expect(incomplete.options.cta).toBeUndefined()
    expect(incomplete.warnings.join()).toContain("cta_label")
    expect(fromLegacyAttributes({ cta_enabled: "1", cta_url: "https://example.com", cta_label: "Go" }).options.cta).toEqual({
      url: "https://example.com",
      label: "Go",
      newTab: true
    })
  })

  it("accepts the block's className and the approximate-count switch", () => {
    const { options, warnings } = fromLegacyAttributes({ className: "is-style-x", show_approximate_member_count: "true" })
    expect(options).toEqual({ className: "is-style-x", showMembers: true })
    expect(warnings.join()).toContain("≈")
  })

  it("boost labels: plural wins over the generic label, which wins over the singular", () => {
    expect(fromLegacyAttributes({ label_premium_singular: "Boost", label_premium: "Boosts!", label_premium_plural: "Boosts" }).options.labels).toEqual({ boosts: "Boosts" })
    expect(fromLegacyAttributes({ label_premium_singular: "Boost", label_premium: "Boosts!" }).options.labels).toEqual({ boosts: "Boosts!" })
    expect(fromLegacyAttributes({ label_premium_singular: "Boost" }).options.labels).toEqual({ boosts: "Boost" })
  })

  it("shortens long labels and icons, ignores empty ones, and rejects bad class names, styles and alignments", () => {
    const result = fromLegacyAttributes({
      title: "x".repeat(100),
      icon_online: "y".repeat(20),
      label_total: "   ",
      class: "a;b",
      cta_style: "dashed",
      align: "justify",
      theme: "neon",
      avatar_size: "big",
      refresh_interval: "soon",
      cta_url: "ftp://example.com"
    })
    expect(result.options).toEqual({ title: "x".repeat(80), icons: { online: "y".repeat(16) } })
    expect(result.ignored).toEqual(["label_total", "class", "cta_style", "align", "theme", "avatar_size", "refresh_interval", "cta_url"])
    expect(result.warnings).toEqual([
      "title: shortened to 80 characters",
      "icon_online: shortened to 16 characters",
      "class: ignored, class names may only contain letters, digits, - and _",
      "cta_style: ignored, expected solid or outline",
      "align: ignored, expected left, center or right",
      "theme: ignored, unknown theme",
      "avatar_size: ignored, expected a number of pixels",
      "refresh_interval: ignored, expected a number of seconds",
      "cta_url: ignored, only http(s) links are allowed"
    ])
  })

  it("refresh=false and an empty class keep the options unchanged; refresh=false explains embed.js", () => {
    const result = fromLegacyAttributes({ refresh: "false", class: "", layout: "horizontal", compact: "yes" })
    expect(result.options).toEqual({ layout: "compact" })
    expect(result.ignored).toEqual([])
    expect(result.warnings).toEqual([
      "refresh: the card refreshes whenever embed.js is loaded on the page; leave the script out for a static card",
      'compact: the compact layout replaces layout="horizontal"'
    ])
  })

  it("attribute names that are Object.prototype members are unknown attributes", () => {
    const result = fromLegacyAttributes({ constructor: "x", __proto__: "y", hasOwnProperty: "z" } as Record<string, string>)
    expect(result.options).toEqual({})
    expect(result.warnings).toEqual(["constructor: unknown attribute", "hasOwnProperty: unknown attribute"])
  })
})
