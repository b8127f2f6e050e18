/**
 * Small deterministic hashing helpers. Everything the sandbox "randomises" (count wobble, widget samples,
 * usernames) derives from these, so the same fixture at the same instant always yields the same answer.
 */
import { createHash } from "node:crypto"

/** 32-bit FNV-1a over the UTF-16 code units of `input`, finished with a murmur3 avalanche. */
export const hash32 = (input: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < input.length; i++) {
    h ^= input.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** A deterministic value in [0, 1) for the given parts. */
export const unit = (...parts: ReadonlyArray<string | number>): number => hash32(parts.join(":")) / 4294967296

/** A deterministic value in [-1, 1) for the given parts. */
export const signedUnit = (...parts: ReadonlyArray<string | number>): number => unit(...parts) * 2 - 1

/** A deterministic lowercase hex string of `length` characters (≤ 64). */
export const hexOf = (length: number, ...parts: ReadonlyArray<string | number>): string =>
  createHash("sha256").update(parts.join(":")).digest("hex").slice(0, length)
