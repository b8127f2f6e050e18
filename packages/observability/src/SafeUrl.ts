/**
 * The SSRF guard for outgoing webhooks. An alert target is configured by an operator but may have been
 * typed by anyone with `alerts:write`, so a URL is only called when:
 *
 * - its scheme is `https:` (`http:` only for allow-listed targets when `allowHttp` is set — local tests and
 *   development receivers) and it carries no `user:password@` credentials;
 * - every address its host resolves to is public: not unspecified, loopback, private (RFC 1918), CGNAT,
 *   link-local (cloud metadata lives there), unique-local, multicast, broadcast, reserved or documentation, as
 *   classified by `ipaddr.js` — IPv4-mapped, IPv4-translated, NAT64 and 6to4 IPv6 addresses judged by the IPv4
 *   address they carry — unless the host name,
 *   the address or a CIDR containing it is on the explicit allow-list;
 * - the request goes to the address that was checked (the connection's DNS lookup is pinned to it, so a
 *   second resolution cannot rebind the name to 127.0.0.1), TLS still verifying the certificate for the name;
 * - redirects are followed by hand (at most 3), every hop checked again; credentials are not carried across
 *   origins.
 */
import { Data, Effect, Redacted } from "effect"
import * as dns from "node:dns/promises"
import * as http from "node:http"
import * as https from "node:https"
import type { LookupFunction } from "node:net"
import { isIP } from "node:net"
import * as Ip from "./internal/ip.js"
import type { AddressClass } from "./internal/ip.js"
import { redactText } from "./Redaction.js"

export type { AddressClass } from "./internal/ip.js"

export interface ResolvedAddress {
  readonly address: string
  readonly family: 4 | 6
}

export type Resolver = (hostname: string) => Promise<ReadonlyArray<ResolvedAddress>>

export interface SafeUrlPolicy {
  /**
   * Targets allowed despite resolving to non-public addresses: host names (`localhost`, `hooks.internal`),
   * address literals (`127.0.0.1`) or CIDRs (`10.1.0.0/16`, `fd00::/8`).
   */
  readonly allow?: ReadonlyArray<string>
  /** Permits `http:` URLs — for allow-listed targets only. */
  readonly allowHttp?: boolean
  /** DNS resolution (default `dns.lookup` with `all: true`); injectable for tests. */
  readonly resolve?: Resolver
  readonly maxRedirects?: number
}

export const DEFAULT_MAX_REDIRECTS = 3
export const DEFAULT_TIMEOUT_MS = 10_000
const MAX_BODY_BYTES = 64 * 1024

export type UnsafeReason = "invalid_url" | "scheme" | "credentials" | "dns" | "non_public_address" | "too_many_redirects"

/** A URL the guard refused to call. */
export class UnsafeUrl extends Data.TaggedError("UnsafeUrl")<{
  readonly reason: UnsafeReason
  /** The URL with secrets masked. */
  readonly url: string
  readonly address?: string
  readonly addressClass?: AddressClass
  readonly message: string
}> {}

/** A request that went out but did not complete. */
export class RequestFailed extends Data.TaggedError("RequestFailed")<{
  readonly reason: "timeout" | "transport"
  readonly url: string
  readonly message: string
}> {}

export const defaultResolver: Resolver = async (hostname) => {
  const answers = await dns.lookup(hostname, { all: true, verbatim: true })
  return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }))
}

/** Masks a webhook URL for logs and errors (paths of Slack/Discord hooks are secrets). */
export const describeUrl = (url: string | URL): string => {
  try {
    const parsed = typeof url === "string" ? new URL(url) : url
    const path = parsed.pathname.length > 1 ? "/…" : ""
    return redactText(`${parsed.protocol}//${parsed.host}${path}`)
  } catch {
    return "<invalid url>"
  }
}

export const isPublic = (address: string): boolean => Ip.classify(address) === "public"

interface CompiledPolicy {
  readonly hosts: ReadonlySet<string>
  readonly cidrs: ReadonlyArray<Ip.Cidr>
  readonly allowHttp: boolean
  readonly resolve: Resolver
  readonly maxRedirects: number
}

