/**
 * The bad-input sweep: starts the demo (engine + FakeDiscord + HTTP service + pages) in this process on a free
 * loopback port and fires a bounded set of bad requests at it — JSON nested thousands deep, bodies over the
 * limit, malformed headers and framing, credentials of every shape, path and percent-encoding tricks, bad
 * query parameters, odd methods, control characters, cross-site posts and stalled clients — then prints a
 * summary: requests, status counts, 5xx (must be 0), answers that leak a secret, a stack or a path, and the
 * findings whose expected status was not met. Exit code 1 when anything is wrong.
 *
 *   npm run sweep                       (or: node --conditions=@guildpulse/source --import tsx scripts/bad-input-sweep.ts)
 *   SWEEP_TIME_LIMIT_S=120 npm run sweep
 *
 * Bounded: a fixed list of requests (about 5,000), 16 at a time, each with its own deadline (15 s; 3 s for
 * raw probes that promise more than they send), the whole sweep with a time limit (180 s), the two stalled
 * clients watched for at most 60 s. Nothing leaves the loopback interface.
 */
import * as http from "node:http"
import { connect } from "node:net"
import { SANDBOX_BOT_TOKEN, LARGE_GUILD_ID } from "@guildpulse/connector-discord/sandbox"
import * as Demo from "../apps/demo/src/Demo.js"

const CONCURRENCY = 16
const REQUEST_DEADLINE_MS = 15_000
/** Raw probes that promise more than they send (Expect: 100-continue, a body never sent) are given up on here. */
const RAW_DEADLINE_MS = 3_000
const TIME_LIMIT_MS = Number(process.env["SWEEP_TIME_LIMIT_S"] ?? 180) * 1000

interface Probe {
  readonly category: string
  readonly name: string
  /** Well-formed HTTP, sent with node:http. */
  readonly method?: string
  readonly path?: string
  readonly headers?: Record<string, string | Array<string>>
  readonly body?: string | Buffer
  /** Raw bytes on a fresh socket (malformed framing, headers node:http would refuse to send). */
  readonly raw?: string | Buffer
  /** The status this probe must get (a finding of the sweep); other probes only must not get a 5xx. */
  readonly expect?: number
}

interface Outcome {
  readonly probe: Probe
  readonly status: number | "closed" | "timeout" | "held" | "error"
  readonly body: string
  readonly ms: number
}

// --- What to send --------------------------------------------------------------------------------------

const nestedArray = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`
const nestedObject = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`

