/** Maps request paths to the Discord routes the sandbox serves. */
import type { RouteName } from "../Scenario.js"

export interface DiscordRouteMatch {
  readonly route: RouteName
  /** Guild id or invite code as written in the path ("" for /users/@me); validated later. */
  readonly major: string
}

const WIDGET = /^\/api(?:\/v10)?\/guilds\/([^/]+)\/widget\.json$/
const GUILD = /^\/api\/v10\/guilds\/([^/]+)$/
const INVITE = /^\/api\/v10\/invites\/([^/]+)$/
const ME = /^\/api\/v10\/users\/@me$/

const decode = (segment: string): string => {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

export const matchDiscordRoute = (pathname: string): DiscordRouteMatch | undefined => {
  let m = WIDGET.exec(pathname)
  if (m?.[1] !== undefined) return { route: "widget", major: decode(m[1]) }
  m = GUILD.exec(pathname)
  if (m?.[1] !== undefined) return { route: "guild", major: decode(m[1]) }
  m = INVITE.exec(pathname)
  if (m?.[1] !== undefined) return { route: "invite", major: decode(m[1]) }
  if (ME.test(pathname)) return { route: "me", major: "" }
  return undefined
}

/** Discord accepts `with_counts=true` (and 1/True). */
export const wantsCounts = (params: URLSearchParams): boolean => {
  const v = params.get("with_counts")
  return v !== null && ["true", "1"].includes(v.toLowerCase())
}

export const isSnowflake = (s: string): boolean => /^\d{17,20}$/.test(s)
