/**
 * Scoped API keys over HTTP: the production `ApiKeyCrypto` (scrypt from `node:crypto` — memory-hard, built
 * into Node, no native add-on or extra dependency to trust; the system CSPRNG for ids and secrets; SHA-256 for
 * the verified-key cache), an `Authenticator` over core's `ApiKeys`, and `Governance` (keys + audit log) that
 * `guildPulse({ governance })` serves as `/v1/keys` and `/v1/audit` and records admin changes into.
 */
import * as NodeCrypto from "node:crypto"
import { createHash, randomBytes, scrypt, timingSafeEqual } from "node:crypto"
import { ApiKeyCrypto, ApiKeyRepository, ApiKeys, AuditLog } from "@guildpulse/core"
import { Effect, Layer, Redacted } from "effect"
import type { Authenticator, Principal } from "./Authenticator.js"

export interface ScryptOptions {
  /** CPU/memory cost N, a power of two (default 2^15: ~32 MiB and tens of ms per hash). */
  readonly cost?: number
  readonly blockSize?: number
  readonly parallelization?: number
}

/** SHA-256 (base64) of a string: the one-shot `crypto.hash` where Node has it (≥ 20.12), about 3× cheaper per call. */
const sha256: (value: string) => string = typeof NodeCrypto.hash === "function"
  ? (value) => NodeCrypto.hash("sha256", value, "base64")
  : (value) => createHash("sha256").update(value, "utf8").digest("base64")

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

/** `length` characters of a-z, A-Z, 0-9, unbiased (bytes ≥ 248 are drawn again). */
export const randomId = (length: number): string => {
  let out = ""
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += alphabet[byte % 62]
    }
  }
  return out
}

const b64 = (buffer: Buffer) => buffer.toString("base64url")

/** scrypt as `scrypt$N$r$p$<salt>$<hash>` (base64url), verified with `timingSafeEqual`. */
export const makeCrypto = (options: ScryptOptions = {}): ApiKeyCrypto.ApiKeyCrypto["Type"] => {
  const N = options.cost ?? 2 ** 15
  const r = options.blockSize ?? 8
  const p = options.parallelization ?? 1
  if (!Number.isInteger(Math.log2(N)) || N < 2) throw new RangeError("scrypt cost must be a power of two")
  const derive = (secret: string, salt: Buffer, n: number, br: number, bp: number, length: number) =>
    Effect.async<Buffer, Error>((resume) => {
      scrypt(secret, salt, length, { N: n, r: br, p: bp, maxmem: 256 * n * br + 1024 * 1024 }, (error, key) =>
        resume(error === null ? Effect.succeed(key) : Effect.fail(error))
      )
    })
  return ApiKeyCrypto.ApiKeyCrypto.of({
    randomId: (length) => Effect.sync(() => randomId(length)),
    hash: (secret) =>
      Effect.suspend(() => {
        const salt = randomBytes(16)
        return Effect.map(derive(Redacted.value(secret), salt, N, r, p, 32), (key) => `scrypt$${N}$${r}$${p}$${b64(salt)}$${b64(key)}`)
      }).pipe(Effect.orDie),
    verify: (secret, hash) =>
      Effect.suspend(() => {
        const parts = hash.split("$")
        if (parts.length !== 6 || parts[0] !== "scrypt") return Effect.succeed(false)
        const [n, br, bp] = [Number(parts[1]), Number(parts[2]), Number(parts[3])]
        const salt = Buffer.from(parts[4]!, "base64url")
        const expected = Buffer.from(parts[5]!, "base64url")
        if (![n, br, bp].every(Number.isInteger) || n > 2 ** 20 || br > 32 || bp > 16 || expected.length < 16) return Effect.succeed(false)
        return Effect.map(derive(Redacted.value(secret), salt, n, br, bp, expected.length), (key) => timingSafeEqual(key, expected))
      }).pipe(Effect.orElseSucceed(() => false)),
    digest: (secret) => sha256(Redacted.value(secret))
  })
}

export const layerCrypto = (options?: ScryptOptions): Layer.Layer<ApiKeyCrypto.ApiKeyCrypto> =>
  Layer.sync(ApiKeyCrypto.ApiKeyCrypto, () => makeCrypto(options))

/**
 * A principal per verified key (the key id is the subject recorded in the audit log). A key in the
 * verified-key cache is recognised without running an effect (`authenticateSync`), and its principal is
 * built once per cached verification.
 */
export const authenticator = (keys: ApiKeys.ApiKeys["Type"]): Authenticator => {
  const principals = new WeakMap<ApiKeys.VerifiedKey, Principal>()
  const principalOf = (key: ApiKeys.VerifiedKey): Principal => {
    let principal = principals.get(key)
    if (principal === undefined) {
      principal = { subject: key.id, scopes: new Set(key.scopes), profiles: key.profiles === undefined ? "*" : new Set(key.profiles) }
      principals.set(key, principal)
    }
    return principal
  }
  return {
    authenticate: (credential) => Effect.map(keys.verify(credential), principalOf),
    authenticateSync: (credential, nowMs) => {
      const key = keys.verifyCached(credential, nowMs)
      return key === undefined ? undefined : principalOf(key)
    }
  }
}

/** Keys and audit log, as services the router runs (their effects need nothing more). */
export interface Governance {
  readonly apiKeys: ApiKeys.ApiKeys["Type"]
  readonly audit: AuditLog.AuditLog["Type"]
}

export const makeGovernance: Effect.Effect<Governance, never, ApiKeys.ApiKeys | AuditLog.AuditLog> = Effect.map(
  Effect.all([ApiKeys.ApiKeys, AuditLog.AuditLog]),
  ([apiKeys, audit]) => ({ apiKeys, audit })
)

/** `ApiKeys` (scrypt) over the given key repository. */
export const layerApiKeys = (options: { readonly scrypt?: ScryptOptions; readonly keys?: ApiKeys.ApiKeysOptions } = {}) =>
  ApiKeys.layer(options.keys).pipe(Layer.provide(layerCrypto(options.scrypt)))

/** Governance on in-memory stores (one process; keys and audit entries go with it). */
export const governanceMemory = (options: { readonly scrypt?: ScryptOptions; readonly keys?: ApiKeys.ApiKeysOptions } = {}): Governance =>
  Effect.runSync(
    makeGovernance.pipe(
      Effect.provide(Layer.mergeAll(layerApiKeys(options), AuditLog.layerMemory).pipe(Layer.provide(ApiKeyRepository.layerMemory())))
    )
  )