const compile = (policy: SafeUrlPolicy = {}): CompiledPolicy => {
  const hosts = new Set<string>()
  const cidrs: Array<Ip.Cidr> = []
  for (const entry of policy.allow ?? []) {
    const trimmed = entry.trim().toLowerCase()
    if (trimmed === "") continue
    const cidr = Ip.parseCidr(trimmed.replace(/^\[|\](?=\/|$)/g, ""))
    if (cidr !== undefined) cidrs.push(cidr)
    else hosts.add(trimmed)
  }
  return {
    hosts,
    cidrs,
    allowHttp: policy.allowHttp === true,
    resolve: policy.resolve ?? defaultResolver,
    maxRedirects: policy.maxRedirects ?? DEFAULT_MAX_REDIRECTS
  }
}

/** A URL that passed the guard, with the address to connect to. */
export interface CheckedTarget {
  readonly url: URL
  readonly address: string
  readonly family: 4 | 6
}

const bareHost = (url: URL): string => url.hostname.replace(/^\[|\]$/g, "").toLowerCase()

const checkCompiled = (input: string | URL, policy: CompiledPolicy): Effect.Effect<CheckedTarget, UnsafeUrl> =>
  Effect.gen(function* () {
    let url: URL
    try {
      url = typeof input === "string" ? new URL(input) : input
    } catch {
      return yield* new UnsafeUrl({ reason: "invalid_url", url: "<invalid url>", message: "not a valid absolute URL" })
    }
    const shown = describeUrl(url)
    const host = bareHost(url)
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      return yield* new UnsafeUrl({ reason: "scheme", url: shown, message: `scheme ${url.protocol} is not allowed; use https:` })
    }
    if (url.protocol === "http:" && !policy.allowHttp) {
      return yield* new UnsafeUrl({ reason: "scheme", url: shown, message: "http: is not allowed; use https:" })
    }
    // `user:pass@host` would send a password in the clear to whoever the URL names, and would travel with
    // redirects; a receiver that needs a secret takes it in a header or in the (redacted) path.
    if (url.username !== "" || url.password !== "") {
      return yield* new UnsafeUrl({ reason: "credentials", url: shown, message: "URLs with credentials (user:password@) are not allowed" })
    }
    const literal = isIP(host) !== 0
    const answers = literal
      ? [{ address: host, family: isIP(host) === 6 ? 6 : 4 } as const]
      : yield* Effect.tryPromise({
          try: () => policy.resolve(host),
          catch: (error) =>
            new UnsafeUrl({ reason: "dns", url: shown, message: `cannot resolve ${host}: ${error instanceof Error ? error.message : String(error)}` })
        })
    if (answers.length === 0) return yield* new UnsafeUrl({ reason: "dns", url: shown, message: `${host} has no address` })
    const hostAllowed = policy.hosts.has(host)
    const allowedAddress = (address: string) =>
      hostAllowed || policy.hosts.has(address.toLowerCase()) || policy.cidrs.some((cidr) => Ip.inCidr(address, cidr))
    // Every answer must pass: a name with one public and one private address is refused.
    for (const answer of answers) {
      const kind = Ip.classify(answer.address)
      if (kind === undefined) {
        return yield* new UnsafeUrl({ reason: "dns", url: shown, address: answer.address, message: `${answer.address} is not an IP address` })
      }
      if (kind !== "public" && !allowedAddress(answer.address)) {
        return yield* new UnsafeUrl({
          reason: "non_public_address",
          url: shown,
          address: answer.address,
          addressClass: kind,
          message: `${host} resolves to ${answer.address} (${kind.replace("_", "-")}), which is not allowed`
        })
      }
    }
    if (url.protocol === "http:" && !answers.every((a) => allowedAddress(a.address))) {
      return yield* new UnsafeUrl({ reason: "scheme", url: shown, message: "http: is only allowed for allow-listed targets; use https:" })
    }
    const first = answers[0]!
    return { url, address: first.address, family: first.family }
  })

/** Checks a URL against the policy (scheme, DNS, address classes, allow-list). */
export const check = (url: string | URL, policy?: SafeUrlPolicy): Effect.Effect<CheckedTarget, UnsafeUrl> =>
  checkCompiled(url, compile(policy))

export interface SafeRequest {
  readonly method?: "GET" | "POST" | "PUT"
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string
  readonly timeoutMs?: number
}

export interface SafeResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  /** The first 64 KiB of the body, as text. */
  readonly body: string
  /** Hops followed (0 when the first answer was final). */
  readonly redirects: number
}

