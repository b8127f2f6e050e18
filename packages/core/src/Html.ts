/**
 * HTML/XML escaping, the one implementation every package uses (the widget's markup and badge, the HTTP
 * adapter's pages, e-mail alerts, the demo pages). A single pass over char codes with a fast path for the common
 * case (nothing to escape), so a long server description costs one scan and no regex backtracking.
 */

const AMP = 38 // &
const LT = 60 // <
const GT = 62 // >
const QUOT = 34 // "
const APOS = 39 // '

/** Escapes text for HTML/XML text content and double- or single-quoted attribute values. */
export const escape = (text: string): string => {
  let out = ""
  let last = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    let entity: string
    switch (code) {
      case AMP:
        entity = "&amp;"
        break
      case LT:
        entity = "&lt;"
        break
      case GT:
        entity = "&gt;"
        break
      case QUOT:
        entity = "&quot;"
        break
      case APOS:
        entity = "&#39;"
        break
      default:
        continue
    }
    if (last !== i) out += text.slice(last, i)
    out += entity
    last = i + 1
  }
  if (last === 0) return text
  return last < text.length ? out + text.slice(last) : out
}
