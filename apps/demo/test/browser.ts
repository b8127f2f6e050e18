/** Launches Debian's Chromium through playwright-core with the flags this environment needs. */
import { existsSync } from "node:fs"
import { chromium, type Browser } from "playwright-core"

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
