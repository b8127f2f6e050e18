/**
 * What a card may claim, in a real Chromium with a movable clock:
 * - "Live" never outlives `expiresAt`: the card turns stale at that instant with no new response, then shows
 *   what the server says (degraded during an outage, fresh after recovery); reasons are never plain "Live".
 * - A guild icon that cannot load leaves the server's initials and never a broken-image icon, with or
 *   without the script.
 */
import type { StatsView } from "@guildpulse/core"
import { createServer } from "node:http"
import type { IncomingMessage, Server, ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import type { Browser, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest"
import { embedScript, renderWidget, widgetCss } from "../src/index.js"
import { launch, pixelsDiffering } from "./browser.js"
import { freshView } from "./fixtures.js"

const T0 = Date.parse("2026-03-01T12:00:00.000Z")
const TTL_MS = 30_000
const iso = (ms: number): string => new Date(ms).toISOString()

/** A view fetched at `fetchedMs` with a 30 s ttl. */
const viewAt = (fetchedMs: number, state: StatsView["freshness"]["state"], reasons: StatsView["freshness"]["reasons"] = [], nextRefreshMs = fetchedMs + TTL_MS - 5_000): StatsView => ({
  ...freshView,
  freshness: {
    state,
    fetchedAt: iso(fetchedMs),
    ageSeconds: 0,
    expiresAt: iso(fetchedMs + TTL_MS),
    nextRefreshAt: iso(nextRefreshMs),
    retryAfterSeconds: state === "degraded" ? Math.round((nextRefreshMs - fetchedMs - TTL_MS) / 1000) : null,
    reasons
  }
})

/** 1×1 opaque PNG. */
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==", "base64")

let server: Server
let origin: string
let browser: Browser
/** Stats requests the test has not answered yet: the card gets no response until the test says so. */
const pending: Array<ServerResponse> = []
let page = ""

const handler = (request: IncomingMessage, response: ServerResponse): void => {
  const url = new URL(request.url ?? "/", "http://localhost")
  if (url.pathname === "/embed.js") response.writeHead(200, { "content-type": "text/javascript" }).end(embedScript())
  else if (url.pathname === "/widget.css") response.writeHead(200, { "content-type": "text/css" }).end(widgetCss())
  else if (url.pathname === "/stats") pending.push(response)
  else if (url.pathname === "/icon.png") response.writeHead(200, { "content-type": "image/png" }).end(PNG)
  else if (url.pathname === "/page") response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page)
  else response.writeHead(404, { "content-type": "text/plain" }).end("not found")
}

const answer = (view: StatsView): void => {
  const response = pending.shift()
  if (response === undefined) throw new Error("no stats request is waiting")
  response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(view))
}

