/**
 * The redaction guard: the last line of defence between a secret and a log line, a span, an event or an
 * alert. Secrets are meant to travel as `Redacted` values and never be formatted at all; this module masks
 * what slips through anyway — `Redacted` values, values under secret-sounding keys, and text that looks like a
 * Discord bot token, an `Authorization` credential (`Bot …`, `Bearer …`, `Basic …`), a GuildPulse API key
 * (`gp_<id>_<secret>`), a Slack or Discord webhook secret path, credentials in a URL, or `token=…` pairs.
 */
import { Redacted } from "effect"

export const REDACTED = "<redacted>"

interface Rule {
  readonly pattern: RegExp
  readonly replace: string
}

// Values stop at whitespace, quotes, separators and ANSI escapes (so coloured pretty output stays intact).
/* eslint-disable no-control-regex */
const rules: ReadonlyArray<Rule> = [
  // An `Authorization` header value, whatever its scheme.
  {
    pattern: /(authorization["']?\s*[:=]\s*["']?)(?:(?:Basic|Bearer|Bot|Digest)\s+)?(?!<redacted>)[^\s"',;&}\x1b]+/gi,
    replace: `$1${REDACTED}`
  },
  // `Bot <token>` / `Bearer <token>` anywhere else (messages, curl lines).
  { pattern: /\b(Bot|Bearer)\s+(?!<redacted>)[A-Za-z0-9._~+/=-]{6,}/g, replace: `$1 ${REDACTED}` },
  // Discord bot tokens: base64 user id . timestamp . hmac.
  { pattern: /\b[A-Za-z\d_-]{23,28}\.[A-Za-z\d_-]{6,7}\.[A-Za-z\d_-]{27,40}\b/g, replace: REDACTED },
  // GuildPulse API keys.
  { pattern: /\bgp_[A-Za-z0-9]+_[A-Za-z0-9_-]+/g, replace: `gp_${REDACTED}` },
  // Discord webhook URLs carry their secret in the path.
  { pattern: /(discord(?:app)?\.com\/api(?:\/v\d+)?\/webhooks\/\d+\/)[A-Za-z0-9_-]+/gi, replace: `$1${REDACTED}` },
  // Slack incoming webhooks too.
  { pattern: /(hooks\.slack\.com\/(?:services|workflows|triggers)\/)[A-Za-z0-9_/-]+/gi, replace: `$1${REDACTED}` },
  // user:password@ in URLs (SMTP_URL, REDIS_URL…).
  { pattern: /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:)[^\s@/]+@/gi, replace: `$1${REDACTED}@` },
  // token=…, "secret": "…", password: … and the like.
  {
    pattern: /((?:token|secret|password|passwd|api[_-]?key|signature)["']?\s*[:=]\s*["']?)(?!<redacted>)[^\s"',;&}\x1b]+/gi,
    replace: `$1${REDACTED}`
  }
]
/* eslint-enable no-control-regex */

/** Keys whose values are secrets whatever they look like. */
const sensitiveKey = /(?:^|[._-])(?:authorization|token|secret|password|passwd|api[_-]?key|apikey|cookie|set-cookie|credentials?|smtp[_-]?url)$/i

export const isSensitiveKey = (key: string): boolean => sensitiveKey.test(key)

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** Masks secrets in a piece of text; `known` adds literal secrets (e.g. configured passwords) to mask. */
export const redactText = (text: string, known: ReadonlyArray<string> = []): string => {
  let out = text
  for (const secret of known) {
    if (secret.length >= 4 && out.includes(secret)) out = out.replace(new RegExp(escapeRegExp(secret), "g"), REDACTED)
  }
  for (const rule of rules) out = out.replace(rule.pattern, rule.replace)
  return out
}

/**
 * A copy of `value` safe to print: `Redacted` values and secret-keyed fields masked, every string passed
 * through `redactText`, errors reduced to name and message. Depth- and size-bounded.
 */
export const redactValue = (value: unknown, known: ReadonlyArray<string> = [], depth = 6): unknown => {
  if (Redacted.isRedacted(value)) return REDACTED
  if (typeof value === "string") return redactText(value, known)
  if (value === null || typeof value !== "object") return value
  if (depth <= 0) return "[…]"
  if (value instanceof Date) return value
  if (value instanceof Error) {
    return { name: value.name, message: redactText(value.message, known) }
  }
  if (Array.isArray(value)) return value.slice(0, 200).map((item) => redactValue(item, known, depth - 1))
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) {
    out[key] = isSensitiveKey(key) && item !== undefined && item !== null ? REDACTED : redactValue(item, known, depth - 1)
  }
  return out
}

/** The plain strings of some secrets, for `redactText`'s `known` list. */
export const secretsOf = (secrets: ReadonlyArray<Redacted.Redacted<string> | string | undefined>): ReadonlyArray<string> =>
  secrets.flatMap((secret) => {
    if (secret === undefined) return []
    const value = Redacted.isRedacted(secret) ? Redacted.value(secret) : secret
    return value.length >= 4 ? [value] : []
  })
