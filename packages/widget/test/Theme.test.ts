import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { contrastRatio, parseColor, readableTextColor } from "../src/internal/color.js"
import { renderWidget, themeBackground, themes, widgetCss } from "../src/index.js"
import { freshView, NOW_MS } from "./fixtures.js"

/** The custom properties declared in `.gp-card[data-theme=<theme>] { … }`, read from the stylesheet itself. */
const themeProperties = (css: string, theme: string): Map<string, string> => {
  const selector = `.gp-card[data-theme=${theme}]{`
  const start = css.indexOf(selector)
  if (start === -1) throw new Error(`no rule for theme ${theme}`)
  const body = css.slice(start + selector.length, css.indexOf("}", start))
  const properties = new Map<string, string>()
  for (const declaration of body.split(";")) {
    const colon = declaration.indexOf(":")
    const name = declaration.slice(0, colon).trim()
    if (name.startsWith("--gp-")) properties.set(name, declaration.slice(colon + 1).trim())
  }
  return properties
}

/** Text colour on background colour: every pair the stylesheet draws text with. */
const textPairs: ReadonlyArray<readonly [string, string]> = [
  ["--gp-text", "--gp-bg"],
  ["--gp-text", "--gp-surface"],
  ["--gp-muted", "--gp-bg"],
  ["--gp-muted", "--gp-surface"],
  ["--gp-accent-text", "--gp-accent"],
  ["--gp-warn-text", "--gp-warn-bg"],
  ["--gp-demo-text", "--gp-demo-bg"]
]

const ratio = (properties: Map<string, string>, foreground: string, background: string): number => {
  const fg = parseColor(properties.get(foreground) ?? "")
  const bg = parseColor(properties.get(background) ?? "")
  if (fg === undefined || bg === undefined) throw new Error(`${foreground} or ${background} is not a plain colour`)
  return contrastRatio(fg, bg)
}

describe("themes", () => {
  const css = widgetCss()

  for (const theme of themes) {
    const minimum = theme === "high-contrast" ? 7 : 4.5
    it(`${theme}: every text/background pair reaches ${minimum}:1`, () => {
      const properties = themeProperties(css, theme)
      for (const [foreground, background] of textPairs) {
        const value = ratio(properties, foreground, background)
        expect(value, `${theme} ${foreground} on ${background} = ${value.toFixed(2)}`).toBeGreaterThanOrEqual(minimum)
      }
    })

    it(`${theme}: the focus ring stands out from the background (≥ 3:1)`, () => {
      expect(ratio(themeProperties(css, theme), "--gp-focus", "--gp-bg")).toBeGreaterThanOrEqual(3)
    })

    it(`${theme}: the renderer's idea of the background matches the stylesheet`, () => {
      expect(themeProperties(css, theme).get("--gp-bg")).toBe(themeBackground[theme])
    })
  }

  it("the contrast check can fail: a pale grey on white is refused", () => {
    const properties = new Map([["--gp-text", "#cccccc"], ["--gp-bg", "#ffffff"]])
    expect(ratio(properties, "--gp-text", "--gp-bg")).toBeLessThan(4.5)
  })

  it("has no external fonts, imports or URLs", () => {
    expect(css).not.toMatch(/url\(/i)
    expect(css).not.toMatch(/@import/i)
    expect(css).not.toMatch(/@font-face/i)
    expect(css).not.toMatch(/https?:/i)
  })

  it("has visible focus styles and respects reduced motion", () => {
    expect(css).toContain(":focus-visible{outline:3px solid var(--gp-focus)")
    expect(css).toMatch(/@media \(prefers-reduced-motion:reduce\)\{[^}]*animation:none!important;transition:none!important/)
  })

  it("is the shipped assets/widget.css", () => {
    expect(readFileSync(new URL("../assets/widget.css", import.meta.url), "utf8")).toBe(css)
  })

  it("styles every layout the renderer emits", () => {
    for (const layout of ["vertical", "compact"]) expect(css).toContain(`.gp-card[data-layout=${layout}]`)
  })
})

describe("automatic text colour", () => {
  // A deterministic spread of backgrounds, including the hardest mid-tones.
  const backgrounds: Array<string> = ["#777777", "#767676", "#808080", "#5865f2", "#ff0000", "#00ff00", "#0000ff", "#ffeb3b", "#e91e63"]
  let seed = 7
  for (let i = 0; i < 300; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648
    backgrounds.push(`#${(seed % 0x1000000).toString(16).padStart(6, "0")}`)
  }

  it("reaches at least 4.5:1 on any opaque background", () => {
    for (const background of backgrounds) {
      const bg = parseColor(background)
      if (bg === undefined) throw new Error(background)
      const text = parseColor(readableTextColor(bg))
      if (text === undefined) throw new Error("no text colour")
      expect(contrastRatio(text, bg), background).toBeGreaterThanOrEqual(4.5)
    }
  })

  it("judges translucent backgrounds over the theme background", () => {
    const dim = parseColor("rgba(255, 255, 255, 0.1)")
    const dark = parseColor("#000000")
    if (dim === undefined || dark === undefined) throw new Error("parse")
    expect(readableTextColor(dim, dark)).toBe("#ffffff")
    expect(readableTextColor(dim)).toBe("#000000")
  })

  it("is what the card uses when only a background is given", () => {
    for (const background of backgrounds.slice(0, 40)) {
      const html = renderWidget(freshView, { colors: { background } }, { nowMs: NOW_MS })
      const text = /--gp-text:(#[0-9a-f]{6});/.exec(html)?.[1]
      const bg = parseColor(background)
      const fg = parseColor(text ?? "")
      if (bg === undefined || fg === undefined) throw new Error(`no text colour for ${background}`)
      expect(contrastRatio(fg, bg)).toBeGreaterThanOrEqual(4.5)
    }
  })

  it("parses the colour forms WidgetOptions accept", () => {
    expect(parseColor("#abc")).toEqual({ r: 0xaa, g: 0xbb, b: 0xcc, a: 1 })
    expect(parseColor("#abcd")?.a).toBeCloseTo(0xdd / 255)
    expect(parseColor("#5865F2")).toEqual({ r: 0x58, g: 0x65, b: 0xf2, a: 1 })
    expect(parseColor("rgba(1, 2, 3, .5)")).toEqual({ r: 1, g: 2, b: 3, a: 0.5 })
    expect(parseColor("rgb(300, 0, 0)")).toBeUndefined()
    expect(parseColor("red")).toBeUndefined()
  })
})
