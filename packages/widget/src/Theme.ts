/**
 * Themes of the card and the stylesheet that defines them.
 *
 * `assets/widget.css` is the single source of the stylesheet: it is shipped as `@guildpulse/widget/widget.css`
 * and `widgetCss()` reads the same file (once, then cached), from `src/` in development and from `dist/`
 * after a build — both sit next to `assets/`.
 */
import { readFileSync } from "node:fs"
import { Theme as ThemeSchema } from "@guildpulse/core"
import type { Theme } from "@guildpulse/core"

/** Every theme, in the order they are documented. */
export const themes: ReadonlyArray<Theme> = ThemeSchema.literals

export const defaultTheme: Theme = "discord"

/**
 * Each theme's card background. Translucent custom colours are judged over it when the automatic text
 * colour is picked; a test keeps it equal to `--gp-bg` in the stylesheet.
 */
export const themeBackground: { readonly [T in Theme]: string } = {
  discord: "#313338",
  dark: "#0f172a",
  light: "#ffffff",
  minimal: "#ffffff",
  "high-contrast": "#000000"
}

let css: string | undefined

/** The stylesheet (`assets/widget.css`): themes as custom properties, layouts, focus and motion rules. */
export const widgetCss = (): string => {
  if (css === undefined) css = readFileSync(new URL("../assets/widget.css", import.meta.url), "utf8")
  return css
}
