/**
 * Low-level HTTP helpers shared by the routes. They work on Node's request/response objects (which Express 4
 * and 5 both extend), so the router behaves the same under either major version: queries are parsed here
 * rather than by Express's (version-dependent) query parser, and bodies are read here with our own limits.
 */
import { createHash } from "node:crypto"
import type { IncomingMessage, ServerResponse } from "node:http"
import * as Problem from "../Problem.js"

export type Query = Readonly<Record<string, string | ReadonlyArray<string>>>
const emptyQuery: Query = Object.freeze({})

/** The query of a request as a plain object; a repeated parameter becomes an array. */
export const parseQuery = (url: string | undefined): Query => {
  if (url === undefined) return emptyQuery
  const index = url.indexOf("?")
  if (index < 0 || index === url.length - 1) return emptyQuery
  const out: Record<string, string | Array<string>> = {}
  for (const [key, value] of new URLSearchParams(url.slice(index + 1))) {
    const previous = out[key]
    if (previous === undefined) out[key] = value
    else if (Array.isArray(previous)) previous.push(value)
    else out[key] = [previous, value]
  }
  return out
}

/** A strong entity tag of a body. */
export const etagOf = (body: string | Buffer): string =>
  `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`

const stripWeak = (tag: string): string => (tag.startsWith("W/") ? tag.slice(2) : tag)

/** `If-None-Match` against an entity tag (weak comparison, as RFC 9110 prescribes for this header). */
export const ifNoneMatchHits = (header: string | undefined, etag: string): boolean => {
  if (header === undefined || header === "") return false
  if (header === etag) return true
  if (header.trim() === "*") return true
  for (const part of header.split(",")) if (stripWeak(part.trim()) === etag) return true
  return false
}

export type Headers = Record<string, string | number>

/** Writes a complete response in one go (status, headers, body); HEAD requests get the headers only. */
export const send = (res: ServerResponse, status: number, headers: Headers, body: string | Buffer | undefined): void => {
  if (body !== undefined) headers["Content-Length"] = typeof body === "string" ? Buffer.byteLength(body) : body.length
  res.writeHead(status, headers)
  res.end(body)
}

export const sendJson = (res: ServerResponse, status: number, value: unknown, headers: Headers = {}): void => {
  headers["Content-Type"] = "application/json; charset=utf-8"
  headers["X-Content-Type-Options"] = "nosniff"
  if (headers["Cache-Control"] === undefined) headers["Cache-Control"] = "no-store"
  send(res, status, headers, JSON.stringify(value))
}

export const sendProblem = (res: ServerResponse, response: Problem.ProblemResponse, headers: Headers = {}): void => {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const all: Headers = {
    ...headers,
    ...response.headers,
    "Content-Type": Problem.PROBLEM_CONTENT_TYPE,
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store"
  }
  send(res, response.problem.status, all, JSON.stringify(response.problem))
}


export type BodyResult =
  | { readonly _tag: "ok"; readonly value: unknown }
  | { readonly _tag: "problem"; readonly response: Problem.ProblemResponse; readonly closeConnection: boolean }

const jsonMediaType = /^application\/(?:[a-z0-9.+-]*\+)?json$/

/**
 * How deep a JSON body may nest (objects and arrays), and how many members one object or array may have.
 * Profiles and alert rules need about 5 levels and a few dozen members; beyond these bounds a body is refused
 * before anything decodes it — a body nested thousands deep overflowed the stack while its validation message
 * was built, and schema decoding grows faster than linearly with the number of unexpected members (a 40 KB
 * array of 20,000 numbers held the event loop for over 30 s).
 */
export const MAX_JSON_DEPTH = 32
export const MAX_JSON_MEMBERS = 1000

export interface JsonLimits {
  readonly maxDepth: number
  readonly maxMembers: number
}
const defaultLimits: JsonLimits = { maxDepth: MAX_JSON_DEPTH, maxMembers: MAX_JSON_MEMBERS }

const overLimit = (which: "depth" | "members", limits: JsonLimits): Problem.ProblemResponse =>
  which === "depth"
    ? Problem.invalid(
        [{ field: "body", message: `must not nest objects and arrays deeper than ${limits.maxDepth} levels` }],
        `The body nests deeper than ${limits.maxDepth} levels.`
      )
    : Problem.invalid(
        [{ field: "body", message: `must not have more than ${limits.maxMembers} members in one object or array` }],
        `The body has an object or array with more than ${limits.maxMembers} members.`
      )

/**
 * Which bound JSON text exceeds, scanned without parsing (strings skipped): `depth`, `members` (counted by
 * the commas of one object or array), or `undefined` when it stays within both.
 */
