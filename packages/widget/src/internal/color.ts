/**
 * Colour arithmetic for WCAG 2.x contrast: parsing the colours WidgetOptions accept (hex 3/4/6/8 digits,
 * rgb()/rgba()), relative luminance, contrast ratio, and the automatic readable text colour used when a
 * site gives only a background.
 */

export interface Rgba {
  readonly r: number
  readonly g: number
  readonly b: number
  /** 0…1 */
  readonly a: number
}

const HEX = /^#([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i
const RGB = /^rgba?\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*(?:,\s*(0|1|0?\.\d+)\s*)?\)$/i

/** Parses a CSS colour in the forms WidgetOptions accept; anything else is `undefined`. */
export const parseColor = (text: string): Rgba | undefined => {
  const trimmed = text.trim()
  const hex = HEX.exec(trimmed)
  if (hex !== null) {
    const digits = hex[1] ?? ""
    const short = digits.length <= 4
    const channel = (index: number): number =>
      short ? parseInt(digits.charAt(index) + digits.charAt(index), 16) : parseInt(digits.slice(index * 2, index * 2 + 2), 16)
    const hasAlpha = digits.length === 4 || digits.length === 8
    return { r: channel(0), g: channel(1), b: channel(2), a: hasAlpha ? channel(3) / 255 : 1 }
  }
  const rgb = RGB.exec(trimmed)
  if (rgb !== null) {
    const r = Number(rgb[1])
    const g = Number(rgb[2])
    const b = Number(rgb[3])
    if (r > 255 || g > 255 || b > 255) return undefined
    return { r, g, b, a: rgb[4] === undefined ? 1 : Number(rgb[4]) }
  }
  return undefined
}

/** Alpha-composites `top` over an opaque `bottom`. */
export const composite = (top: Rgba, bottom: Rgba): Rgba => ({
  r: top.r * top.a + bottom.r * (1 - top.a),
  g: top.g * top.a + bottom.g * (1 - top.a),
  b: top.b * top.a + bottom.b * (1 - top.a),
  a: 1
})

const linear = (channel: number): number => {
  const c = channel / 255
  return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4)
}

/** WCAG relative luminance of an opaque colour. */
export const luminance = (color: Rgba): number =>
  0.2126 * linear(color.r) + 0.7152 * linear(color.g) + 0.0722 * linear(color.b)

/** WCAG contrast ratio (1…21) between two opaque colours. */
export const contrastRatio = (a: Rgba, b: Rgba): number => {
  const la = luminance(a)
  const lb = luminance(b)
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05)
}

export const WHITE: Rgba = { r: 255, g: 255, b: 255, a: 1 }
export const BLACK: Rgba = { r: 0, g: 0, b: 0, a: 1 }

/**
 * The text colour (`#000000` or `#ffffff`) with the higher contrast on `background`. One of the two always
 * reaches at least 4.58:1, so the result always passes WCAG AA for normal text. A translucent background is
 * judged over `backdrop` (the theme's own background).
 */
export const readableTextColor = (background: Rgba, backdrop: Rgba = WHITE): "#000000" | "#ffffff" => {
  const opaque = background.a < 1 ? composite(background, backdrop) : background
  return contrastRatio(opaque, BLACK) >= contrastRatio(opaque, WHITE) ? "#000000" : "#ffffff"
}
