import type { StatsView, WidgetOptions } from "@guildpulse/core"
import { describe, expect, it } from "vitest"
import { initialsOf, renderWidget, snapAvatarSize, themes } from "../src/index.js"
import { FETCHED_AT, freshView, NOW_MS, partialView, unavailableFor, viewIn } from "./fixtures.js"
import { decode, hasClass, parseMarkup, withAttribute } from "./markup.js"

const layouts = ["horizontal", "vertical", "compact"] as const
const context = { nowMs: NOW_MS, endpoint: "/v1/profiles/main/stats" }
const render = (options: WidgetOptions = {}, view: StatsView = freshView): string => renderWidget(view, options, context)
const field = (html: string, name: string) => {
  const [element] = withAttribute(parseMarkup(html), "data-gp-field", name)
  return element
}
const stat = (html: string, name: string) => {
  const [element] = withAttribute(parseMarkup(html), "data-gp-stat", name)
  return element
}

describe("renderWidget snapshots", () => {
  for (const theme of themes) {
    for (const layout of layouts) {
      it(`${theme} × ${layout}`, () => {
        const html = render({ theme, layout, showPresence: true, showBoosts: true, showTitle: true })
        parseMarkup(html)
        // One tag per line, so that a snapshot diff is readable.
        expect(html.replace(/></g, ">\n<")).toMatchSnapshot()
      })
    }
  }
})

