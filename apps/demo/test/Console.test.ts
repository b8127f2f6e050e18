/**
 * The operator console in real Chromium against a sandbox server: sign in, the dashboard, an outage turning
 * a profile's row degraded and back live (server-sent events, no reload), a profile created through the form
 * (a validation error shown at its field first), a snippet copied, a key created and revoked, a key limited
 * to one profile seeing only that profile, sign-out; axe-core on every page; screenshots of every page at
 * 1280 and 375 px, light and dark, saved to test-artifacts/console/.
 */
import { mkdirSync, statSync } from "node:fs"
import { dirname, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import type { Browser, BrowserContext, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { cspViolations, launch, seriousViolations, untilStats } from "./browser.js"
import * as ConsoleServer from "./consoleServer.js"

/** A busy machine renders slowly: every poll waits for its outcome up to 20 s (vitest's default is 1 s). */
const POLL = { timeout: 20_000 }

const artifacts = resolve(dirname(fileURLToPath(import.meta.url)), "../../../test-artifacts/console")

let server: ConsoleServer.ConsoleServer
let browser: Browser

const admin = { Authorization: `Bearer ${ConsoleServer.ADMIN_KEY}` }
const api = (path: string, init: RequestInit = {}) => fetch(`${server.url}${path}`, { ...init, headers: { ...admin, "content-type": "application/json", ...(init.headers ?? {}) } })
const refresh = (key: string) => api(`/v1/profiles/${key}/refresh`, { method: "POST" })

const untilFreshness = (key: string, state: string) => untilStats(server.url, key, (view) => view.freshness.state === state)
const consoleCspViolations = (page: Page) => cspViolations(page, `${server.url}/console`)

const signIn = async (page: Page, key: string) => {
  await page.goto(`${server.url}/console/`)
  await page.waitForURL(/\/console\/login/)
  await page.getByLabel("API key").fill(key)
  await Promise.all([page.waitForURL(`${server.url}/console/`), page.getByRole("button", { name: "Sign in" }).click()])
}

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true })
  server = await ConsoleServer.start()
  for (const key of ["small", "large", "no-widget"]) expect((await refresh(key)).status).toBe(202)
  await untilFreshness("small", "fresh")
  browser = await launch()
})
afterAll(async () => {
  await browser?.close()
  await server?.close()
})