const html = (body: string, script: boolean): string =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title><link rel="stylesheet" href="/widget.css"></head><body><main>${body}</main>${script ? `<script src="/embed.js"></script>` : ""}</body></html>`

/**
 * Retries an assertion until it holds (responses travel over real sockets). The 25 s bound is a failure guard for a
 * saturated machine, not an expectation: a passing run returns as soon as the assertion holds.
 */
const eventually = (assertion: () => unknown): Promise<unknown> => vi.waitFor(assertion, { timeout: 25_000, interval: 25 })

beforeAll(async () => {
  server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  browser = await launch()
}, 60_000)

afterAll(async () => {
  for (const response of pending.splice(0)) response.destroy()
  await browser?.close()
  await new Promise((resolve) => server?.close(resolve))
})

describe("<guildpulse-stats> never says Live on expired data", () => {
  it("turns stale at expiresAt with no new response, degraded in an outage, fresh after recovery; reasons are never plain Live", async () => {
    page = html(renderWidget(viewAt(T0, "fresh"), { refreshIntervalSeconds: 60 }, { nowMs: T0, endpoint: "/stats" }), true)
    const tab: Page = await browser.newPage()
    await tab.emulateMedia({ reducedMotion: "reduce" })
    await tab.clock.install({ time: T0 })
    await tab.clock.pauseAt(T0 + 1_000)
    await tab.goto(`${origin}/page`)
    await tab.waitForFunction(() => customElements.get("guildpulse-stats") !== undefined)
    const shown = () => tab.evaluate(() => [document.querySelector<HTMLElement>(".gp-card")?.dataset["state"], document.querySelector(".gp-state")?.textContent])
    const online = () => tab.evaluate(() => document.querySelector('[data-gp-field="online"]')?.textContent)

    expect(await shown()).toEqual(["fresh", "Live"])
    // One second before expiresAt: still live, nothing asked.
    await tab.clock.runFor(28_000)
    expect(await shown()).toEqual(["fresh", "Live"])
    expect(pending).toHaveLength(0)

    // expiresAt: stale by the clock alone — the re-fetch it starts gets no answer yet.
    await tab.clock.runFor(1_000)
    expect(await shown()).toEqual(["stale", "Refreshing"])
    await tab.clock.runFor(1) // the re-fetch is queued as a 0 ms timer
    await eventually(() => expect(pending).toHaveLength(1))
    expect(await shown()).toEqual(["stale", "Refreshing"])
    expect(await online()).toBe("1,234")

    // Outage: the server answers with its last good numbers, degraded, and retries in a minute.
    answer(viewAt(T0, "degraded", ["upstream_error", "circuit_open"], T0 + TTL_MS + 60_000))
    await eventually(async () => expect(await shown()).toEqual(["degraded", "Delayed"]))
    expect(await online()).toBe("1,234")

    // Recovery: the next poll (after nextRefreshAt) gets fresh numbers.
    await tab.clock.runFor(70_000)
    await eventually(() => expect(pending).toHaveLength(1))
    const recoveredAt = await tab.evaluate(() => Date.now())
    answer({ ...viewAt(recoveredAt, "fresh"), counts: { ...freshView.counts, online: 1300 } })
    await eventually(async () => expect(await shown()).toEqual(["fresh", "Live"]))
    expect(await online()).toBe("1,300")

    // Expiry again; this time fresh numbers come back beside a failing source: "Live · partial", not "Live".
    await tab.clock.runFor(TTL_MS)
    expect(await shown()).toEqual(["stale", "Refreshing"])
    await tab.clock.runFor(1)
    await eventually(() => expect(pending).toHaveLength(1))
    const partialAt = await tab.evaluate(() => Date.now())
    answer(viewAt(partialAt, "fresh", ["rate_limited"]))
    await eventually(async () => expect(await shown()).toEqual(["partial", "Live · partial"]))
    await tab.close()
  })

  it("a server-rendered card with reasons starts as 'Live · partial' and one past expiresAt as stale", async () => {
    const partial = renderWidget(viewAt(T0, "fresh", ["widget_disabled"]), {}, { nowMs: T0, endpoint: "/stats", idPrefix: "p" })
    // Rendered (or cached) a minute ago: its expiresAt has passed by the time the browser shows it.
    const old = renderWidget(viewAt(T0 - 60_000, "fresh"), {}, { nowMs: T0 - 60_000, endpoint: "/stats", idPrefix: "o" })
    page = html(partial + old, true)
    const tab = await browser.newPage()
    await tab.clock.install({ time: T0 })
    await tab.clock.pauseAt(T0 + 1_000)
    await tab.goto(`${origin}/page`)
    await tab.waitForFunction(() => customElements.get("guildpulse-stats") !== undefined)
    const states = await tab.evaluate(() => [...document.querySelectorAll<HTMLElement>(".gp-card")].map((c) => [c.dataset["state"], c.querySelector(".gp-state")?.textContent]))
    expect(states).toEqual([["partial", "Live · partial"], ["stale", "Refreshing"]])
    await tab.close()
  })
})

describe("guild icons that cannot load", () => {
  const cards = (): string =>
    renderWidget({ ...freshView, guild: { ...freshView.guild, iconUrl: `${origin}/missing.png` } }, {}, { idPrefix: "broken" }) +
    renderWidget({ ...freshView, guild: { ...freshView.guild, name: "Pulse Makers", iconUrl: `${origin}/icon.png` } }, { layout: "compact" }, { idPrefix: "ok" })

  const avatars = (tab: Page) =>
    tab.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>(".gp-avatar")].map((box) => {
        const img = box.querySelector("img")
        const initials = box.querySelector<HTMLElement>(".gp-initials")
        const rect = initials?.getBoundingClientRect()
        return {
          initials: initials?.textContent,
          initialsSize: rect === undefined ? 0 : Math.round(rect.width * rect.height),
          loaded: img !== null && img.complete && img.naturalWidth > 0,
          failed: img !== null && img.complete && img.naturalWidth === 0,
          hidden: img?.hidden
        }
      })
    )

  it("shows the initials and no broken image, without any script", async () => {
    page = html(cards(), false)
    const tab = await browser.newPage()
    await tab.goto(`${origin}/page`, { waitUntil: "load" })
    // Lazy images do not hold the load event: wait until both have loaded or failed.
    await tab.waitForFunction(() => [...document.images].every((img) => img.complete))
    expect(await avatars(tab)).toEqual([
      { initials: "GL", initialsSize: 48 * 48, loaded: false, failed: true, hidden: false },
      { initials: "PM", initialsSize: 28 * 28, loaded: true, failed: false, hidden: false }
    ])
    // What the failed image draws is the initials, not a broken-image icon: the avatar looks the same with the
    // <img> taken away (up to anti-aliasing of the letters, drawn twice).
    const box = tab.locator("#broken .gp-avatar")
    const withImage = await box.screenshot()
    await tab.evaluate(() => document.querySelector<HTMLElement>("#broken .gp-avatar img")?.style.setProperty("visibility", "hidden"))
    const initialsOnly = await box.screenshot()
    expect(await pixelsDiffering(tab, withImage, initialsOnly, 96)).toBe(0)
    // …and it does see a broken-image icon when there is one (the ::after turned off).
    await tab.addStyleTag({ content: "#broken .gp-avatar img::after{content:none}" })
    await tab.evaluate(() => document.querySelector<HTMLElement>("#broken .gp-avatar img")?.style.removeProperty("visibility"))
    expect(await pixelsDiffering(tab, await box.screenshot(), initialsOnly, 96)).toBeGreaterThan(20)
    // A loaded icon covers its initials.
    const icon = tab.locator("#ok .gp-avatar")
    const shownIcon = await icon.screenshot()
    await tab.evaluate(() => document.querySelector<HTMLElement>("#ok .gp-avatar img")?.style.setProperty("visibility", "hidden"))
    expect(await pixelsDiffering(tab, shownIcon, await icon.screenshot(), 64)).toBeGreaterThan(100)
    await tab.close()
  })

  it("the element hides an icon that failed, leaving the initials", async () => {
    page = html(cards(), true)
    const tab = await browser.newPage()
    await tab.goto(`${origin}/page`, { waitUntil: "load" })
    await tab.waitForFunction(() => [...document.images].every((img) => img.complete))
    await eventually(async () =>
      expect((await avatars(tab)).map((a) => [a.initials, a.failed, a.hidden])).toEqual([
        ["GL", true, true],
        ["PM", false, false]
      ])
    )
    await tab.close()
  })
})