describe("structure and accessibility", () => {
  it("is a <guildpulse-stats> root with the endpoint, one labelled region and one polite live region", () => {
    const html = render({ refreshIntervalSeconds: 120 })
    const elements = parseMarkup(html)
    const root = elements[0]
    expect(root?.name).toBe("guildpulse-stats")
    expect(root?.attributes.get("data-endpoint")).toBe("/v1/profiles/main/stats")
    expect(root?.attributes.get("data-interval")).toBe("120")
    const regions = withAttribute(elements, "role", "region")
    expect(regions).toHaveLength(1)
    expect(regions[0]?.attributes.get("aria-label")).toBe("Discord server stats: GuildPulse Lounge")
    const live = withAttribute(elements, "aria-live")
    expect(live).toHaveLength(1)
    expect(live[0]?.attributes.get("aria-live")).toBe("polite")
    // The numbers are inside the live region.
    expect(live[0]?.text).toContain("1,234")
    expect(live[0]?.text).toContain("56,789")
    const describedBy = regions[0]?.attributes.get("aria-describedby")
    expect(withAttribute(elements, "id", describedBy)).toHaveLength(1)
  })

  it("marks numbers with data-gp-field hooks carrying the raw value", () => {
    const html = render({ showPresence: true, showBoosts: true })
    expect(field(html, "online")?.attributes.get("data-gp-value")).toBe("1234")
    expect(field(html, "members")?.attributes.get("data-gp-value")).toBe("56789")
    expect(field(html, "boosts")?.attributes.get("data-gp-value")).toBe("14")
    expect(field(html, "presence.idle")?.attributes.get("data-gp-value")).toBe("27")
    expect(field(html, "presence.sampleSize")?.attributes.get("data-gp-value")).toBe("100")
  })

  it("shows online and members by default, presence and boosts on request, and hides what is off", () => {
    const html = render()
    expect(stat(html, "online")).toBeDefined()
    expect(stat(html, "members")).toBeDefined()
    expect(stat(html, "presence")).toBeUndefined()
    expect(stat(html, "boosts")).toBeUndefined()
    const chosen = render({ showOnline: false, showMembers: false, showPresence: true, showBoosts: true })
    expect(stat(chosen, "online")).toBeUndefined()
    expect(stat(chosen, "members")).toBeUndefined()
    expect(stat(chosen, "presence")).toBeDefined()
    expect(stat(chosen, "boosts")?.text).toContain("Server boosts")
    expect(stat(chosen, "boosts")?.text).toContain("Level 3")
  })

  it("never shows a number it does not have", () => {
    const widgetOnly: StatsView = { ...freshView, counts: { online: 10 } }
    const html = render({ showBoosts: true }, widgetOnly)
    expect(stat(html, "members")?.attributes.has("hidden")).toBe(true)
    expect(field(html, "members")?.attributes.has("data-gp-value")).toBe(false)
    expect(stat(html, "boosts")?.attributes.has("hidden")).toBe(true)
  })

  it("makes labels screen-reader-only with showLabels: false, and drops icons with showIcons: false", () => {
    const html = render({ showLabels: false, showIcons: false, showPresence: true })
    const elements = parseMarkup(html)
    expect(elements.filter((e) => hasClass(e, "gp-label"))).toHaveLength(0)
    const online = stat(html, "online")
    expect(online?.text).toContain("Online")
    expect(elements.filter((e) => hasClass(e, "gp-icon"))).toHaveLength(0)
    expect(html).not.toContain("🟢")
  })

  it("uses the legacy plugin's icons by default and accepts custom icons and labels", () => {
    expect(render({ showPresence: true, showBoosts: true })).toMatch(/🟢[\s\S]*👥[\s\S]*📊[\s\S]*💎/)
    const html = render({ icons: { online: "✅" }, labels: { online: "Connected", members: "Folks", idle: "AFK" }, showPresence: true })
    expect(stat(html, "online")?.text).toContain("✅")
    expect(stat(html, "online")?.text).toContain("Connected")
    expect(stat(html, "members")?.text).toContain("Folks")
    expect(stat(html, "presence")?.text).toContain("AFK")
  })

  it("shows title, server name and avatar snapped to a power of two", () => {
    const html = render({ showTitle: true, title: "Come chat", avatarSize: 100 })
    const elements = parseMarkup(html)
    expect(elements.find((e) => hasClass(e, "gp-title"))?.text).toBe("Come chat")
    expect(withAttribute(elements, "role", "region")[0]?.attributes.get("aria-label")).toBe("Come chat")
    expect(field(html, "name")?.text).toBe("GuildPulse Lounge")
    const avatar = elements.find((e) => e.name === "img")
    expect(avatar?.attributes.get("src")).toBe("https://cdn.discordapp.com/icons/123456789012345678/a1b2c3.png?size=128")
    expect(avatar?.attributes.get("alt")).toBe("")
    const hidden = render({ showServerName: false, showServerAvatar: false })
    expect(hidden).not.toContain("<img")
    expect(hidden).not.toContain("gp-avatar")
    expect(field(hidden, "name")).toBeUndefined()
  })

  it("puts the server's initials beneath the icon, and shows them alone for a server without one", () => {
    const elements = parseMarkup(render())
    const box = elements.find((e) => hasClass(e, "gp-avatar"))
    expect(box?.attributes.get("aria-hidden")).toBe("true")
    expect(elements.find((e) => hasClass(e, "gp-initials"))?.text).toBe("GL")
    // A failed image draws its ::after (the initials again, from this attribute) instead of a broken icon.
    expect(elements.find((e) => e.name === "img")?.attributes.get("data-initials")).toBe("GL")
    const { iconUrl: _, ...guild } = freshView.guild
    const iconless = parseMarkup(render({}, { ...freshView, guild: { ...guild, name: "Retro Arcade Collective" } }))
    expect(iconless.find((e) => hasClass(e, "gp-initials"))?.text).toBe("RAC")
    expect(iconless.find((e) => e.name === "img")).toBeUndefined()
    // No name and no icon (an unavailable view): no avatar at all.
    expect(render({}, viewIn("unavailable"))).not.toContain("gp-avatar")
  })

  it("takes initials from up to three words, whole code points, escaped", () => {
    expect(initialsOf("Pulse Makers")).toBe("PM")
    expect(initialsOf("  retro   arcade collective club ")).toBe("rac")
    expect(initialsOf("🎮 Gamers")).toBe("🎮G")
    expect(initialsOf(undefined)).toBe("")
    const evil = render({}, { ...freshView, guild: { ...freshView.guild, name: '<b "x">' } })
    expect(parseMarkup(evil).find((e) => hasClass(e, "gp-initials"))?.text).toBe("&lt;&quot;")
  })

  it("replaces an existing size parameter on the avatar URL", () => {
    const view = { ...freshView, guild: { ...freshView.guild, iconUrl: "https://cdn.discordapp.com/icons/1/a.png?size=64&x=1" } }
    const avatar = parseMarkup(render({ avatarSize: 4096 }, view)).find((e) => e.name === "img")
    expect(decode(avatar?.attributes.get("src") ?? "")).toBe("https://cdn.discordapp.com/icons/1/a.png?x=1&size=4096")
  })

  it("snaps avatar sizes to powers of two between 16 and 4096", () => {
    expect([1, 16, 20, 24, 100, 128, 200, 5000].map(snapAvatarSize)).toEqual([16, 16, 16, 32, 128, 128, 256, 4096])
  })

  it("renders the invite button from the view or the options, and the CTA with safe link attributes", () => {
    const html = render({ cta: { url: "https://example.com/rules", label: "Read the rules", style: "outline", tooltip: "Rules" } })
    const links = parseMarkup(html).filter((e) => e.name === "a")
    expect(links).toHaveLength(2)
    const [invite, cta] = links
    expect(invite?.attributes.get("href")).toBe("https://discord.com/invite/gplounge")
    expect(invite?.text).toContain("Join the server")
    for (const link of links) {
      expect(link.attributes.get("rel")).toBe("noopener noreferrer nofollow")
      expect(link.attributes.get("target")).toBe("_blank")
    }
    expect(cta?.attributes.get("href")).toBe("https://example.com/rules")
    expect(cta?.attributes.get("title")).toBe("Rules")
    expect(hasClass(cta ?? { name: "", attributes: new Map(), text: "" }, "gp-button-outline")).toBe(true)

    const own = render({ invite: { url: "https://discord.gg/own", label: "Hop in" }, cta: { url: "https://example.com", label: "Site", newTab: false } })
    const ownLinks = parseMarkup(own).filter((e) => e.name === "a")
    expect(ownLinks[0]?.attributes.get("href")).toBe("https://discord.gg/own")
    expect(ownLinks[0]?.text).toContain("Hop in")
    expect(ownLinks[1]?.attributes.has("target")).toBe(false)
    expect(ownLinks[1]?.attributes.get("rel")).toBe("noopener noreferrer nofollow")
    expect(render({ invite: { show: false } })).not.toContain("gp-invite")
  })

  it("turns a bare invite code into a discord.gg link", () => {
    const html = render({}, { ...freshView, guild: { ...freshView.guild, instantInvite: "abc123" } })
    expect(parseMarkup(html).find((e) => e.name === "a")?.attributes.get("href")).toBe("https://discord.gg/abc123")
  })

  it("puts colours and sizes in custom properties, with a readable automatic text colour", () => {
    const html = render({
      colors: { background: "#ffeb3b", accent: "#202225" },
      borderRadiusPx: 12,
      gapPx: 10,
      paddingPx: 20,
      width: "clamp(200px, 50%, 400px)",
      align: "center",
      className: "my-card wide"
    })
    const card = withAttribute(parseMarkup(html), "role", "region")[0]
    const style = card?.attributes.get("style") ?? ""
    expect(style).toContain("--gp-bg:#ffeb3b;")
    expect(style).toContain("--gp-text:#000000;")
    expect(style).toContain("--gp-accent:#202225;")
    expect(style).toContain("--gp-accent-text:#ffffff;")
    expect(style).toContain("--gp-radius:12px;")
    expect(style).toContain("--gp-gap:10px;")
    expect(style).toContain("--gp-pad:20px;")
    expect(style).toContain("--gp-width:clamp(200px, 50%, 400px);")
    expect(card?.attributes.get("data-align")).toBe("center")
    expect(hasClass(card ?? { name: "", attributes: new Map(), text: "" }, "my-card")).toBe(true)
    expect(render({ colors: { background: "#1e1f22" } })).toContain("--gp-text:#ffffff;")
    expect(render({ colors: { background: "#1e1f22", text: "#eeeeee" } })).toContain("--gp-text:#eeeeee;")
  })

  it("drops colours, lengths and class names that did not come through validation", () => {
    const hostile = {
      colors: { background: "red;}</style><script>", accent: "url(https://evil.example)" },
      width: "100px;background:url(x)",
      className: "x\" onload=\"alert(1)",
      theme: "dark\" onclick=\"x",
      layout: "<b>"
    } as unknown as WidgetOptions
    const html = render(hostile)
    parseMarkup(html)
    expect(html).not.toContain("<script")
    expect(html).not.toContain("url(")
    expect(html).not.toContain("onload")
    expect(html).not.toContain("onclick")
    expect(html).toContain('data-theme="discord"')
    expect(html).toContain('data-layout="horizontal"')
  })
})

