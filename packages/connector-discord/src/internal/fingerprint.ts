/**
 * A stable, non-reversible name for a bot token, used in rate-limit keys (which end up in a shared store):
 * the first 16 hex digits of its SHA-256. The token itself never leaves `Redacted` except to build the
 * Authorization header.
 */
import { createHash } from "node:crypto"
import { Redacted } from "effect"

const cache = new WeakMap<Redacted.Redacted<string>, string>()

export const tokenFingerprint = (token: Redacted.Redacted<string>): string => {
  let id = cache.get(token)
  if (id === undefined) {
    id = createHash("sha256").update(`guildpulse:${Redacted.value(token)}`).digest("hex").slice(0, 16)
    cache.set(token, id)
  }
  return id
}