const pinnedLookup = (address: string, family: 4 | 6): LookupFunction =>
  ((_hostname: string, options: { all?: boolean }, callback: (...args: Array<unknown>) => void) => {
    if (options?.all === true) callback(null, [{ address, family }])
    else callback(null, address, family)
  }) as unknown as LookupFunction

const once = (target: CheckedTarget, request: SafeRequest, timeoutMs: number) =>
  Effect.async<{ status: number; headers: http.IncomingHttpHeaders; body: string }, RequestFailed>((resume, signal) => {
    const { url } = target
    const client = url.protocol === "https:" ? https : http
    const host = bareHost(url)
    const body = request.body === undefined ? undefined : Buffer.from(request.body, "utf8")
    const headers: Record<string, string> = { ...request.headers }
    if (body !== undefined) headers["content-length"] = String(body.length)
    const req = client.request(
      {
        protocol: url.protocol,
        hostname: host,
        port: url.port === "" ? undefined : Number(url.port),
        path: `${url.pathname}${url.search}`,
        method: request.method ?? "GET",
        headers,
        lookup: pinnedLookup(target.address, target.family),
        ...(url.protocol === "https:" && isIP(host) === 0 ? { servername: host } : {}),
        signal,
        timeout: timeoutMs
      },
      (res) => {
        const chunks: Array<Buffer> = []
        let size = 0
        res.on("data", (chunk: Buffer) => {
          if (size < MAX_BODY_BYTES) chunks.push(chunk)
          size += chunk.length
        })
        res.on("end", () =>
          resume(Effect.succeed({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString("utf8") }))
        )
        res.on("error", (error) => resume(Effect.fail(new RequestFailed({ reason: "transport", url: describeUrl(url), message: error.message }))))
      }
    )
    req.on("timeout", () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: "ETIMEDOUT" })))
    req.on("error", (error: NodeJS.ErrnoException) => {
      if (signal.aborted) return
      resume(Effect.fail(new RequestFailed({
        reason: error.code === "ETIMEDOUT" ? "timeout" : "transport",
        url: describeUrl(url),
        message: redactText(error.message)
      })))
    })
    req.end(body)
  })

const sensitiveAcrossOrigins = ["authorization", "cookie", "proxy-authorization"]

/**
 * Sends a request through the guard: checks the URL, pins the connection to the checked address, follows
 * redirects by hand re-checking every hop. 303 (and 301/302 after a POST) continue as a GET without body;
 * 307/308 repeat the request.
 */
export const request = (
  url: string | URL | Redacted.Redacted<string>,
  req: SafeRequest = {},
  policy?: SafeUrlPolicy
): Effect.Effect<SafeResponse, UnsafeUrl | RequestFailed> =>
  Effect.gen(function* () {
    const compiled = compile(policy)
    const timeoutMs = req.timeoutMs ?? DEFAULT_TIMEOUT_MS
    let current: string | URL = Redacted.isRedacted(url) ? Redacted.value(url) : url
    let currentReq = req
    for (let hop = 0; ; hop++) {
      const target = yield* checkCompiled(current, compiled)
      const res = yield* once(target, currentReq, timeoutMs)
      const location = res.headers.location
      if (![301, 302, 303, 307, 308].includes(res.status) || typeof location !== "string") {
        return { status: res.status, headers: res.headers, body: res.body, redirects: hop }
      }
      if (hop >= compiled.maxRedirects) {
        return yield* new UnsafeUrl({ reason: "too_many_redirects", url: describeUrl(target.url), message: `more than ${compiled.maxRedirects} redirects` })
      }
      let next: URL
      try {
        next = new URL(location, target.url)
      } catch {
        return yield* new UnsafeUrl({ reason: "invalid_url", url: describeUrl(target.url), message: "redirect to an invalid URL" })
      }
      const headers = { ...currentReq.headers }
      if (next.origin !== target.url.origin) {
        for (const key of Object.keys(headers)) if (sensitiveAcrossOrigins.includes(key.toLowerCase())) delete headers[key]
      }
      const toGet = res.status === 303 || ((res.status === 301 || res.status === 302) && currentReq.method === "POST")
      if (toGet) {
        const { body: _body, ...rest } = currentReq
        const getHeaders = Object.fromEntries(Object.entries(headers).filter(([key]) => key.toLowerCase() !== "content-type"))
        currentReq = { ...rest, method: "GET", headers: getHeaders }
      } else {
        currentReq = { ...currentReq, headers }
      }
      current = next
    }
  })