describe("honest numbers", () => {
  it("marks approximate counts (bot/invite sources) with ≈ and the widget's online count without it", () => {
    const marker = (view: StatsView, options: WidgetOptions) =>
      parseMarkup(renderWidget(view, options, context)).filter((e) => hasClass(e, "gp-approx"))
    // online from the widget's presence_count: exact, marker present but hidden (the element may reveal it).
    const [online] = marker(freshView, { showMembers: false })
    expect(online?.attributes.has("hidden")).toBe(true)
    // members from the bot's approximate_member_count: ≈ shown, and spoken as "approximately".
    const [members] = marker(freshView, { showOnline: false })
    expect(members?.attributes.has("hidden")).toBe(false)
    expect(members?.text).toContain("≈")
    expect(members?.text).toContain("approximately")
    expect(members?.attributes.get("title")).toBe("Approximate count reported by Discord")
    const invite: StatsView = { ...freshView, provenance: { online: { source: "invite", fetchedAt: FETCHED_AT } } }
    expect(marker(invite, { showMembers: false })[0]?.attributes.has("hidden")).toBe(false)
    const fr = marker(freshView, { showOnline: false, locale: "fr" })[0]
    expect(fr?.text).toContain("environ")
  })

  it("labels the presence breakdown as a sample of N, in English and French", () => {
    const en = decode(stat(render({ showPresence: true }), "presence")?.text ?? "")
    expect(en).toContain("sample of 100")
    expect(en).toMatch(/61 online.*27 idle.*12 do not disturb/)
    const fr = decode(stat(render({ showPresence: true, locale: "fr" }), "presence")?.text ?? "")
    expect(fr).toContain("échantillon de 100")
    expect(fr).toContain("Présence par statut")
  })
})

