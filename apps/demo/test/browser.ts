/** Browser-test helpers: Debian's Chromium through playwright-core with the flags this environment needs, axe-core, CSP reports, waiting on the API. */
import { existsSync, readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { chromium, type Browser, type Page } from "playwright-core"

export const chromiumPath = (): string => {
  const path = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium"
  if (!existsSync(path)) throw new Error(`No Chromium at ${path}: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`)
  return path
}

export const launch = (): Promise<Browser> =>
  chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
  })

const require = createRequire(import.meta.url)
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8")

/**
 * axe-core's serious and critical WCAG 2.1 A/AA violations on the page, each with the elements it names.
 * axe is evaluated through the DevTools protocol: the pages' CSP (script-src 'self') refuses inline scripts.
 */
export const seriousViolations = async (page: Page): Promise<Array<string>> => {
  await page.evaluate(axeSource)
  const result = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: Array<{ id: string; impact: string | null; nodes: Array<{ target: unknown }> }> }> } }).axe
    return axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } })
  })
  return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id} (${JSON.stringify(v.nodes.map((n) => n.target))})`)
}

/** What the page's CSP refused, as Chromium reports it on the console (only from URLs under `from`, if given). */
export const cspViolations = (page: Page, from?: string): Array<string> => {
  const seen: Array<string> = []
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text()) && (from === undefined || message.location().url.startsWith(from))) seen.push(message.text())
  })
  return seen
}

export interface StatsView {
  readonly counts: { readonly online?: number; readonly members?: number }
  readonly freshness: { readonly state: string }
}

/** Waits (real time, polling every 100 ms for up to 30 s) until the public stats of `key` satisfy `predicate`. */
export const untilStats = async (baseUrl: string, key: string, predicate: (view: StatsView) => boolean): Promise<StatsView> => {
  for (let i = 0; i < 300; i++) {
    const view = (await (await fetch(`${baseUrl}/v1/profiles/${key}/stats`)).json()) as StatsView
    if (predicate(view)) return view
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`the public stats of ${key} never satisfied the condition`)
}
