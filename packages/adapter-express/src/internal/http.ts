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

const htmlEscapes: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => htmlEscapes[c]!)

export type BodyResult =
  | { readonly _tag: "ok"; readonly value: unknown }
  | { readonly _tag: "problem"; readonly response: Problem.ProblemResponse; readonly closeConnection: boolean }

const jsonMediaType = /^application\/(?:[a-z0-9.+-]*\+)?json$/

/**
 * How deep a JSON body may nest (objects and arrays). Profiles and alert rules need about 5 levels; a body
 * nested thousands deep would otherwise reach schema decoding and the recursive message building after it.
 */
export const MAX_JSON_DEPTH = 32

const tooDeep = (limit: number): Problem.ProblemResponse =>
  Problem.invalid([{ field: "body", message: `must not nest objects and arrays deeper than ${limit} levels` }], `The body nests deeper than ${limit} levels.`)

/** The nesting depth of JSON text, scanned without parsing; stops counting once past `limit`. */
export const jsonTextDepth = (text: string, limit: number): number => {
  let depth = 0
  let max = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x7b || c === 0x5b) {
      depth++
      if (depth > max) max = depth
      if (max > limit) return max
    } else if (c === 0x7d || c === 0x5d) depth--
  }
  return max
}

/** The nesting depth of an already parsed value (a host app's `express.json()`), without recursion. */
export const valueDepth = (value: unknown, limit: number): number => {
  let max = 0
  const stack: Array<readonly [unknown, number]> = [[value, 0]]
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!
    if (typeof current !== "object" || current === null) continue
    const level = depth + 1
    if (level > max) max = level
    if (max > limit) return max
    for (const child of Array.isArray(current) ? current : Object.values(current)) stack.push([child, level])
  }
  return max
}

/**
 * Reads and parses a JSON body with a size limit and a depth limit, both checked before anything decodes
 * it: 415 for another media type, 413 beyond the size limit, 400 naming `body` when it is missing, not JSON,
 * or nested deeper than `MAX_JSON_DEPTH`. A body already parsed by an `express.json()` of the host app is
 * taken as is (its depth still checked).
 */
export const readJsonBody = (
  req: IncomingMessage & { body?: unknown; _body?: boolean },
  limitBytes: number,
  maxDepth: number = MAX_JSON_DEPTH
): Promise<BodyResult> => {
  // Parsed already by the host app (body-parser 1 marks `_body`; body-parser 2 leaves the stream consumed).
  if (req._body === true || (req.readableEnded && req.body !== undefined)) {
    return Promise.resolve(
      valueDepth(req.body, maxDepth) > maxDepth
        ? { _tag: "problem", response: tooDeep(maxDepth), closeConnection: false }
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
      if (jsonTextDepth(text, maxDepth) > maxDepth) return finish({ _tag: "problem", closeConnection: false, response: tooDeep(maxDepth) })
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