describe("labels and numbers per locale", () => {
  it("speaks English by default", () => {
    const html = render()
    expect(stat(html, "online")?.text).toContain("Online")
    expect(stat(html, "members")?.text).toContain("Members")
    expect(field(html, "members")?.text).toBe("56,789")
    expect(field(html, "updated")?.text).toBe("updated 42 sec. ago")
    expect(html).toContain("Join the server")
  })

  it("speaks French with French number formatting", () => {
    const html = render({ locale: "fr", showBoosts: true })
    expect(stat(html, "online")?.text).toContain("En ligne")
    expect(stat(html, "members")?.text).toContain("Membres")
    expect(field(html, "members")?.text).toBe("56\u202f789")
    expect(field(html, "updated")?.text).toBe("mis à jour il y a 42\u00a0s")
    expect(stat(html, "boosts")?.text).toContain("Boosts du serveur")
    expect(html).toContain("Rejoindre le serveur")
    expect(html).toContain('lang="fr"')
    expect(html).toContain('data-locale="fr"')
  })

  it("says how long ago in minutes, hours and days", () => {
    const at = (seconds: number, locale: "en" | "fr" = "en") =>
      field(renderWidget(freshView, { locale }, { nowMs: Date.parse(FETCHED_AT) + seconds * 1000 }), "updated")?.text
    expect(at(0)).toBe("updated now")
    expect(at(5 * 60)).toBe("updated 5 min. ago")
    expect(at(3 * 3600)).toBe("updated 3 hr. ago")
    expect(at(3 * 86400)).toBe("updated 3 days ago")
    expect(at(5 * 60, "fr")).toBe("mis à jour il y a 5\u00a0min")
  })

  it("uses the singular for one boost", () => {
    const one: StatsView = { ...freshView, counts: { ...freshView.counts, boosts: 1, boostTier: 0 } }
    const html = render({ showBoosts: true }, one)
    expect(stat(html, "boosts")?.text).toContain("Server boost")
    expect(stat(html, "boosts")?.text).not.toContain("Server boosts")
  })
})