const build = (adminKey: string, origin: string): Array<Probe> => {
  const probes: Array<Probe> = []
  const admin = { authorization: `Bearer ${adminKey}` }
  const json = { ...admin, "content-type": "application/json" }
  const add = (probe: Probe) => probes.push(probe)
  const publicKeys = ["small", "large", "no-widget"]
  const publicPaths = publicKeys.flatMap((k) => [`/v1/profiles/${k}/stats`, `/v1/profiles/${k}/widget`, `/v1/profiles/${k}/badge.svg`])
  const bodyRoutes: ReadonlyArray<readonly [string, string]> = [
    ["PUT", "/v1/profiles/small"],
    ["PATCH", "/v1/profiles/small"],
    ["PUT", "/v1/profiles/sweep-new"],
    ["PUT", "/v1/alerts/rules"],
    ["POST", "/v1/alerts/test"]
  ]

  // 1. Deep JSON (the 500 of the first sweep), every body route, both shapes, many depths.
  for (const [method, path] of bodyRoutes) {
    for (const depth of [33, 34, 40, 50, 64, 100, 128, 256, 500, 1000, 2000, 3000, 5000, 8000, 10_000, 12_000, 16_000, 20_000, 30_000, 32_000]) {
      for (const [shape, body] of [["arrays", nestedArray(depth)], ["objects", nestedObject(depth)], ["in a field", `{"label":"x","display":${nestedObject(depth)}}`]]) {
        // Deeper than 32 levels is a 400 naming body; beyond 64 KiB the size limit answers first (413).
        add({ category: "deep-json", name: `${method} ${path} ${shape} ${depth}`, method, path, headers: json, body, expect: Buffer.byteLength(body!) > 64 * 1024 ? 413 : 400 })
      }
    }
    // Unclosed nesting is not JSON either.
    for (const depth of [100, 3000, 30_000]) add({ category: "deep-json", name: `${method} ${path} unclosed ${depth}`, method, path, headers: json, body: "[".repeat(depth), expect: 400 })
  }

  // 2. Bodies: too large, wrong type, not JSON, odd JSON.
  const odd = [
    "", " ", "null", "true", "0", "-0", "1e400", '"string"', "[]", "{}", "[1,2,3]", '{"a":1,"a":2}', '{"__proto__":{"polluted":1}}',
    '{"constructor":{"prototype":{"x":1}}}', "{'single':1}", "{a:1}", "[1,]", "{,}", "\u0000", '{"label":"\u0000"}', "\ufeff{}", "NaN", "Infinity",
    `[${"1,".repeat(20_000)}1]`, `{${Array.from({ length: 4000 }, (_, i) => `"k${i}":${i}`).join(",")}}`, `"${"x".repeat(60_000)}"`,
    '{"label":"\\ud800"}', '{"label":"a\\u0007b"}', '{"label":"\\u202egnp.exe"}', '{"guildId":1e21}', '{"refresh":{"ttlSeconds":1e308}}',
    '{"refresh":{"ttlSeconds":-1}}', '{"display":{"colors":{"background":"red;}body{x:y"}}}', '{"inviteCode":"javascript:alert(1)"}'
  ]
  for (const [method, path] of bodyRoutes) {
    for (const body of odd) add({ category: "odd-json", name: `${method} ${path} ${body.slice(0, 30)}`, method, path, headers: json, body })
    // Announced sizes over the limit: the server answers 413 from the headers, before reading the body.
    for (const size of [64 * 1024 + 1, 100_000, 1024 * 1024, 8 * 1024 * 1024, 2 ** 31, 2 ** 53]) {
      const head = `${method} ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${adminKey}\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\nConnection: close\r\n\r\n`
      add({ category: "huge-body", name: `${method} ${path} announces ${size} bytes`, raw: `${head}${"[".repeat(1024)}`, expect: 413 })
    }
    // Unannounced (chunked) bodies over the limit: counted while read, 413 once past it.
    for (const size of [64 * 1024 + 1, 200_000, 1024 * 1024]) {
      const head = `${method} ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${adminKey}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`
      add({ category: "huge-body", name: `${method} ${path} chunked ${size} bytes`, raw: `${head}${size.toString(16)}\r\n${" ".repeat(size)}\r\n0\r\n\r\n`, expect: 413 })
    }
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "application/jsonx", "json", ""]) {
      add({ category: "content-type", name: `${method} ${path} ${type}`, method, path, headers: { ...admin, "content-type": type }, body: '{"label":"x"}', expect: 415 })
    }
    add({ category: "content-type", name: `${method} ${path} charset=latin1`, method, path, headers: { ...admin, "content-type": "application/json; charset=latin1" }, body: "{}" })
  }

  // 3. Credentials of every shape, on public and admin routes.
  const authValues = [
    `Basic ${Buffer.from("user:pass").toString("base64")}`, "Basic", "Basic !!!", `Basic ${Buffer.from(`admin:${adminKey}`).toString("base64")}`,
    'Digest username="x", realm="y"', "Negotiate YIIB", "NTLM TlRMTVNTUAAB", "Token abc", "bearer", "Bearer", "Bearer ", "Bearer  ",
    "Bearer a b", "Bearer x".padEnd(10_000, "x"), `Bearer ${adminKey}x`, `bearer ${adminKey.slice(0, -1)}`, "Bearer gp_x_y", "Bearer gp__",
    "Bearer ../../etc/passwd", "Bearer =", "Bearer ======", "Bearer %00", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.", ",", "Bearer\tx"
  ]
  for (const value of authValues) {
    for (const path of publicPaths) {
      // Public routes ignore other schemes (a site behind Basic auth keeps its widget).
      const ours = /^bearer(?:\s|$)/i.test(value)
      add({ category: "auth", name: `${value.slice(0, 24)} on ${path}`, method: "GET", path, headers: { authorization: value }, ...(ours ? {} : { expect: 200 }) })
      add({ category: "auth", name: `HEAD ${value.slice(0, 24)} on ${path}`, method: "HEAD", path, headers: { authorization: value }, ...(ours ? {} : { expect: 200 }) })
    }
    add({ category: "auth", name: `${value.slice(0, 24)} on a non-public profile`, method: "GET", path: "/v1/profiles/backroom/stats", headers: { authorization: value }, ...(/^bearer(?:\s|$)/i.test(value) ? {} : { expect: 404 }) })
    for (const path of ["/v1/profiles", "/v1/events", "/metrics", "/v1/health", "/v1/alerts/rules"]) {
      add({ category: "auth", name: `${value.slice(0, 24)} on ${path}`, method: "GET", path, headers: { authorization: value }, expect: 401 })
    }
  }
  add({ category: "auth", name: "two Authorization headers", raw: `GET /v1/profiles HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${adminKey}\r\nAuthorization: Basic eA==\r\nConnection: close\r\n\r\n` })

  // 4. Paths and encodings.
  const pathTricks = [
    "/v1/profiles/%2e%2e/stats", "/v1/profiles/..%2f..%2fetc%2fpasswd/stats", "/v1/profiles/%C0%AE%C0%AE/stats", "/v1/profiles/%00/stats",
    "/v1/profiles/small%00/stats", "/v1/profiles/%E0%A4%A/stats", "/v1/profiles/%/stats", "/v1/profiles/%zz/stats", "/v1/profiles/%252e/stats",
    "/v1/profiles/SMALL/stats", "/v1/profiles/sm%61ll/stats", `/v1/profiles/${"a".repeat(65)}/stats`, `/v1/profiles/${"a".repeat(5000)}/stats`,
    "/v1/profiles/small/stats/", "/v1/profiles/small//stats", "//v1/profiles/small/stats", "/V1/profiles/small/stats", "/v1/profiles/small;x=1/stats",
    "/v1/profiles/small/stats;", "/v1/profiles/%F0%9F%98%80/stats", "/v1/profiles/caf%C3%A9/stats", "/v1/profiles/-x/stats", "/v1/profiles/_x/stats",
    "/v1/profiles/small/stats%2F..%2F..%2Fkeys", "/v1/profiles/small/widget.html", "/v1/profiles/small/badge.svg.png", "/v1/profiles/small/badge",
    "/v1/", "/v1", "/v1/profiles/", "/v1/nothing", "/v1/profiles/small/nothing", "/v1/profiles/small/refresh", "/embed.js/", "/embed.js%00",
    "/widget.css?v=../../x", "/openapi.json/..", "/demo/themes/", "/demo/themes/%E0%A4%A", "/demo/themes/%00", "/demo/themes/..%2f..",
    `/demo/themes/${"x".repeat(3000)}`, "/demo/themes/backroom", "/demo/themes/SMALL", "/demo", "/demo/", "/%2e%2e/%2e%2e/etc/passwd",
    "/node_modules/.package-lock.json", "/package.json", "/.env", "/src/Demo.ts", "/favicon.ico", "/robots.txt"
  ]
  for (const path of pathTricks) {
    add({ category: "path", name: path.slice(0, 60), method: "GET", path })
    add({ category: "path", name: `HEAD ${path.slice(0, 60)}`, method: "HEAD", path })
    add({ category: "path", name: `admin ${path.slice(0, 60)}`, method: "GET", path, headers: admin })
  }
  for (const raw of ["GET /v1/profiles/small\\stats HTTP/1.1", "GET http://evil.example/v1/profiles/small/stats HTTP/1.1", "GET * HTTP/1.1", "GET v1/profiles HTTP/1.1", "GET /v1/profiles/small/stats#frag HTTP/1.1", "GET /v1/profiles/sm all/stats HTTP/1.1"]) {
    add({ category: "path", name: `raw ${raw}`, raw: `${raw}\r\nHost: x\r\nConnection: close\r\n\r\n` })
  }

  // 5. Query parameters.
  const widgetQueries = [
    "theme=neon", "theme=", "theme[]=dark", "theme=dark&theme=light", "layout=diagonal", "locale=xx", "locale=en-US%00", "standalone=perhaps", "standalone=1&standalone=0",
    "fresh=2", "fresh=1", "fresh=", "colors.background=red;}", "accent=%3Cscript%3E", "accent=javascript:alert(1)", "color=%23zzz", "radius=-1", "radius=1e309",
    "refreshIntervalSeconds=0", "refreshIntervalSeconds=-5", "refreshIntervalSeconds=NaN", "showBoosts=maybe", "__proto__[x]=1", "constructor[prototype][x]=1",
    "labels.online=%00%07%E2%80%AE", "labels.online=" + "x".repeat(5000), Array.from({ length: 1000 }, (_, i) => `p${i}=1`).join("&"), "a=%E0%A4%A", "%=%", "&&&&", "=",
    "theme=%F0%9F%98%80", "size=9999999999999999999999", "label=%0d%0aSet-Cookie:x=1", "v=" + "1".repeat(3000)
  ]
  for (const key of publicKeys) {
    for (const query of widgetQueries) {
      for (const kind of ["stats", "widget", "badge.svg"]) add({ category: "query", name: `${kind}?${query.slice(0, 40)}`, method: "GET", path: `/v1/profiles/${key}/${kind}?${query}` })
    }
  }
  const eventQueries = [
    "since=yesterday", "until=0", "since=2026-13-45", "limit=-1", "limit=0", "limit=1e9", "limit=abc", "limit=10&limit=20", "cursor=garbage", "cursor=%00",
    "level=fatal", "type=%27%20OR%201%3D1", "profile=..", "profile=SMALL", "since=2030-01-01T00:00:00Z&until=2020-01-01T00:00:00Z", "x=1", "cursor=" + "A".repeat(5000)
  ]
  for (const query of eventQueries) add({ category: "query", name: `events?${query.slice(0, 40)}`, method: "GET", path: `/v1/events?${query}`, headers: admin })
  for (const query of ["done=%3Cscript%3Ealert(1)%3C/script%3E", "done[]=x", "done=" + "x".repeat(5000), "done=%E0%A4%A", "done=%0d%0aX-Injected:1"]) {
    add({ category: "query", name: `/?${query.slice(0, 40)}`, method: "GET", path: `/?${query}` })
  }

  // 6. Methods.
  const methods = ["POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND", "MKCOL", "PURGE", "LINK", "SEARCH", "QUERY"]
  for (const method of methods) {
    for (const path of ["/v1/profiles/small/stats", "/v1/profiles/small/widget", "/embed.js", "/healthz", "/readyz", "/openapi.json", "/v1/profiles", "/v1/profiles/small", "/metrics", "/", "/demo/themes/small", "/demo/refresh", "/demo/scenario"]) {
      add({ category: "method", name: `${method} ${path}`, method, path })
      add({ category: "method", name: `${method} ${path} (admin)`, method, path, headers: admin })
    }
  }
  for (const method of ["FOO", "get", "G E T", "GET\u0000", "CONNECT"]) {
    add({ category: "method", name: `raw ${JSON.stringify(method)}`, raw: `${method} /v1/profiles/small/stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n` })
  }

  // 7. Headers and framing (raw sockets).
  const rawHeaders = [
    "Host: x\r\nX-Big: " + "x".repeat(20_000), "Host: x\r\nBad Header: 1", "Host: x\r\nX-Ctl: a\u0001b", "Host: x\r\nX-Nul: a\u0000b", "Host: x\r\n: empty-name",
    "Host: x\r\nContent-Length: 5\r\nContent-Length: 6", "Host: x\r\nContent-Length: -1", "Host: x\r\nContent-Length: abc", "Host: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3",
    "Host: x\r\nTransfer-Encoding: gzip", "Host: x\r\nTransfer-Encoding: chunked, identity", "Host: a\r\nHost: b", "Host: ", "Host: evil.example\u0000",
    "Host: x\r\nIf-None-Match: " + '"a",'.repeat(3000), "Host: x\r\nIf-None-Match: *", "Host: x\r\nIf-None-Match: W/", "Host: x\r\nOrigin: null",
    "Host: x\r\nOrigin: " + "x".repeat(8000), "Host: x\r\nCookie: " + "a=1; ".repeat(1500), "Host: x\r\nAccept: */*;q=banana", "Host: x\r\nRange: bytes=0-0,1-1,2-2",
    "Host: x\r\nExpect: 100-continue", "Host: x\r\nExpect: 999-weird", "Host: x\r\nUpgrade: websocket\r\nConnection: Upgrade", "Host: x\r\nX-Forwarded-For: 1.1.1.1, ::1, junk",
    "Host: x\r\n Folded: continued", "Host: x\r\nAccept-Encoding: " + "gzip;".repeat(2000)
  ]
  for (const path of ["/v1/profiles/small/stats", "/v1/profiles/large/widget", "/v1/profiles/no-widget/badge.svg", "/v1/profiles", "/v1/events", "/", "/demo/themes/small", "/healthz", "/readyz", "/embed.js", "/openapi.json"]) {
    for (const headers of rawHeaders) add({ category: "headers", name: `${path} ${JSON.stringify(headers.slice(8, 48))}`, raw: `GET ${path} HTTP/1.1\r\n${headers}\r\nConnection: close\r\n\r\n` })
    add({ category: "headers", name: `${path} HTTP/1.0 without Host`, raw: `GET ${path} HTTP/1.0\r\n\r\n` })
    add({ category: "headers", name: `${path} HTTP/1.1 without Host`, raw: `GET ${path} HTTP/1.1\r\nConnection: close\r\n\r\n`, expect: 400 })
    add({ category: "headers", name: `${path} HTTP/2 preface`, raw: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" })
    add({ category: "headers", name: `${path} HTTP/9.9`, raw: `GET ${path} HTTP/9.9\r\nHost: x\r\n\r\n` })
    add({ category: "headers", name: `${path} bare LF`, raw: `GET ${path} HTTP/1.1\nHost: x\nConnection: close\n\n` })
    add({ category: "headers", name: `${path} garbage`, raw: Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 37) % 256)) })
  }
  // Forged Host on cacheable answers: it must never show up in the answer.
  for (const key of publicKeys) add({ category: "headers", name: `forged Host ${key}`, method: "GET", path: `/v1/profiles/${key}/widget`, headers: { host: "evil.example" } })
  // Chunked bodies that lie.
  for (const chunked of ["zz\r\n{}\r\n0\r\n\r\n", "ffffffffffffffff\r\n{}", "2\r\n{}\r\n0\r\n\r\n", `1\r\n[\r\n${"1\r\n[\r\n".repeat(3000)}0\r\n\r\n`]) {
    add({ category: "headers", name: `chunked ${JSON.stringify(chunked.slice(0, 12))}`, raw: `PUT /v1/profiles/small HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${adminKey}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunked}` })
  }

  // 8. Control and bidi characters where text is stored or echoed.
  const labels = ["a\u0000b", "a\u0007b", "a\u001bb", "\u202eevil", "\u2066x\u2069", "a\ud800b", "\udc00", "a\u0085b", "a\u007fb", "\u0000".repeat(120)]
  for (const label of labels) {
    for (const [method, path] of [["PUT", "/v1/profiles/small"], ["PATCH", "/v1/profiles/small"], ["PUT", "/v1/profiles/sweep-label"]] as const) {
      const body = JSON.stringify(method === "PATCH" ? { label } : { label, guildId: LARGE_GUILD_ID })
      add({ category: "control-chars", name: `${method} ${path} label ${JSON.stringify(label).slice(0, 20)}`, method, path, headers: json, body, expect: 400 })
    }
  }

  // 9. The demo's controls: cross-site, anonymous, malformed.
  const form = "application/x-www-form-urlencoded"
  for (const path of ["/demo/refresh", "/demo/scenario"]) {
    const body = "mode=outage&profile=*"
    add({ category: "csrf", name: `${path} cross-site`, method: "POST", path, headers: { "content-type": form, origin: "https://evil.example", "sec-fetch-site": "cross-site" }, body, expect: 403 })
    add({ category: "csrf", name: `${path} same-site`, method: "POST", path, headers: { "content-type": form, origin: "https://sub.127.0.0.1.example", "sec-fetch-site": "same-site" }, body, expect: 403 })
    add({ category: "csrf", name: `${path} Origin null`, method: "POST", path, headers: { "content-type": form, origin: "null" }, body, expect: 403 })
    add({ category: "csrf", name: `${path} anonymous`, method: "POST", path, headers: { "content-type": form }, body, expect: 403 })
    add({ category: "csrf", name: `${path} same origin, no token`, method: "POST", path, headers: { "content-type": form, origin, "sec-fetch-site": "same-origin" }, body, expect: 403 })
    add({ category: "csrf", name: `${path} same origin, forged token`, method: "POST", path, headers: { "content-type": form, origin, "sec-fetch-site": "same-origin", cookie: `gp_demo_csrf=${"A".repeat(32)}` }, body: `${body}&csrf=${"B".repeat(32)}`, expect: 403 })
    add({ category: "csrf", name: `${path} wrong bearer`, method: "POST", path, headers: { "content-type": form, authorization: "Bearer nope" }, body, expect: 403 })
    add({ category: "csrf", name: `${path} form too large`, method: "POST", path, headers: { "content-type": form, origin }, body: `mode=${"x".repeat(10_000)}`, expect: 413 })
    add({ category: "csrf", name: `${path} bad charset`, method: "POST", path, headers: { "content-type": `${form}; charset=klingon`, origin }, body, expect: 415 })
    add({ category: "csrf", name: `${path} JSON body`, method: "POST", path, headers: { "content-type": "application/json", origin }, body: '{"mode":"outage"}', expect: 403 })
    for (const bad of ["mode=explode", "mode[]=outage", "mode=outage&profile=backroom", "mode=outage&profile[x]=1", "%=%", "mode=%E0%A4%A"]) {
      add({ category: "csrf", name: `${path} admin ${bad}`, method: "POST", path, headers: { "content-type": form, ...admin }, body: bad })
    }
  }

  // 10. Combinations: a seeded generator mixes the pieces above (method × path × query × credentials ×
  // content type × body), so pairs no list above names get tried too. Deterministic: same seed, same requests.
  let seed = 0x9e3779b9
  const random = () => {
    seed ^= seed << 13
    seed ^= seed >>> 17
    seed ^= seed << 5
    return (seed >>> 0) / 2 ** 32
  }
  const pick = <A>(items: ReadonlyArray<A>): A => items[Math.floor(random() * items.length)]!
  const fuzzPaths = [...publicPaths, ...pathTricks, "/v1/profiles", "/v1/profiles/small", "/v1/profiles/backroom", "/v1/events", "/v1/alerts/rules", "/v1/alerts/test", "/metrics", "/v1/health", "/", "/demo/refresh", "/demo/scenario"]
  const fuzzQueries = ["", "", ...widgetQueries, ...eventQueries]
  const fuzzAuth = [undefined, undefined, `Bearer ${adminKey}`, ...authValues]
  const fuzzTypes = [undefined, "application/json", "application/merge-patch+json", form, "text/plain", "application/json; charset=utf-16"]
  const fuzzBodies = [undefined, ...odd.filter((b) => b.length < 2000), nestedArray(100), nestedObject(40), JSON.stringify({ label: "Fuzz", guildId: LARGE_GUILD_ID }), "mode=outage&profile=*"]
  const fuzzMethods = ["GET", "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
  for (let i = 0; i < 2600; i++) {
    const method = pick(fuzzMethods)
    const path = pick(fuzzPaths)
    const query = pick(fuzzQueries)
    const authorization = pick(fuzzAuth)
    const type = pick(fuzzTypes)
    const body = method === "GET" || method === "HEAD" ? undefined : pick(fuzzBodies)
    const headers: Record<string, string> = {}
    if (authorization !== undefined) headers["authorization"] = authorization
    if (type !== undefined) headers["content-type"] = type
    if (random() < 0.2) headers["origin"] = pick([origin, "https://evil.example", "null"])
    if (random() < 0.1) headers["if-match"] = pick(['"1"', "*", 'W/"1"', "garbage", '"0"', '"999999999999999"'])
    if (random() < 0.1) headers["if-none-match"] = pick(["*", '"x"', "W/", ""])
    // DELETE is left to the admin key only on paths that do not exist, so the sweep keeps its sample profiles.
    if (method === "DELETE" && authorization === `Bearer ${adminKey}` && /^\/v1\/profiles\/(?:small|large|no-widget|backroom)\/?$/.test(path)) continue
    add({ category: "combined", name: `${method} ${path.slice(0, 50)}${query === "" ? "" : `?${query.slice(0, 30)}`}`, method, path: query === "" ? path : `${path}${path.includes("?") ? "&" : "?"}${query}`, headers, ...(body !== undefined ? { body } : {}) })
  }
  return probes
}

