/**
 * Console sessions, kept server-side: the browser holds only a random session id (256 bits, HttpOnly,
 * SameSite=Strict, Secure behind TLS); the API key it signed in with stays in this process. A session ends
 * on sign-out, after `idleMs` without a request (read from the engine's clock, so tests move time instead of
 * waiting), or when its key stops authenticating (revoked, expired). Ids are only ever minted here: a cookie
 * naming an unknown id is ignored (session fixation), and signing in always mints a new one.
 *
 * CSRF: every form carries the session's own random token (synchronizer pattern), compared in constant
 * time. The sign-in form, which has no session yet, carries an HMAC of a random pre-session cookie under a
 * per-process secret (signed double submit).
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto"
import type { Redacted } from "effect"

export interface Session {
  readonly id: string
  readonly key: Redacted.Redacted<string>
  readonly subject: string
  readonly csrf: string
  readonly createdMs: number
  lastSeenMs: number
  /** A secret shown once on the next page (a new API key), then forgotten. */
  flash?: { readonly kind: "secret" | "notice"; readonly text: string; readonly label?: string } | undefined
}

export const SESSION_COOKIE = "gp_console"
export const LOGIN_COOKIE = "gp_console_login"
export const DEFAULT_IDLE_MS = 30 * 60_000
/** At most this many live sessions; the least recently used goes first. */
export const MAX_SESSIONS = 10_000

const token = (bytes = 32) => randomBytes(bytes).toString("base64url")

export const sameSecret = (a: string, b: string): boolean => {
  const x = Buffer.from(a, "utf8")
  const y = Buffer.from(b, "utf8")
  return x.length === y.length && timingSafeEqual(x, y)
}

export interface SessionStore {
  readonly create: (key: Redacted.Redacted<string>, subject: string, nowMs: number) => Session
  /** The live session of this id, touched; `undefined` when unknown or idle too long (then it is gone). */
  readonly get: (id: string | undefined, nowMs: number, touch?: boolean) => Session | undefined
  readonly destroy: (id: string) => void
  readonly size: () => number
  /** The pre-session cookie value and the sign-in form's token derived from it. */
  readonly loginToken: (cookie: string) => string
  readonly checkLoginToken: (cookie: string | undefined, submitted: unknown) => boolean
  readonly newLoginCookie: () => string
}

export const makeStore = (idleMs: number = DEFAULT_IDLE_MS): SessionStore => {
  // Map order is insertion order; a touched session is moved to the end (least recently used first).
  const sessions = new Map<string, Session>()
  const secret = randomBytes(32)
  const loginToken = (cookie: string) => createHmac("sha256", secret).update(cookie, "utf8").digest("base64url")
  return {
    create: (key, subject, nowMs) => {
      while (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value!)
      const session: Session = { id: token(), key, subject, csrf: token(), createdMs: nowMs, lastSeenMs: nowMs }
      sessions.set(session.id, session)
      return session
    },
    get: (id, nowMs, touch = true) => {
      if (id === undefined || !/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined
      const session = sessions.get(id)
      if (session === undefined) return undefined
      if (nowMs - session.lastSeenMs > idleMs) {
        sessions.delete(id)
        return undefined
      }
      if (!touch) return session
      session.lastSeenMs = Math.max(session.lastSeenMs, nowMs)
      sessions.delete(id)
      sessions.set(id, session)
      return session
    },
    destroy: (id) => void sessions.delete(id),
    size: () => sessions.size,
    loginToken,
    checkLoginToken: (cookie, submitted) =>
      cookie !== undefined && /^[A-Za-z0-9_-]{43}$/.test(cookie) && typeof submitted === "string" && sameSecret(loginToken(cookie), submitted),
    newLoginCookie: () => token()
  }
}

/** Cookies of a request (`name=value; …`); later duplicates do not override earlier ones. */
export const parseCookies = (header: string | undefined): Map<string, string> => {
  const out = new Map<string, string>()
  if (header === undefined) return out
  for (const part of header.split(";")) {
    const eq = part.indexOf("=")
    if (eq <= 0) continue
    const name = part.slice(0, eq).trim()
    const value = part.slice(eq + 1).trim()
    if (!out.has(name)) out.set(name, value)
  }
  return out
}

export const cookie = (
  name: string,
  value: string,
  options: { readonly path: string; readonly secure: boolean; readonly maxAgeSeconds?: number }
): string =>
  [
    `${name}=${value}`,
    `Path=${options.path}`,
    "HttpOnly",
    "SameSite=Strict",
    ...(options.secure ? ["Secure"] : []),
    ...(options.maxAgeSeconds !== undefined ? [`Max-Age=${options.maxAgeSeconds}`] : [])
  ].join("; ")
