/**
 * HTML/XML escaping (core's `Html.escape`) and URL vetting for everything that comes from Discord or from callers.
 */
import { Html } from "@guildpulse/core"

/** Escapes text for HTML/XML text content and quoted attribute values (core's one implementation). */
export const escapeHtml: (text: string) => string = Html.escape

// Control characters, whitespace, quotes and angle brackets never belong in a URL we print.
// eslint-disable-next-line no-control-regex
const UNSAFE_URL_CHARS = /[\u0000-\u0020\u007f"'<>`\\]/
const HTTP_URL = /^https?:\/\/[^/?#]/i

/**
 * Returns `url` when it is an absolute http(s) URL without characters that could break out of an attribute,
 * else `undefined` (the caller then omits the link/image). `javascript:`, `data:` and relative URLs are refused.
 */
export const safeHttpUrl = (url: string | undefined): string | undefined => {
  if (url === undefined || url.length > 2048) return undefined
  if (!HTTP_URL.test(url) || UNSAFE_URL_CHARS.test(url)) return undefined
  return url
}

/**
 * An endpoint for the custom element: a same-origin path (`/v1/…`) or an absolute http(s) URL.
 * Anything else (`javascript:`, protocol-relative `//host`) is refused.
 */
export const safeEndpoint = (url: string | undefined): string | undefined => {
  if (url === undefined || url.length > 2048 || UNSAFE_URL_CHARS.test(url)) return undefined
  if (url.startsWith("/") && !url.startsWith("//")) return url
  return safeHttpUrl(url)
}

const INVITE_CODE = /^[A-Za-z0-9-]{2,64}$/

/** An invite as Discord gives it (a URL, or a bare code) → a safe https link, or undefined. */
export const inviteHref = (invite: string | undefined): string | undefined => {
  if (invite === undefined) return undefined
  if (INVITE_CODE.test(invite)) return `https://discord.gg/${invite}`
  return safeHttpUrl(invite)
}

/** Keeps only an id-safe prefix (`[A-Za-z0-9_-]`, starting with a letter). */
export const safeId = (text: string): string => {
  const cleaned = text.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 64)
  return /^[A-Za-z]/.test(cleaned) ? cleaned : `gp-${cleaned}`
}

const CLASS_NAME = /^[A-Za-z0-9_\- ]{0,120}$/

/** A class list made only of letters, digits, `-`, `_` and spaces (the WidgetOptions rule), so it cannot break out. */
export const isSafeClassName = (text: string): boolean => CLASS_NAME.test(text)
