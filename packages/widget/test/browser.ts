/** Chromium for the browser tests: $CHROMIUM_PATH or Debian's package, with the flags this environment needs. */
import { existsSync } from "node:fs"
import { chromium } from "playwright-core"
import type { Browser, Page } from "playwright-core"

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

/**
 * How many pixels of two PNG screenshots of the same size differ by more than `tolerance` (0–255) in some
 * channel. Text drawn twice may differ by a few levels of anti-aliasing; a broken-image icon differs by far more.
 */
export const pixelsDiffering = (page: Page, a: Buffer, b: Buffer, tolerance: number): Promise<number> =>
  page.evaluate(
    async ([first, second, limit]) => {
      const pixels = async (base64: string) => {
        const image = new Image()
        image.src = `data:image/png;base64,${base64}`
        await image.decode()
        const canvas = document.createElement("canvas")
        canvas.width = image.width
        canvas.height = image.height
        const context = canvas.getContext("2d")
        if (context === null) throw new Error("no 2d context")
        context.drawImage(image, 0, 0)
        return context.getImageData(0, 0, image.width, image.height)
      }
      const p = await pixels(first)
      const q = await pixels(second)
      if (p.width !== q.width || p.height !== q.height) return Number.POSITIVE_INFINITY
      let count = 0
      for (let i = 0; i < p.data.length; i += 4) {
        const d = Math.max(Math.abs(p.data[i]! - q.data[i]!), Math.abs(p.data[i + 1]! - q.data[i + 1]!), Math.abs(p.data[i + 2]! - q.data[i + 2]!))
        if (d > limit) count++
      }
      return count
    },
    [a.toString("base64"), b.toString("base64"), tolerance] as const
  )