describe("freshness states", () => {
  const status = (html: string) => parseMarkup(html).find((e) => hasClass(e, "gp-status"))
  const message = (html: string) => parseMarkup(html).find((e) => hasClass(e, "gp-message"))

  it("fresh: 'Live' with the age", () => {
    const html = render({}, viewIn("fresh"))
    expect(html).toContain('data-state="fresh"')
    expect(status(html)?.text).toBe("Live · updated 42 sec. ago")
    expect(message(html)?.attributes.has("hidden")).toBe(true)
  })

  it("stale: 'Refreshing', numbers kept", () => {
    const html = render({}, viewIn("stale"))
    expect(html).toContain('data-state="stale"')
    expect(status(html)?.text).toContain("Refreshing")
    expect(field(html, "online")?.text).toBe("1,234")
  })

  it("degraded: 'Delayed', numbers kept", () => {
    const html = render({ locale: "fr" }, viewIn("degraded"))
    expect(html).toContain('data-state="degraded"')
    expect(status(html)?.text).toContain("Retardé")
    expect(field(html, "members")?.text).toBe("56\u202f789")
  })

  it("demo: visibly labelled Demo, even with the status line turned off", () => {
    const html = render({ showStatus: false }, viewIn("demo"))
    expect(html).toContain('data-state="demo"')
    expect(status(html)?.text).toContain("Demo")
    expect(status(html) !== undefined && hasClass(status(html)!, "gp-sr")).toBe(false)
    expect(message(html)?.text).toBe("Demo data, not this server&#39;s real numbers.")
    expect(message(html)?.attributes.has("hidden")).toBe(false)
    // Demo numbers are not dressed up as approximate Discord counts.
    expect(parseMarkup(html).filter((e) => hasClass(e, "gp-approx") && !e.attributes.has("hidden"))).toHaveLength(0)
  })

  it("unavailable: a helpful message, when it retries, and no numbers", () => {
    const html = render({ showPresence: true, showBoosts: true }, viewIn("unavailable"))
    expect(html).toContain('data-state="unavailable"')
    expect(status(html)?.text).toContain("Unavailable")
    expect(message(html)?.text).toBe("Temporarily unavailable, retrying in 30 sec.")
    expect(withAttribute(parseMarkup(html), "data-gp-value")).toHaveLength(0)
    for (const name of ["online", "members", "presence", "boosts"]) expect(stat(html, name)?.attributes.has("hidden")).toBe(true)
    const fr = render({ locale: "fr" }, viewIn("unavailable"))
    expect(message(fr)?.text).toBe("Temporairement indisponible, nouvel essai dans 30\u00a0s.")
    const unknown = render({}, { ...viewIn("unavailable"), freshness: { ...viewIn("unavailable").freshness, retryAfterSeconds: null } })
    expect(message(unknown)?.text).toBe("Temporarily unavailable, retrying shortly.")
  })

  it("unavailable because of a misconfiguration: says plainly what is wrong, in English and French", () => {
    const says = (reasons: StatsView["freshness"]["reasons"], locale: "en" | "fr" = "en") => {
      const html = render({ locale, showPresence: true }, unavailableFor(reasons))
      expect(html).toContain('data-state="unavailable"')
      expect(withAttribute(parseMarkup(html), "data-gp-value")).toHaveLength(0)
      return decode(message(html)?.text ?? "")
    }
    expect(says(["unknown_guild"])).toBe("Server not found.")
    expect(says(["unknown_guild", "circuit_open"])).toBe("Server not found.")
    expect(says(["widget_disabled"])).toBe("Widget disabled — add a bot token or an invite.")
    expect(says(["widget_disabled", "circuit_open"])).toBe("Widget disabled — add a bot token or an invite.")
    expect(says(["unauthorized", "circuit_open"])).toBe("Invalid bot token.")
    expect(says(["unknown_invite"])).toBe("Invite not found or for another server.")
    // Widget off, no token, an invite of another server: both things to fix, in one stable order.
    expect(says(["unknown_invite", "widget_disabled"])).toBe("Widget disabled. Invite not found or for another server.")
    // Widget off and the bot rate-limited: the token is there, so no advice to add one, and it retries.
    expect(says(["rate_limited", "widget_disabled"])).toBe("Widget disabled. Temporarily unavailable, retrying in 1 hr.")
    expect(says(["unauthorized", "widget_disabled"])).toBe("Invalid bot token. Widget disabled.")
    expect(says(["unknown_guild"], "fr")).toBe("Serveur introuvable.")
    expect(says(["widget_disabled"], "fr")).toBe("Widget désactivé — ajoutez un jeton de bot ou une invitation.")
    expect(says(["unauthorized"], "fr")).toBe("Jeton de bot invalide.")
    expect(says(["unknown_invite"], "fr")).toBe("Invitation introuvable ou d’un autre serveur.")
    // Transient trouble is not a misconfiguration: it says when it retries.
    expect(decode(message(render({}, unavailableFor(["rate_limited", "circuit_open"], 42)))?.text ?? "")).toBe("Temporarily unavailable, retrying in 42 sec.")
  })

  it("fresh numbers beside a failing source: 'Live · partial', never plain 'Live'", () => {
    const html = render({}, partialView)
    expect(html).toContain('data-state="partial"')
    expect(html).toContain('data-reasons="rate_limited"')
    expect(status(html)?.text).toBe("Live · partial · updated 42 sec. ago")
    expect(field(html, "online")?.text).toBe("1,234")
    expect(status(render({ locale: "fr" }, partialView))?.text).toContain("En direct · partiel")
  })

  it("carries expiresAt for the element, which turns the card stale at that instant", () => {
    expect(parseMarkup(render())[1]?.attributes.get("data-expires")).toBe("2026-03-01T12:05:00.000Z")
    expect(render({}, viewIn("unavailable"))).not.toContain("data-expires")
  })

  it("unavailable with numbers in the view still shows none of them", () => {
    const view: StatsView = { ...viewIn("unavailable"), counts: { online: 5, members: 9 } }
    expect(withAttribute(parseMarkup(render({}, view)), "data-gp-value")).toHaveLength(0)
  })
})