// --- How to send it ------------------------------------------------------------------------------------

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY })

const viaHttp = (base: URL, probe: Probe): Promise<Omit<Outcome, "probe" | "ms">> =>
  new Promise((resolve) => {
    const headers: Record<string, string | Array<string>> = { ...probe.headers }
    if (probe.body !== undefined) headers["content-length"] = String(Buffer.byteLength(probe.body))
    let req: http.ClientRequest
    try {
      req = http.request({ host: base.hostname, port: base.port, method: probe.method, path: probe.path, headers, agent, timeout: REQUEST_DEADLINE_MS }, (res) => {
        const chunks: Array<Buffer> = []
        let size = 0
        res.on("data", (chunk: Buffer) => {
          if (size < 256 * 1024) chunks.push(chunk)
          size += chunk.length
        })
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }))
        res.on("error", () => resolve({ status: res.statusCode ?? "error", body: "" }))
      })
    } catch {
      // node:http refused to send it (e.g. an invalid header value): not a server answer.
      resolve({ status: "error", body: "client refused to send" })
      return
    }
    req.on("timeout", () => {
      req.destroy()
      resolve({ status: "timeout", body: "" })
    })
    // The server may answer 413 and close before the whole body is written.
    req.on("error", () => resolve({ status: "closed", body: "" }))
    req.end(probe.body)
  })

