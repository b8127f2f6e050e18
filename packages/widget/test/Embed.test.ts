import type { StatsView } from "@guildpulse/core"
import { existsSync, readFileSync } from "node:fs"
import { createServer } from "node:http"
import type { IncomingMessage, Server, ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { createRequire } from "node:module"
import { Script } from "node:vm"
import { gzipSync } from "node:zlib"
import { chromium } from "playwright-core"
import type { Browser, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest"
import { embedScript, renderWidget, themes, widgetCss } from "../src/index.js"
import { freshView, NOW_MS, viewIn } from "./fixtures.js"

const EMBED_BUDGET_BYTES = 4096

describe("embedScript", () => {
  it(`is at most ${EMBED_BUDGET_BYTES} bytes minified and gzipped`, () => {
    const script = embedScript()
    const gzipBytes = gzipSync(script, { level: 9 }).length
    console.info(`embed.js: ${Buffer.byteLength(script)} B minified, ${gzipBytes} B gzipped`)
    expect(gzipBytes).toBeLessThanOrEqual(EMBED_BUDGET_BYTES)
  })

  it("is one self-contained, parseable script that defines <guildpulse-stats>", () => {
    const script = embedScript()
    expect(() => new Script(script)).not.toThrow()
    expect(script).toContain("guildpulse-stats")
    expect(script).not.toMatch(/\bimport\s*[{(*]|\brequire\(/)
    expect(embedScript()).toBe(script)
  })
})

/** Where a Chromium is: $CHROMIUM_PATH, the system package, or one installed for playwright. */
const chromiumPath = (): string | undefined => {
  const candidates = [process.env["CHROMIUM_PATH"], "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
  try {
    candidates.push(chromium.executablePath())
  } catch {
    // no browser downloaded for playwright
  }
  return candidates.find((path): path is string => path !== undefined && path !== "" && existsSync(path))
}

const executablePath = chromiumPath()

// The browser tests are not optional: CI installs Debian's chromium (.ci/run). Without a browser, fail loudly.
if (executablePath === undefined) {
  describe("<guildpulse-stats> in a browser", () => {
    it("needs Chromium", () => {
      expect.fail("No Chromium found: install Debian's `chromium` (apt-get install chromium) or set CHROMIUM_PATH")
    })
  })
} else {
  describe("<guildpulse-stats> in a browser", { timeout: 30_000 }, () => {
    type Mode = { readonly status: 200 } | { readonly status: 500 } | { readonly status: 429 | 503; readonly retryAfter: string }
    let served: StatsView = { ...freshView, freshness: { ...freshView.freshness, nextRefreshAt: null } }
    let version = 1
    let mode: Mode = { status: 200 }
    const requests: Array<{ readonly ifNoneMatch: string | undefined }> = []
    let server: Server
    let origin: string
    let browser: Browser
    let page: Page

    const serve = (view: StatsView): void => {
      served = view
      version++
    }

    const handler = (request: IncomingMessage, response: ServerResponse): void => {
      const url = new URL(request.url ?? "/", "http://localhost")
      if (url.pathname === "/embed.js") {
        response.writeHead(200, { "content-type": "text/javascript" }).end(embedScript())
      } else if (url.pathname === "/widget.css") {
        response.writeHead(200, { "content-type": "text/css" }).end(widgetCss())
      } else if (url.pathname === "/stats") {
        const ifNoneMatch = request.headers["if-none-match"]
        requests.push({ ifNoneMatch })
        const etag = `"v${version}"`
        if (mode.status === 500) response.writeHead(500).end("boom")
        else if (mode.status !== 200) response.writeHead(mode.status, { "retry-after": mode.retryAfter }).end()
        else if (ifNoneMatch === etag) response.writeHead(304, { etag }).end()
        else response.writeHead(200, { "content-type": "application/json", etag }).end(JSON.stringify(served))
      } else {
        const body = url.searchParams.get("empty") !== null
          ? `<guildpulse-stats data-endpoint="/stats" data-theme="light" data-locale="fr"></guildpulse-stats>`
          : renderWidget(freshView, { refreshIntervalSeconds: 10, showPresence: true }, { nowMs: NOW_MS, endpoint: "/stats" })
        response
          .writeHead(200, { "content-type": "text/html; charset=utf-8" })
          .end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title><link rel="stylesheet" href="/widget.css"></head><body><main>${body}<div style="height:4000px"></div></main><script src="/embed.js"></script></body></html>`)
      }
    }

    const text = (selector: string): Promise<string | null> => page.evaluate((s) => document.querySelector(s)?.textContent ?? null, selector)
    const state = (): Promise<string | null> => page.evaluate(() => document.querySelector<HTMLElement>(".gp-card")?.dataset["state"] ?? null)
    /**
     * Retries an assertion until the real fetch has landed (fetches are real). The bound is a safety net for a
     * saturated machine, not an expectation: a passing run returns as soon as the assertion holds.
     */
    const eventually = (assertion: () => unknown): Promise<unknown> => vi.waitFor(assertion, { timeout: 30_000, interval: 20 })
    /**
     * Advances the page's fake clock, then waits until every card is idle: a poll the timers started has had its answer
     * handled and the next one planned (the card's `busy` flag, set before its fetch, cleared after). Absence checks
     * after it are then exact: a request the clock triggered has reached the server by the time this returns.
     */
    const advance = async (ms: number): Promise<void> => {
      await page.clock.runFor(ms)
      await eventually(async () =>
        expect(await page.evaluate(() => [...document.querySelectorAll("guildpulse-stats")].every((card) => (card as unknown as { busy?: boolean }).busy === false))).toBe(true))
    }

    beforeAll(async () => {
      server = createServer(handler)
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
      origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      browser = await chromium.launch({
        executablePath,
        headless: true,
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
      })
      page = await browser.newPage()
      await page.emulateMedia({ reducedMotion: "reduce" })
      await page.clock.install({ time: NOW_MS })
      await page.goto(`${origin}/`)
    }, 60_000)

    afterAll(async () => {
      await browser?.close()
      await new Promise((resolve) => server?.close(resolve))
    })

    it("upgrades the server-rendered card in place and does not fetch what it already shows", async () => {
      expect(await page.evaluate(() => customElements.get("guildpulse-stats") !== undefined)).toBe(true)
      expect(await text('[data-gp-field="online"]')).toBe("1,234")
      await advance(5_000)
      expect(requests).toHaveLength(0)
    })

    it("polls after data-interval and updates the numbers in the live region", async () => {
      serve({ ...served, counts: { ...served.counts, online: 1300 }, presence: { online: 70, idle: 20, dnd: 10, sampleSize: 100 } })
      await advance(7_000)
      await eventually(async () => expect(await text('[data-gp-field="online"]')).toBe("1,300"))
      expect(requests).toHaveLength(1)
      expect(requests[0]?.ifNoneMatch).toBeUndefined()
      expect(await text('[data-gp-field="presence.online"]')).toBe("70")
      expect(await page.evaluate(() => document.querySelectorAll("[aria-live]").length)).toBe(1)
      expect(await text("[aria-live]")).toContain("1,300")
      expect(await state()).toBe("fresh")
    })

    it("revalidates with If-None-Match and keeps its numbers on 304", async () => {
      await advance(11_100)
      await eventually(() => expect(requests).toHaveLength(2))
      expect(requests[1]?.ifNoneMatch).toBe(`"v${version}"`)
      expect(await text('[data-gp-field="online"]')).toBe("1,300")
    })

    it("never blanks numbers on errors: stale, then degraded, with exponential backoff", async () => {
      mode = { status: 500 }
      await advance(11_100)
      await eventually(() => expect(requests).toHaveLength(3))
      await eventually(async () => expect(await state()).toBe("stale"))
      expect(await text('[data-gp-field="online"]')).toBe("1,300")
      expect(await text(".gp-state")).toBe("Refreshing")
      // 1 failure → 20 s (+ up to 10 % jitter): nothing at 15 s.
      await advance(15_000)
      expect(requests).toHaveLength(3)
      await advance(8_000)
      await eventually(() => expect(requests).toHaveLength(4))
      // 2 failures → 40 s.
      await advance(35_000)
      expect(requests).toHaveLength(4)
      await advance(10_000)
      await eventually(() => expect(requests).toHaveLength(5))
      await eventually(async () => expect(await state()).toBe("degraded"))
      expect(await text('[data-gp-field="online"]')).toBe("1,300")
      expect(await text('[data-gp-field="members"]')).toBe("56,789")
      // Recovery: 3 failures → 80 s.
      mode = { status: 200 }
      await advance(90_000)
      await eventually(() => expect(requests).toHaveLength(6))
      await eventually(async () => expect(await state()).toBe("fresh"))
    })

    it("honours Retry-After", async () => {
      mode = { status: 429, retryAfter: "120" }
      await advance(11_100)
      await eventually(() => expect(requests).toHaveLength(7))
      await advance(100_000)
      expect(requests).toHaveLength(7)
      mode = { status: 200 }
      await advance(33_000)
      await eventually(() => expect(requests).toHaveLength(8))
    })

    it("does not ask before freshness.nextRefreshAt", async () => {
      const pageNow = await page.evaluate(() => Date.now())
      serve({ ...served, freshness: { ...served.freshness, nextRefreshAt: new Date(pageNow + 300_000).toISOString() } })
      await advance(11_100)
      await eventually(() => expect(requests).toHaveLength(9))
      await advance(250_000)
      expect(requests).toHaveLength(9)
      serve({ ...served, freshness: { ...served.freshness, nextRefreshAt: null } })
      await advance(90_000)
      await eventually(() => expect(requests).toHaveLength(10))
    })

    it("pauses while the page is hidden and resumes when it is shown", async () => {
      const setHidden = (hidden: boolean) =>
        page.evaluate((value) => {
          Object.defineProperty(document, "hidden", { configurable: true, get: () => value })
          document.dispatchEvent(new Event("visibilitychange"))
        }, hidden)
      await setHidden(true)
      await advance(120_000)
      expect(requests).toHaveLength(10)
      await setHidden(false)
      await advance(1_000)
      await eventually(() => expect(requests).toHaveLength(11))
    })

    it("pauses while the card is off-screen", async () => {
      // Our own observer on the same element tells when the browser has delivered the intersection change.
      await page.evaluate(() => {
        const target = document.querySelector("guildpulse-stats")
        if (target === null) throw new Error("no element")
        new IntersectionObserver((entries) => {
          for (const entry of entries) document.body.dataset["cardVisible"] = String(entry.isIntersecting)
        }).observe(target)
      })
      const cardVisible = () => page.evaluate(() => document.body.dataset["cardVisible"])
      await page.evaluate(() => window.scrollTo(0, 3000))
      await eventually(async () => {
        await advance(100)
        expect(await cardVisible()).toBe("false")
      })
      const before = requests.length
      await advance(120_000)
      expect(requests).toHaveLength(before)
      await page.evaluate(() => window.scrollTo(0, 0))
      await eventually(async () => {
        await advance(500)
        expect(await cardVisible()).toBe("true")
        expect(requests.length).toBeGreaterThan(before)
      })
    })

    it("keeps showing numbers when the server becomes unavailable", async () => {
      serve(viewIn("unavailable"))
      await advance(15_000)
      await eventually(async () => expect(await state()).toBe("degraded"))
      expect(await text('[data-gp-field="online"]')).toBe("1,300")
    })

    it("renders a card itself in an empty element", async () => {
      serve({ ...freshView, freshness: { ...freshView.freshness, nextRefreshAt: null } })
      const empty = await browser.newPage()
      await empty.emulateMedia({ reducedMotion: "reduce" })
      // The served view expires at 12:05 (fixtures): the page's clock must be before that for "Live".
      await empty.clock.install({ time: NOW_MS })
      await empty.goto(`${origin}/?empty=1`)
      const read = (selector: string) => empty.evaluate((s) => document.querySelector(s)?.textContent ?? null, selector)
      await eventually(async () => expect(await read('[data-gp-field="online"]')).toBe("1\u202f234"))
      expect(await read('[data-gp-field="members"]')).toBe("56\u202f789")
      expect(await read('[data-gp-field="name"]')).toBe("GuildPulse Lounge")
      expect(await read(".gp-state")).toBe("En direct")
      expect(await empty.evaluate(() => document.querySelector<HTMLElement>('[data-gp-stat="members"] .gp-approx')?.hidden)).toBe(false)
      expect(await empty.evaluate(() => document.querySelector(".gp-card")?.getAttribute("data-theme"))).toBe("light")
      expect(await empty.evaluate(() => document.querySelectorAll('[role="region"][aria-label]').length)).toBe(1)
      await empty.close()
    })

    it("animates counts only when motion is welcome, keeping the live region busy meanwhile", async () => {
      serve({ ...freshView, counts: { ...freshView.counts, online: 2000 }, freshness: { ...freshView.freshness, nextRefreshAt: null } })
      const moving = await browser.newPage()
      await moving.emulateMedia({ reducedMotion: "no-preference" })
      // The page's time stands still (no flowing wall clock) and moves only by runFor: the animation is exactly
      // 200 ms in when it is looked at, however long the machine takes to deliver the fetch and the DOM update.
      await moving.clock.install({ time: NOW_MS })
      await moving.clock.pauseAt(NOW_MS + 1_000)
      await moving.goto(`${origin}/`)
      const before = requests.length
      await moving.clock.runFor(11_100)
      await eventually(() => expect(requests.length).toBeGreaterThan(before))
      await eventually(async () =>
        expect(await moving.evaluate(() => document.querySelector('[data-gp-field="online"]')?.getAttribute("data-gp-value"))).toBe("2000")
      )
      // Mid-animation: digits between the old and the new number, and the live region marked busy.
      await moving.clock.runFor(200)
      const mid = await moving.evaluate(() => ({
        text: document.querySelector('[data-gp-field="online"]')?.textContent ?? "",
        busy: document.querySelector("[aria-live]")?.getAttribute("aria-busy") ?? null
      }))
      expect(mid.busy).toBe("true")
      const shown = Number(mid.text.replace(/,/g, ""))
      expect(shown).toBeGreaterThan(1234)
      expect(shown).toBeLessThan(2000)
      await moving.clock.runFor(1_000)
      expect(await moving.evaluate(() => document.querySelector('[data-gp-field="online"]')?.textContent)).toBe("2,000")
      expect(await moving.evaluate(() => document.querySelector("[aria-live]")?.hasAttribute("aria-busy"))).toBe(false)
      await moving.close()
    })

    it("passes axe-core (WCAG 2 A/AA, colour contrast included) in every theme and state", async () => {
      const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8")
      const audit = await browser.newPage()
      const cards = themes
        .flatMap((theme) =>
          (["fresh", "degraded", "demo", "unavailable"] as const).map((state) =>
            renderWidget(viewIn(state), { theme, showPresence: true, showBoosts: true, showTitle: true, cta: { url: "https://example.com", label: "Rules", style: "outline" } }, { nowMs: NOW_MS, idPrefix: `c-${theme}-${state}` })
          )
        )
        .join("")
      await audit.setContent(`<!doctype html><html lang="en"><head><title>axe</title><style>${widgetCss()}</style></head><body><main>${cards}</main></body></html>`)
      await audit.addScriptTag({ content: axeSource })
      const violations = await audit.evaluate(async () => {
        const axe = (window as unknown as { axe: { run: (context: Element, options: object) => Promise<{ violations: Array<{ id: string; nodes: Array<{ target: unknown }> }> }> } }).axe
        const result = await axe.run(document.body, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21aa"] } })
        return result.violations.map((v) => `${v.id}: ${JSON.stringify(v.nodes.slice(0, 3).map((n) => n.target))}`)
      })
      await audit.close()
      expect(violations).toEqual([])
    }, 60_000)
  })
}