describe("escaping (XSS)", () => {
  const evil = '<script>alert("x")</script><img src=x onerror=alert(1)>"\'&'
  const hostileView: StatsView = {
    ...freshView,
    profile: 'main"><script>',
    guild: {
      id: "1",
      name: evil,
      description: `${evil} javascript:alert(1)`.replace(" javascript:", " see"),
      iconUrl: "javascript:alert(1)//https://cdn.discordapp.com/x.png",
      instantInvite: "javascript:alert(document.cookie)"
    },
    freshness: { ...freshView.freshness, fetchedAt: '2026"><script>' }
  }

  it("escapes every Discord string and drops non-http(s) URLs", () => {
    const html = renderWidget(
      hostileView,
      {
        showTitle: true,
        title: evil,
        labels: { online: evil },
        icons: { online: "<i>" },
        invite: { url: "javascript:alert(1)" },
        cta: { url: "JaVaScRiPt:alert(1)", label: evil, tooltip: evil }
      },
      { nowMs: NOW_MS, endpoint: "javascript:alert(1)", idPrefix: '"><script>' }
    )
    expect(html).not.toMatch(/<script/i)
    expect(html).not.toMatch(/javascript:/i)
    expect(html).not.toMatch(/<img src=x/i)
    const elements = parseMarkup(html)
    // Only the elements the renderer emits, with their own attributes.
    const names = new Set(elements.map((e) => e.name))
    for (const name of names) expect(["guildpulse-stats", "section", "div", "p", "ul", "li", "span", "b", "time"]).toContain(name)
    for (const element of elements) for (const attribute of element.attributes.keys()) expect(attribute).not.toMatch(/^on/i)
    expect(field(html, "name")?.text).toBe("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;")
    expect(decode(field(html, "name")?.text ?? "")).toBe(evil)
    expect(decode(withAttribute(elements, "role", "region")[0]?.attributes.get("aria-label") ?? "")).toBe(evil)
    // No link survived: both URLs were javascript:.
    expect(elements.filter((e) => e.name === "a")).toHaveLength(0)
    expect(elements[0]?.attributes.has("data-endpoint")).toBe(false)
  })

  it("keeps http(s) URLs but escapes them inside attributes", () => {
    const view = { ...freshView, guild: { ...freshView.guild, iconUrl: "https://cdn.discordapp.com/i.png?a=1&b=2" } }
    const html = renderWidget(view, {}, { nowMs: NOW_MS })
    expect(html).toContain('src="https://cdn.discordapp.com/i.png?a=1&amp;b=2&amp;size=128"')
    const quoted = { ...freshView, guild: { ...freshView.guild, iconUrl: 'https://cdn.discordapp.com/i.png" onerror="x' } }
    expect(renderWidget(quoted, {}, { nowMs: NOW_MS })).not.toContain("<img")
  })
})