const viaSocket = (base: URL, raw: string | Buffer): Promise<Omit<Outcome, "probe" | "ms">> =>
  new Promise((resolve) => {
    const socket = connect(Number(base.port), base.hostname)
    const chunks: Array<Buffer> = []
    let done = false
    const finish = () => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      const text = Buffer.concat(chunks).toString("utf8")
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1]
      resolve({ status: status === undefined ? "closed" : Number(status), body: text })
    }
    const timer = setTimeout(() => {
      const text = Buffer.concat(chunks).toString("utf8")
      done = true
      socket.destroy()
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1]
      resolve({ status: status === undefined ? "held" : Number(status), body: text })
    }, RAW_DEADLINE_MS)
    socket.on("data", (chunk: Buffer) => chunks.push(chunk))
    socket.on("end", finish)
    socket.on("close", finish)
    socket.on("error", finish)
    socket.write(raw)
  })

/** How long a stalled client is watched; a server that holds it longer fails the sweep. */
const STALL_WATCH_MS = 60_000

/** A client that opens a request and then says nothing more; resolves with how long the server held it. */
const stall = (base: URL, text: string): Promise<{ readonly status: string; readonly heldMs: number }> =>
  new Promise((resolve) => {
    const started = performance.now()
    const socket = connect(Number(base.port), base.hostname)
    let received = ""
    const watch = setTimeout(() => {
      resolve({ status: "still held", heldMs: performance.now() - started })
      socket.destroy()
    }, STALL_WATCH_MS)
    socket.setEncoding("utf8")
    socket.on("data", (chunk: string) => (received += chunk))
    socket.on("error", () => undefined)
    socket.on("close", () => {
      clearTimeout(watch)
      resolve({ status: /^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? "closed", heldMs: performance.now() - started })
    })
    socket.write(text)
  })

