/**
 * Guild avatars on the demo page, in Chromium: the connector hands out the sandbox's own CDN URLs, so every
 * card with an icon shows a loaded image (no broken images), and a guild without an icon shows its initials.
 */
import type { Browser } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Demo from "../src/Demo.js"
import { launch } from "./browser.js"

let demo: Demo.RunningDemo
let browser: Browser

beforeAll(async () => {
  demo = await Demo.start({ port: 0, scheduler: false, telemetryFromEnv: false })
  browser = await launch()
})
afterAll(async () => {
  await browser?.close()
  await demo?.close()
})

describe("guild avatars on the demo page", () => {
  it("show the sandbox's icons, loaded, and initials for the guild without one", async () => {
    const page = await browser.newPage()
    await page.goto(`${demo.url}/`, { waitUntil: "load" })
    // Lazy images do not hold the load event: wait until every image has loaded or failed.
    await page.waitForFunction(() => [...document.images].every((img) => img.complete))
    const avatars = await page.evaluate(() =>
      ["small", "large", "no-widget"].map((key) => {
        const box = document.querySelector(`#gp-${key}-default-h .gp-avatar`)
        const img = box?.querySelector("img")
        return {
          key,
          initials: box?.querySelector(".gp-initials")?.textContent,
          src: img?.getAttribute("src")?.replace(/\/icons\/.*/, "/icons/…") ?? null,
          loaded: img === null || img === undefined ? null : img.naturalWidth > 0
        }
      })
    )
    expect(avatars).toEqual([
      { key: "small", initials: "PM", src: `${demo.sandbox.cdnUrl}/icons/…`, loaded: true },
      { key: "large", initials: "PC", src: `${demo.sandbox.cdnUrl}/icons/…`, loaded: true },
      { key: "no-widget", initials: "RAC", src: null, loaded: null }
    ])
    await page.close()
  })
})