describe("sparkline", () => {
  const HOUR_MS = 3_600_000
  const history = [0, 1, 2, 3].map((i) => ({ atMs: NOW_MS - (3 - i) * 8 * HOUR_MS, online: [10, 40, 20, 30][i]! }))
  const sparkContext = { ...context, sparkline: history }

  it("showSparkline draws the online counts as an inline SVG polyline with a title and a description", () => {
    const html = renderWidget(freshView, { showSparkline: true }, sparkContext)
    const elements = parseMarkup(html)
    const [svg] = elements.filter((e) => e.name === "svg")
    expect(svg?.attributes.get("class")).toBe("gp-sparkline")
    expect(svg?.attributes.get("role")).toBe("img")
    expect(svg?.attributes.get("aria-labelledby")).toBe("gp-main-spark-title gp-main-spark-desc")
    // x spans 0–240 over the 24 hours; y puts the peak (40) at the top and the low (10) at the bottom (2 px padding).
    const [polyline] = elements.filter((e) => e.name === "polyline")
    expect(polyline?.attributes.get("points")).toBe("0,38 80,2 160,26 240,14")
    expect(html).toContain('<title id="gp-main-spark-title">Online over the last 24 hours</title>')
    expect(html).toContain('<desc id="gp-main-spark-desc">Between 10 and 40 online; 30 at the latest sample.</desc>')
    expect(html).not.toContain("<script")
  })

  it("is absent without the option, without history, with one point, and on an unavailable view", () => {
    expect(renderWidget(freshView, {}, sparkContext)).not.toContain("<svg")
    expect(renderWidget(freshView, { showSparkline: true }, context)).toBe(renderWidget(freshView, {}, context))
    expect(renderWidget(freshView, { showSparkline: true }, { ...context, sparkline: history.slice(0, 1) })).not.toContain("<svg")
    expect(renderWidget(unavailableFor(["timeout"]), { showSparkline: true }, sparkContext)).not.toContain("<svg")
  })
})