// --- Run ------------------------------------------------------------------------------------------------

const main = async () => {
  const logged: Array<string> = []
  const originalError = console.error
  console.error = (...args: Array<unknown>) => void logged.push(args.map(String).join(" "))
  const demo = await Demo.start({ port: 0, scheduler: false, telemetryFromEnv: false })
  const base = new URL(demo.url)
  // A non-public profile: its label must never show on the pages.
  await fetch(`${demo.url}/v1/profiles/backroom`, {
    method: "PUT",
    headers: { authorization: `Bearer ${demo.adminKey}`, "content-type": "application/json" },
    body: JSON.stringify({ key: "backroom", label: "Backroom Secret Label", guildId: LARGE_GUILD_ID, public: false })
  })
  const probes = build(demo.adminKey, demo.url)
  const started = performance.now()

  // Stalled clients run alongside: one that never finishes its headers, one that never finishes its body.
  const stalls = Promise.all([
    stall(base, "GET /v1/profiles/small/stats HTTP/1.1\r\nHost: x\r\n"),
    stall(base, `PUT /v1/profiles/small HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${demo.adminKey}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`)
  ])

  const outcomes: Array<Outcome> = []
  let next = 0
  let timedOut = false
  const worker = async () => {
    while (next < probes.length) {
      if (performance.now() - started > TIME_LIMIT_MS) {
        timedOut = true
        return
      }
      const probe = probes[next++]!
      const t0 = performance.now()
      const result = probe.raw !== undefined ? await viaSocket(base, probe.raw) : await viaHttp(base, probe)
      outcomes.push({ probe, ...result, ms: performance.now() - t0 })
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  const held = await stalls
  const elapsedS = (performance.now() - started) / 1000

  // --- Judge --------------------------------------------------------------------------------------------
  const secrets = [demo.adminKey, SANDBOX_BOT_TOKEN]
  const statusCounts = new Map<string, number>()
  const byCategory = new Map<string, number>()
  const fiveXx: Array<Outcome> = []
  const leaks: Array<string> = []
  const mismatches: Array<string> = []
  for (const o of outcomes) {
    statusCounts.set(String(o.status), (statusCounts.get(String(o.status)) ?? 0) + 1)
    byCategory.set(o.probe.category, (byCategory.get(o.probe.category) ?? 0) + 1)
    if (typeof o.status === "number" && o.status >= 500) fiveXx.push(o)
    if (o.probe.expect !== undefined && o.status !== o.probe.expect) mismatches.push(`${o.probe.category}: ${o.probe.name} → ${o.status} (expected ${o.probe.expect})`)
    for (const secret of secrets) if (o.body.includes(secret)) leaks.push(`${o.probe.name}: a secret`)
    if (/\n\s+at .+:\d+:\d+/.test(o.body) || o.body.includes(process.cwd())) leaks.push(`${o.probe.name}: a stack trace or a path`)
    if (o.body.includes("evil.example") && o.probe.name.startsWith("forged Host")) leaks.push(`${o.probe.name}: the forged Host`)
    const asAdmin = JSON.stringify(o.probe.headers ?? {}).includes(demo.adminKey) || String(o.probe.raw ?? "").includes(demo.adminKey)
    if (o.body.includes("Backroom Secret Label") && !asAdmin) leaks.push(`${o.probe.name}: a non-public profile's label`)
    if (o.status === "timeout" || o.status === "error") mismatches.push(`${o.probe.category}: ${o.probe.name} → ${o.status} (no answer)`)
  }
  const latencies = outcomes.map((o) => o.ms).sort((a, b) => a - b)
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]?.toFixed(0)
  const unexpectedLogs = logged.filter((line) => /unexpected error/i.test(line))

  console.error = originalError
  console.log("\nbad-input sweep of the demo server")
  console.log(`  requests            ${outcomes.length} of ${probes.length} planned, in ${elapsedS.toFixed(1)} s (${CONCURRENCY} at a time)${timedOut ? "  — TIME LIMIT REACHED" : ""}`)
  console.log(`  by category         ${[...byCategory].map(([k, v]) => `${k} ${v}`).join(", ")}`)
  console.log(`  status counts       ${[...statusCounts].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}: ${v}`).join(", ")}`)
  console.log(`  5xx                 ${fiveXx.length}`)
  console.log(`  latency ms          p50 ${pct(50)}, p99 ${pct(99)}, max ${latencies[latencies.length - 1]?.toFixed(0)}`)
  console.log(`  leaks               ${leaks.length} (secrets, stacks, paths, forged Host, non-public labels)`)
  console.log(`  expected statuses   ${outcomes.filter((o) => o.probe.expect !== undefined).length - mismatches.length} met, ${mismatches.length} missed`)
  console.log(`  "unexpected error"  ${unexpectedLogs.length} printed to stderr`)
  console.log(`  stalled headers     ${held[0].status} after ${(held[0].heldMs / 1000).toFixed(1)} s (watched up to ${STALL_WATCH_MS / 1000} s)`)
  console.log(`  stalled body        ${held[1].status} after ${(held[1].heldMs / 1000).toFixed(1)} s (watched up to ${STALL_WATCH_MS / 1000} s)`)
  for (const o of fiveXx.slice(0, 20)) console.log(`  5xx: ${o.probe.category}: ${o.probe.name} → ${o.status}`)
  for (const line of mismatches.slice(0, 30)) console.log(`  missed: ${line}`)
  for (const line of leaks.slice(0, 20)) console.log(`  leak: ${line}`)
  for (const line of unexpectedLogs.slice(0, 10)) console.log(`  logged: ${line.slice(0, 300)}`)
  if (process.env["SWEEP_VERBOSE"] !== undefined) {
    for (const o of [...outcomes].sort((a, b) => b.ms - a.ms).slice(0, 15)) console.log(`  slow: ${o.ms.toFixed(0)} ms ${o.probe.category}: ${o.probe.name.slice(0, 80)} → ${o.status}`)
    for (const o of outcomes.filter((x) => x.status === "held" || x.status === "closed")) console.log(`  ${o.status}: ${o.probe.category}: ${JSON.stringify(o.probe.name.slice(0, 80))}`)
  }

  agent.destroy()
  await demo.close()
  const stallsHeld = held.filter((h) => h.status === "still held").length
  const ok = fiveXx.length === 0 && leaks.length === 0 && mismatches.length === 0 && unexpectedLogs.length === 0 && !timedOut && stallsHeld === 0
  console.log(ok ? "\nsweep passed" : "\nsweep FAILED")
  process.exit(ok ? 0 : 1)
}

main().catch((error: unknown) => {
  console.error("the sweep could not run:", error)
  process.exit(2)
})
