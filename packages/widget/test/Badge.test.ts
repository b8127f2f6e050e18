import type { StatsView } from "@guildpulse/core"
import { describe, expect, it } from "vitest"
import { BADGE_DEFAULT_COLOR, BADGE_DEGRADED_COLOR, BADGE_MISCONFIGURED_COLOR, BADGE_UNAVAILABLE_COLOR, badgeMessage, renderBadge, textWidth } from "../src/index.js"
import type { BadgeOptions } from "../src/index.js"
import { freshView, partialView, unavailableFor, viewIn } from "./fixtures.js"
import { decode, parseMarkup } from "./markup.js"

const svgOf = (view: StatsView, options?: BadgeOptions) => {
  const svg = renderBadge(view, options)
  const elements = parseMarkup(svg, "xml")
  return { svg, elements, root: elements[0] }
}

describe("renderBadge", () => {
  it("is a well-formed SVG with an accessible name and a <title>", () => {
    const { svg, elements, root } = svgOf(freshView)
    expect(svg.startsWith("<svg")).toBe(true)
    expect(root?.attributes.get("xmlns")).toBe("http://www.w3.org/2000/svg")
    expect(root?.attributes.get("role")).toBe("img")
    expect(root?.attributes.get("aria-label")).toBe("discord: 1,234 online · ≈56,789 members")
    expect(elements.find((e) => e.name === "title")?.text).toBe("discord: 1,234 online · ≈56,789 members")
  })

  it("computes its width from the text", () => {
    const short = Number(svgOf(freshView, { showMembers: false }).root?.attributes.get("width"))
    const long = Number(svgOf(freshView).root?.attributes.get("width"))
    const labelled = Number(svgOf(freshView, { label: "Join our community server" }).root?.attributes.get("width"))
    expect(short).toBeGreaterThan(60)
    expect(long).toBeGreaterThan(short)
    expect(labelled).toBeGreaterThan(long)
    // shields measures "discord" at ~41 px in Verdana 11px.
    expect(textWidth("discord", 11)).toBeGreaterThan(36)
    expect(textWidth("discord", 11)).toBeLessThan(46)
  })

  it("supports the three styles", () => {
    const flat = svgOf(freshView, { style: "flat" })
    expect(flat.root?.attributes.get("height")).toBe("20")
    expect(flat.svg).toContain('rx="3"')
    const square = svgOf(freshView, { style: "flat-square" })
    expect(square.root?.attributes.get("height")).toBe("20")
    expect(square.svg).not.toContain("rx=")
    const big = svgOf(freshView, { style: "for-the-badge" })
    expect(big.root?.attributes.get("height")).toBe("28")
    expect(big.svg).toContain(">DISCORD<")
    expect(big.svg).toContain("1,234 ONLINE")
  })

  it("takes a label, colours (with or without #) and which counts to show", () => {
    const { svg, root } = svgOf(freshView, { label: "chat", color: "ff0000", labelColor: "#222", showOnline: false })
    expect(root?.attributes.get("aria-label")).toBe("chat: ≈56,789 members")
    expect(svg).toContain('fill="#ff0000"')
    expect(svg).toContain('fill="#222"')
    expect(svgOf(freshView, { color: "url(#x)" }).svg).toContain('fill="#5865f2"')
  })

  it("speaks French", () => {
    expect(svgOf(freshView, { locale: "fr" }).root?.attributes.get("aria-label")).toBe("discord: 1\u202f234 en ligne · ≈56\u202f789 membres")
  })

  it("escapes every piece of text", () => {
    const evil: StatsView = { ...freshView, guild: { ...freshView.guild, name: "<svg onload=alert(1)>" } }
    const { svg, elements } = svgOf(evil, { label: '<script>"x"&\'' })
    expect(svg).not.toContain("<script")
    expect(elements.map((e) => e.name)).not.toContain("script")
    expect(decode(elements.find((e) => e.name === "title")?.text ?? "")).toBe(`<script>"x"&': 1,234 online · ≈56,789 members`)
  })

  it("shows each freshness state", () => {
    expect(badgeMessage(viewIn("fresh"))).toBe("1,234 online · ≈56,789 members")
    expect(badgeMessage(viewIn("stale"))).toBe("1,234 online · ≈56,789 members")
    const degraded = svgOf(viewIn("degraded"))
    expect(degraded.svg).toContain(`fill="${BADGE_DEGRADED_COLOR}"`)
    expect(degraded.root?.attributes.get("data-state")).toBe("degraded")
    const demo = svgOf(viewIn("demo"))
    expect(demo.root?.attributes.get("aria-label")).toBe("discord: demo · 1,234 online · 56,789 members (demo data)")
    const unavailable = svgOf(viewIn("unavailable"))
    expect(unavailable.root?.attributes.get("aria-label")).toBe("discord: unavailable (Discord error)")
    expect(unavailable.svg).toContain(`fill="${BADGE_UNAVAILABLE_COLOR}"`)
    expect(unavailable.svg).not.toMatch(/\d online/)
    expect(svgOf(viewIn("unavailable"), { locale: "fr" }).root?.attributes.get("aria-label")).toBe("discord: indisponible (erreur de Discord)")
  })

  it("says in its title and aria-label when the numbers are stale, degraded, partial or demo", () => {
    const label = (view: StatsView, options?: BadgeOptions) => {
      const { root, elements } = svgOf(view, options)
      const title = elements.find((e) => e.name === "title")?.text
      expect(root?.attributes.get("aria-label")).toBe(title)
      return decode(title ?? "")
    }
    expect(label(viewIn("fresh"))).toBe("discord: 1,234 online · ≈56,789 members")
    expect(label(viewIn("stale"))).toBe("discord: 1,234 online · ≈56,789 members (stale)")
    expect(label(viewIn("degraded"))).toBe("discord: 1,234 online · ≈56,789 members (degraded: rate limited)")
    expect(label(partialView)).toBe("discord: 1,234 online · ≈56,789 members (partial: rate limited)")
    expect(label(viewIn("degraded"), { locale: "fr" })).toBe("discord: 1\u202f234 en ligne · ≈56\u202f789 membres (dégradé: limite de débit atteinte)")
    expect(svgOf(partialView).svg).toContain(`fill="${BADGE_DEFAULT_COLOR}"`)
  })

  it("says what is wrong instead of numbers for a misconfigured profile", () => {
    const notFound = svgOf(unavailableFor(["unknown_guild", "circuit_open"]))
    expect(badgeMessage(unavailableFor(["unknown_guild", "circuit_open"]))).toBe("server not found")
    expect(notFound.svg).toContain(">server not found<")
    expect(notFound.svg).toContain(`fill="${BADGE_MISCONFIGURED_COLOR}"`)
    expect(notFound.svg).not.toMatch(/online|members/)
    expect(notFound.root?.attributes.get("aria-label")).toBe("discord: unavailable (server not found, paused after errors)")
    expect(badgeMessage(unavailableFor(["widget_disabled"]))).toBe("widget disabled")
    expect(badgeMessage(unavailableFor(["unauthorized"]))).toBe("invalid token")
    expect(badgeMessage(unavailableFor(["unknown_invite", "widget_disabled"]))).toBe("widget disabled · unknown invite")
    expect(badgeMessage(unavailableFor(["unknown_guild"]), { locale: "fr" })).toBe("serveur introuvable")
    expect(badgeMessage(unavailableFor(["widget_disabled"]), { locale: "fr" })).toBe("widget désactivé")
    // Transient trouble stays "unavailable", in grey.
    expect(badgeMessage(unavailableFor(["rate_limited", "circuit_open"]))).toBe("unavailable")
    expect(svgOf(unavailableFor(["rate_limited"])).svg).toContain(`fill="${BADGE_UNAVAILABLE_COLOR}"`)
  })

  it("is unavailable, not empty, when the chosen counts are missing", () => {
    const noMembers: StatsView = { ...freshView, counts: { online: 3 } }
    expect(badgeMessage(noMembers, { showOnline: false })).toBe("unavailable")
  })
})