describe("the operator console in Chromium", () => {
  let context: BrowserContext
  let page: Page
  let refused: Array<string>

  beforeAll(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url })
    page = await context.newPage()
    refused = consoleCspViolations(page)
  })
  afterAll(() => context?.close())

  it("signs in and shows the dashboard; an outage turns the profile's row degraded and back live, without a reload", async () => {
    await signIn(page, ConsoleServer.ADMIN_KEY)
    const row = page.locator('tr[data-profile="small"]')
    await expect.poll(() => row.getAttribute("data-status"), POLL).toBe("ok")
    await expect.poll(() => page.locator("body").getAttribute("data-live-state"), POLL).toBe("open")
    // A marker on the window: a reload would drop it.
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42))

    server.sandbox.setScenario({ mode: "outage", params: { status: 503 } })
    server.clock.advance(5 * 60_000)
    expect((await refresh("small")).status).toBe(202)
    await untilFreshness("small", "degraded")
    await expect.poll(() => row.getAttribute("data-status"), { timeout: 20_000 }).toBe("degraded")
    // Problems first: the degraded row comes before every ok row.
    const statuses = await page.locator("#health-rows tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-status")))
    expect(statuses.indexOf("degraded")).toBeLessThan(statuses.indexOf("ok"))
    await page.screenshot({ path: `${artifacts}/dashboard-outage.png`, fullPage: true })

    server.sandbox.clearScenarios()
    server.clock.advance(61 * 60_000)
    expect((await refresh("small")).status).toBe(202)
    await untilFreshness("small", "fresh")
    await expect.poll(() => row.getAttribute("data-status"), { timeout: 20_000 }).toBe("ok")
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42)
  })

  it("the profile page shows numbers with provenance, circuits, live events, token status; a snippet is copied", async () => {
    await page.goto(`${server.url}/console/profiles/small`)
    await expect.poll(() => page.locator("#profile-numbers tr[data-field=online] td").nth(1).textContent(), POLL).toBe("widget")
    expect(await page.locator('#profile-sources tr[data-source="widget"] td').first().textContent()).toBe("closed")
    const stored = (await (await api("/v1/profiles/small")).json()) as { token: { status: string } }
    expect(await page.locator("[data-token-status]").getAttribute("data-token-status")).toBe(stored.token.status)
    // A refresh shows up in the live event stream without a reload.
    const before = await page.locator("#event-list li").count()
    expect((await refresh("small")).status).toBe(202)
    await expect.poll(() => page.locator("#event-list li").count(), { timeout: 20_000 }).toBeGreaterThan(before)
    // The embed preview follows the chosen theme; the snippet is copied to the clipboard.
    await page.getByLabel("Theme").selectOption("dark")
    await expect.poll(() => page.locator("#embed-preview").getAttribute("src"), POLL).toContain("theme=dark")
    await page.getByRole("button", { name: "Copy HTML element" }).click()
    await expect.poll(() => page.locator("#snippet-html-copied").textContent(), POLL).toBe("Copied.")
    const copied = await page.evaluate(() => navigator.clipboard.readText())
    expect(copied).toContain('<guildpulse-stats data-endpoint="')
    expect(copied).toContain('/v1/profiles/small/stats" data-theme="dark"')
    expect(copied).toBe(await page.locator("#snippet-html").textContent())
  })

  it("analytics: charts drawn by the chart library for 24 h / 7 d / 30 d, the heatmap, a comparison, the report", async () => {
    await page.goto(`${server.url}/console/profiles/small?range=7d&compare=large`)
    await expect.poll(() => page.locator("#chart-online").getAttribute("data-chart-ready"), POLL).toBe("true")
    expect(await page.locator("#chart-online canvas").count()).toBe(1)
    expect(await page.locator("#chart-members canvas").count()).toBe(1)
    await expect.poll(() => page.locator("#chart-compare").getAttribute("data-chart-ready"), POLL).toBe("true")
    expect(await page.getByRole("link", { name: "7 days" }).getAttribute("aria-current")).toBe("true")
    expect(await page.locator("table.heatmap tbody tr").count()).toBe(7)
    expect(await page.locator("table.heatmap thead th").count()).toBe(25)
    // The seeded six days: each of their weekday hours (UTC, Monday first) has a number, and the charts were
    // given the hourly points. Live rounds may fill other cells too, so only the seeded ones are looked at.
    const filled = await page.locator("table.heatmap tbody tr").evaluateAll((rows) =>
      rows.map((row) => [...row.querySelectorAll("td.hm")].map((cell) => !cell.classList.contains("hm-none"))))
    const seeded = Array.from({ length: 6 * 24 }, (_, i) => new Date(server.historyStartMs + i * 3_600_000))
    expect(seeded.filter((at) => filled[(at.getUTCDay() + 6) % 7]?.[at.getUTCHours()] === true).length).toBe(6 * 24)
    const data = JSON.parse((await page.locator("#analytics-data").textContent())!) as { points: Array<{ online: number | null }>; comparison: { series: Array<{ profile: string }> } }
    expect(data.points.filter((p) => p.online !== null).length).toBeGreaterThanOrEqual(100)
    expect(data.comparison.series.map((s) => s.profile)).toEqual(["small", "large"])
    expect(await page.locator("table caption").filter({ hasText: "samples" }).first().textContent()).toMatch(/^1\d\d samples/)
    await page.screenshot({ path: `${artifacts}/profile-analytics.png`, fullPage: true })
    await page.getByRole("link", { name: "Report" }).click()
    await page.waitForURL(`${server.url}/console/report`)
    const ranked = await page.locator("tbody tr[data-profile]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-profile")).sort())
    expect(ranked).toEqual(["large", "no-widget", "small"])
  })

  it("creates a profile through the form, the API's validation error shown at the field first", async () => {
    await page.goto(`${server.url}/console/profiles/new`)
    await page.getByLabel("Key").fill("console-made")
    await page.getByLabel("Label").fill("Made in the console")
    await page.getByLabel("Discord server (guild) id").fill("not-a-guild")
    await page.getByRole("button", { name: "Create profile" }).click()
    const guild = page.getByLabel("Discord server (guild) id")
    await expect.poll(() => guild.getAttribute("aria-invalid"), POLL).toBe("true")
    expect(await page.locator("#f-guildId-error").textContent()).toMatch(/digits/)
    expect(await guild.inputValue()).toBe("not-a-guild")
    expect(await seriousViolations(page)).toEqual([])
    await page.screenshot({ path: `${artifacts}/new-profile-error.png`, fullPage: true })
    await guild.fill("523456789012345678")
    await Promise.all([page.waitForURL(/\/console\/profiles\/console-made\?done=created/), page.getByRole("button", { name: "Create profile" }).click()])
    expect(await page.getByRole("status").filter({ hasText: "Profile created." }).count()).toBe(1)
    expect((await api("/v1/profiles/console-made")).status).toBe(200)
  })

  it("creates a key (its secret shown once) and revokes it", async () => {
    await page.goto(`${server.url}/console/keys`)
    await page.getByLabel("Name").fill("browser key")
    await page.getByLabel("profiles:read").check()
    await Promise.all([page.waitForURL(`${server.url}/console/keys`), page.getByRole("button", { name: "Create key" }).click()])
    const secret = (await page.locator("#new-key-secret").textContent())!
    expect(secret).toMatch(/^gp_[A-Za-z0-9]+_[A-Za-z0-9]+$/)
    const id = secret.split("_")[1]!
    expect((await fetch(`${server.url}/v1/profiles`, { headers: { Authorization: `Bearer ${secret}` } })).status).toBe(200)
    await page.reload()
    expect(await page.locator("#new-key-secret").count()).toBe(0)
    await Promise.all([page.waitForURL(`${server.url}/console/keys`), page.getByRole("button", { name: "Revoke key browser key" }).click()])
    expect(await page.locator(`tr[data-key="${id}"] td`).nth(5).textContent()).toBe("revoked")
    expect((await fetch(`${server.url}/v1/profiles`, { headers: { Authorization: `Bearer ${secret}` } })).status).toBe(401)
  })

  it("a form posted from another origin is refused (CSRF) and changes nothing", async () => {
    const attacker = await context.newPage()
    await attacker.goto(`${server.sandbox.url}/__sandbox/stats`)
    await attacker.setContent(`<form method="post" action="${server.url}/console/profiles/new"><input name="key" value="forged"><input name="label" value="Forged"><input name="guildId" value="623456789012345678"><button>go</button></form>`)
    const [answer] = await Promise.all([attacker.waitForResponse(`${server.url}/console/profiles/new`), attacker.click("button")])
    expect(answer.status()).toBe(403)
    expect((await api("/v1/profiles/forged")).status).toBe(404)
    await attacker.close()
  })

  it("signs out: the session cookie no longer opens the console", async () => {
    const cookie = (await context.cookies(`${server.url}/console/`)).find((c) => c.name === "gp_console")!
    expect(cookie.httpOnly).toBe(true)
    expect(cookie.sameSite).toBe("Strict")
    await page.goto(`${server.url}/console/`)
    await Promise.all([page.waitForURL(/\/console\/login\?ended=out/), page.getByRole("button", { name: "Sign out" }).click()])
    const reused = await fetch(`${server.url}/console/`, { headers: { Cookie: `gp_console=${cookie.value}` }, redirect: "manual" })
    expect(reused.status).toBe(303)
    expect(refused).toEqual([])
  })
})