export const jsonTextExceeds = (text: string, limits: JsonLimits = defaultLimits): "depth" | "members" | undefined => {
  const commas: Array<number> = [0]
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x7b || c === 0x5b) {
      commas.push(0)
      if (commas.length - 1 > limits.maxDepth) return "depth"
    } else if (c === 0x7d || c === 0x5d) {
      if (commas.length > 1) commas.pop()
    } else if (c === 0x2c) {
      const top = commas.length - 1
      commas[top] = commas[top]! + 1
      if (commas[top]! >= limits.maxMembers) return "members"
    }
  }
  return undefined
}

/** The same bounds for a value already parsed (a host app's `express.json()`), checked without recursion. */
export const valueExceeds = (value: unknown, limits: JsonLimits = defaultLimits): "depth" | "members" | undefined => {
  const stack: Array<readonly [unknown, number]> = [[value, 0]]
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!
    if (typeof current !== "object" || current === null) continue
    if (depth + 1 > limits.maxDepth) return "depth"
    const members = Array.isArray(current) ? current : Object.values(current)
    if (members.length > limits.maxMembers) return "members"
    for (const child of members) stack.push([child, depth + 1])
  }
  return undefined
}

/**
 * Reads and parses a JSON body within bounds checked before anything decodes it: 415 for another media
 * type, 413 beyond the size limit, 400 naming `body` when it is missing, not JSON, nested deeper than
 * `MAX_JSON_DEPTH` or wider than `MAX_JSON_MEMBERS`. A body already parsed by an `express.json()` of the host
 * app is taken as is (its depth and width still checked).
 */
export const readJsonBody = (
  req: IncomingMessage & { body?: unknown; _body?: boolean },
  limitBytes: number,
  limits: JsonLimits = defaultLimits
): Promise<BodyResult> => {
  // Parsed already by the host app (body-parser 1 marks `_body`; body-parser 2 leaves the stream consumed).
  if (req._body === true || (req.readableEnded && req.body !== undefined)) {
    const exceeded = valueExceeds(req.body, limits)
    return Promise.resolve(
      exceeded !== undefined
        ? { _tag: "problem", response: overLimit(exceeded, limits), closeConnection: false }
        : { _tag: "ok", value: req.body }
    )
  }
  if (req.readableEnded) {
    return Promise.resolve({ _tag: "problem", response: Problem.invalidField("body", "a JSON body is required"), closeConnection: false })
  }
  const contentType = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase()
  const declared = req.headers["content-length"]
  const hasBody = (declared !== undefined && declared !== "0") || req.headers["transfer-encoding"] !== undefined
  if (!hasBody) {
    return Promise.resolve({ _tag: "problem", response: Problem.invalidField("body", "a JSON body is required"), closeConnection: false })
  }
  if (!jsonMediaType.test(contentType)) {
    req.resume()
    return Promise.resolve({
      _tag: "problem",
      closeConnection: false,
      response: Problem.make(415, "unsupported_media_type", "The body must be JSON (Content-Type: application/json).", {
        errors: [{ field: "Content-Type", message: "must be application/json" }]
      })
    })
  }
  const tooLarge = (): BodyResult => ({
    _tag: "problem",
    closeConnection: true,
    response: Problem.make(413, "payload_too_large", `The body is larger than ${limitBytes} bytes.`, {
      errors: [{ field: "body", message: `must be at most ${limitBytes} bytes` }]
    })
  })
  if (declared !== undefined && Number(declared) > limitBytes) {
    req.resume()
    return Promise.resolve(tooLarge())
  }
  return new Promise((resolve) => {
    const chunks: Array<Buffer> = []
    let size = 0
    let done = false
    const finish = (result: BodyResult) => {
      if (done) return
      done = true
      req.off("data", onData)
      resolve(result)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > limitBytes) {
        req.resume()
        finish(tooLarge())
      } else chunks.push(chunk)
    }
    req.on("data", onData)
    req.on("error", () =>
      finish({ _tag: "problem", closeConnection: true, response: Problem.invalidField("body", "the body could not be read") })
    )
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8")
      if (text.trim() === "") return finish({ _tag: "problem", closeConnection: false, response: Problem.invalidField("body", "a JSON body is required") })
      const exceeded = jsonTextExceeds(text, limits)
      if (exceeded !== undefined) return finish({ _tag: "problem", closeConnection: false, response: overLimit(exceeded, limits) })
      try {
        finish({ _tag: "ok", value: JSON.parse(text) as unknown })
      } catch (error) {
        // The parser's message may quote the input; only the position is echoed back.
        const position = error instanceof Error ? /position (\d+)/.exec(error.message)?.[1] : undefined
        const where = position !== undefined ? ` (at position ${position})` : ""
        finish({ _tag: "problem", closeConnection: false, response: Problem.invalidField("body", `is not valid JSON${where}`) })
      }
    })
  })
}
