/**
 * Signatures of generic webhook deliveries, and their verification for receivers.
 *
 * `X-GuildPulse-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. Several `v1=`
 * entries may be present while a secret is being rotated; one match is enough. A receiver must verify the
 * raw bytes it received (before any JSON parsing) and refuse timestamps outside its replay window.
 *
 * Plain synchronous functions on purpose: receivers need not use Effect.
 */
import { Redacted } from "effect"
import { createHmac, timingSafeEqual } from "node:crypto"

export const HEADER = "X-GuildPulse-Signature"
export const DEFAULT_TOLERANCE_SECONDS = 300

type Secret = string | Redacted.Redacted<string>
type Body = string | Uint8Array

const secretValue = (secret: Secret): string => (Redacted.isRedacted(secret) ? Redacted.value(secret) : secret)

/** Hex HMAC-SHA256 of `<timestamp>.<body>`. */
export const digest = (secret: Secret, timestamp: number, body: Body): string => {
  const mac = createHmac("sha256", secretValue(secret))
  mac.update(`${timestamp}.`, "utf8")
  mac.update(typeof body === "string" ? Buffer.from(body, "utf8") : body)
  return mac.digest("hex")
}

/**
 * The header value for a delivery. `timestamp` is in unix seconds; pass several secrets while rotating
 * (receivers holding either secret accept the delivery).
 */
export const sign = (options: {
  readonly secret: Secret | ReadonlyArray<Secret>
  readonly timestamp: number
  readonly body: Body
}): string => {
  const secrets = Array.isArray(options.secret) ? (options.secret as ReadonlyArray<Secret>) : [options.secret as Secret]
  const timestamp = Math.floor(options.timestamp)
  return [`t=${timestamp}`, ...secrets.map((secret) => `v1=${digest(secret, timestamp, options.body)}`)].join(",")
}

export type VerifyResult =
  | { readonly ok: true; readonly timestamp: number }
  | { readonly ok: false; readonly reason: "missing" | "malformed" | "stale" | "future" | "mismatch" }

export interface VerifyOptions {
  /** The secret(s) the receiver accepts. */
  readonly secret: Secret | ReadonlyArray<Secret>
  /** The header value (`undefined` when the header is absent). */
  readonly header: string | ReadonlyArray<string> | undefined | null
  /** The raw request body, exactly as received. */
  readonly body: Body
  /** Now, in epoch milliseconds (default `Date.now()`). */
  readonly nowMs?: number
  /** The replay window either side of now (default 300 s). */
  readonly toleranceSeconds?: number
}

const parseHeader = (header: string): { timestamp: number; signatures: Array<string> } | undefined => {
  let timestamp: number | undefined
  const signatures: Array<string> = []
  for (const part of header.split(",")) {
    const eq = part.indexOf("=")
    if (eq <= 0) return undefined
    const key = part.slice(0, eq).trim()
    const value = part.slice(eq + 1).trim()
    if (key === "t") {
      if (!/^\d{1,12}$/.test(value) || timestamp !== undefined) return undefined
      timestamp = Number(value)
    } else if (key === "v1") {
      if (!/^[0-9a-f]{64}$/i.test(value)) return undefined
      signatures.push(value.toLowerCase())
    }
    // Unknown schemes (a future v2) are ignored, so receivers keep working during an upgrade.
  }
  return timestamp === undefined || signatures.length === 0 ? undefined : { timestamp, signatures }
}

/** Verifies a delivery: signature over the raw body, in constant time, within the replay window. */
export const verify = (options: VerifyOptions): VerifyResult => {
  const raw = Array.isArray(options.header) ? options.header[0] : options.header
  if (raw === undefined || raw === null || raw === "") return { ok: false, reason: "missing" }
  const parsed = parseHeader(raw as string)
  if (parsed === undefined) return { ok: false, reason: "malformed" }
  const nowSeconds = Math.floor((options.nowMs ?? Date.now()) / 1000)
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS
  if (parsed.timestamp < nowSeconds - tolerance) return { ok: false, reason: "stale" }
  if (parsed.timestamp > nowSeconds + tolerance) return { ok: false, reason: "future" }
  const secrets = Array.isArray(options.secret) ? (options.secret as ReadonlyArray<Secret>) : [options.secret as Secret]
  let matched = false
  for (const secret of secrets) {
    const expected = Buffer.from(digest(secret, parsed.timestamp, options.body), "hex")
    for (const signature of parsed.signatures) {
      const given = Buffer.from(signature, "hex")
      // Both are 32 bytes (the header parser enforces 64 hex digits); compare every pair to keep timing flat.
      if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true
    }
  }
  return matched ? { ok: true, timestamp: parsed.timestamp } : { ok: false, reason: "mismatch" }
}
