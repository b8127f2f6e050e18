/**
 * The widget in a real browser against the demo (engine + FakeDiscord): counts appear, follow the sandbox's
 * drift, turn degraded in an outage (numbers kept), every theme is screenshotted to test-artifacts/, and
 * axe-core finds no serious accessibility violation.
 */
import { mkdirSync, statSync } from "node:fs"
import { dirname, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import type { Browser } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { countsAt, defaultFixtures, SMALL_GUILD_ID } from "@guildpulse/connector-discord/sandbox"
import * as Demo from "../src/Demo.js"
import { themes } from "../src/Pages.js"
import { cspViolations, launch, seriousViolations, untilStats, type StatsView } from "./browser.js"

const artifacts = resolve(dirname(fileURLToPath(import.meta.url)), "../../../test-artifacts/demo")

let demo: Demo.RunningDemo
let browser: Browser

const refresh = (key: string) =>
  fetch(`${demo.url}/v1/profiles/${key}/refresh`, { method: "POST", headers: { authorization: `Bearer ${demo.adminKey}` } })

const untilApi = (key: string, predicate: (view: StatsView) => boolean) => untilStats(demo.url, key, predicate)

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true })
  demo = await Demo.start({ port: 0, scheduler: false, telemetryFromEnv: false })
  browser = await launch()
})
afterAll(async () => {
  await browser?.close()
  await demo?.close()
})

describe("<guildpulse-stats> against the demo in Chromium", () => {
  it("shows the counts, follows the sandbox's drift, and turns degraded (keeping numbers) in an outage", async () => {
    const page = await browser.newPage()
    const refused = cspViolations(page)
    await page.clock.install()
    await page.goto(`${demo.url}/`)
    const online = page.locator('#gp-small-default-h [data-gp-field="online"]')
    const card = page.locator("#gp-small-default-h")
    const first = Number(await online.getAttribute("data-gp-value"))
    expect(first).toBeGreaterThan(0)
    await expect.poll(() => card.getAttribute("data-state")).toBe("fresh")

    // Discord's numbers drift: move the shared clock, refresh, and let the element's next poll come.
    // (Drift is a deterministic function of time: move on until the sandbox's online count really changes.)
    const small = defaultFixtures.guilds.find((g) => g.id === SMALL_GUILD_ID)!
    let moves = 0
    do {
      demo.clock.advance(7 * 60_000)
      moves += 1
    } while (countsAt(small, demo.clock.now()).presenceCount === first && moves < 50)
    expect((await refresh("small")).status).toBe(202)
    const drifted = await untilApi("small", (v) => v.freshness.state === "fresh" && v.counts.online !== first)
    await page.clock.fastForward("30:00")
    await expect.poll(async () => Number(await online.getAttribute("data-gp-value")), { timeout: 15_000 }).toBe(drifted.counts.online)
    await page.screenshot({ path: `${artifacts}/drifted.png`, fullPage: true })

    // Outage: refreshes fail, the snapshot ages past its ttl, the card says degraded and keeps its numbers.
    demo.sandbox.setScenario({ mode: "outage", params: { status: 503 } })
    demo.clock.advance(5 * 60_000)
    expect((await refresh("small")).status).toBe(202)
    await untilApi("small", (v) => v.freshness.state === "degraded")
    await page.clock.fastForward("30:00")
    await expect.poll(() => card.getAttribute("data-state"), { timeout: 15_000 }).toBe("degraded")
    expect(Number(await online.getAttribute("data-gp-value"))).toBe(drifted.counts.online)
    await page.screenshot({ path: `${artifacts}/degraded.png`, fullPage: true })
    demo.sandbox.clearScenarios()
    expect(refused).toEqual([])
    await page.close()
  })

  it("the sandbox controls work from the page under its CSP and CSRF check", async () => {
    const page = await browser.newPage()
    const refused = cspViolations(page)
    await page.goto(`${demo.url}/`)
    await page.selectOption('select[name="profile"]', "large")
    await page.selectOption('select[name="mode"]', "outage")
    await Promise.all([page.waitForURL(/\/\?done=/), page.click('form[action="/demo/scenario"] button[type="submit"]')])
    expect(await page.locator('[role="status"]').textContent()).toContain("Sandbox: outage")
    expect(demo.sandbox.scenarios().map((s) => s.mode)).toEqual(["outage"])
    await Promise.all([page.waitForURL(/\/\?done=Refresh/), page.click('form[action="/demo/refresh"] button[type="submit"]')])
    expect(await page.locator('[role="status"]').textContent()).toBe("Refresh started for every profile.")
    demo.sandbox.clearScenarios()
    expect(refused).toEqual([])
    await page.close()
  })

  it("renders every theme (screenshots saved) with no serious axe-core violations", async () => {
    const page = await browser.newPage()
    const refused = cspViolations(page)
    for (const key of ["small", "large"]) {
      // Healthy numbers for the pictures (the previous test left the sandbox's outage behind it).
      expect((await refresh(key)).status).toBe(202)
      await untilApi(key, (v) => v.freshness.state === "fresh")
      await page.goto(`${demo.url}/demo/themes/${key}`)
      for (const theme of themes) {
        const section = page.locator(`[data-theme-sample="${theme}"]`)
        await expect.poll(() => section.locator("[data-gp-field=online]").count()).toBe(3)
        const path = `${artifacts}/${key}-${theme}.png`
        await section.screenshot({ path })
        expect(statSync(path).size).toBeGreaterThan(2_000)
      }
      expect(await seriousViolations(page)).toEqual([])
    }
    await page.goto(`${demo.url}/`)
    expect(await seriousViolations(page)).toEqual([])
    expect(refused).toEqual([])
    await page.close()
  })
})