describe("a key limited to one profile", () => {
  it("sees only that profile, on the dashboard, its page and the live stream", async () => {
    const issued = await (await api("/v1/keys", { method: "POST", body: JSON.stringify({ name: "large only", scopes: ["profiles:read", "health:read", "events:read"], profiles: ["large"] }) })).json() as { secret: string }
    const context = await browser.newContext()
    const page = await context.newPage()
    // A session id planted before sign-in (session fixation) is not adopted.
    await context.addCookies([{ name: "gp_console", value: "P".repeat(43), domain: "127.0.0.1", path: "/console" }])
    await signIn(page, issued.secret)
    const issuedCookie = (await context.cookies(`${server.url}/console/`)).find((c) => c.name === "gp_console" && c.path === "/console")!
    expect(issuedCookie.value).not.toBe("P".repeat(43))
    await expect.poll(() => page.locator("body").getAttribute("data-live-updates"), POLL).not.toBe(null)
    expect(await page.locator("#health-rows tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-profile")))).toEqual(["large"])
    const html = await page.content()
    for (const other of ["small", "no-widget", "console-made", "Pulse Makers", "Retro Arcade"]) expect(html).not.toContain(other)
    expect(await page.getByRole("link", { name: "API keys" }).count()).toBe(0)
    expect(await page.getByRole("link", { name: "New profile" }).count()).toBe(0)
    const other = await page.goto(`${server.url}/console/profiles/small`)
    expect(other?.status()).toBe(404)
    await page.goto(`${server.url}/console/profiles/large`)
    expect(await page.getByRole("link", { name: "Edit profile" }).count()).toBe(0)
    expect(await page.getByRole("button", { name: /Delete profile/ }).count()).toBe(0)
    expect(await page.getByLabel(/Bot token/).count()).toBe(0)
    await context.close()
  })
})

describe("every page: axe-core, screenshots at 1280 and 375 px, light and dark", () => {
  it("has no serious accessibility violation and is pictured", async () => {
    const pages: ReadonlyArray<readonly [string, string]> = [
      ["dashboard", "/console/"],
      ["profile", "/console/profiles/small"],
      ["profile-edit", "/console/profiles/small/edit"],
      ["profile-new", "/console/profiles/new"],
      ["keys", "/console/keys"],
      ["alerts", "/console/alerts"],
      ["audit", "/console/audit"],
      ["report", "/console/report"]
    ]
    for (const scheme of ["light", "dark"] as const) {
      for (const width of [1280, 375]) {
        const context = await browser.newContext({ viewport: { width, height: 900 }, colorScheme: scheme })
        const page = await context.newPage()
        const refused = consoleCspViolations(page)
        await page.goto(`${server.url}/console/login`)
        expect(await seriousViolations(page)).toEqual([])
        await page.screenshot({ path: `${artifacts}/login-${width}-${scheme}.png`, fullPage: true })
        await signIn(page, ConsoleServer.ADMIN_KEY)
        for (const [name, path] of pages) {
          await page.goto(`${server.url}${path}`)
          expect(await seriousViolations(page), `${name} at ${width} px, ${scheme}`).toEqual([])
          // Nothing wider than the viewport except inside the scrolling table regions.
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
          expect(overflow, `${name} at ${width} px scrolls sideways`).toBe(0)
          const file = `${artifacts}/${name}-${width}-${scheme}.png`
          await page.screenshot({ path: file, fullPage: true })
          expect(statSync(file).size).toBeGreaterThan(5_000)
        }
        expect(refused).toEqual([])
        await context.close()
      }
    }
  }, 240_000)
})
