import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import * as SafeUrl from "../src/SafeUrl.js"
import { startReceiver, type Receiver } from "./servers.js"

const refusedWith = (exit: Exit.Exit<unknown, unknown>, reason: string) => {
  assert.isTrue(Exit.isFailure(exit), "expected a refusal")
  if (Exit.isFailure(exit)) {
    const error = exit.cause._tag === "Fail" ? (exit.cause.error as { _tag: string; reason: string }) : undefined
    assert.strictEqual(error?._tag, "UnsafeUrl")
    assert.strictEqual(error?.reason, reason)
  }
}

describe("SafeUrl: address classes", () => {
  const cases: ReadonlyArray<[string, string]> = [
    ["8.8.8.8", "public"],
    ["1.1.1.1", "public"],
    ["2606:4700:4700::1111", "public"],
    ["0.0.0.0", "unspecified"],
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["172.32.0.1", "public"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "cgnat"],
    ["169.254.169.254", "link_local"],
    ["224.0.0.1", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["198.18.0.1", "reserved"],
    ["192.0.2.5", "documentation"],
    ["::", "unspecified"],
    ["::1", "loopback"],
    ["fe80::1", "link_local"],
    ["fd12:3456::1", "unique_local"],
    ["fc00::1", "unique_local"],
    ["ff02::1", "multicast"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:169.254.169.254", "link_local"],
    ["::ffff:8.8.8.8", "public"],
    ["64:ff9b::a00:1", "private"],
    ["2002:c0a8:0101::1", "private"],
    ["2001:db8::1", "documentation"],
    // Found by the bad-input sweep: IPv4-translated (RFC 6145) loopback was classified public.
    ["::ffff:0:7f00:1", "loopback"],
    ["::ffff:0:127.0.0.1", "loopback"],
    ["::ffff:0:a00:1", "private"],
    ["::127.0.0.1", "loopback"],
    ["64:ff9b::8.8.8.8", "public"],
    ["64:ff9b:1::a9fe:a9fe", "link_local"],
    ["2001::1", "reserved"],
    ["100::1", "reserved"],
    ["0x7f.1", "not an address"]
  ]
  for (const [address, expected] of cases) {
    it(`${address} is ${expected}`, () => {
      assert.strictEqual(SafeUrl.isPublic(address), expected === "public")
    })
  }
})

describe("SafeUrl: bad input", () => {
  const publicDns: SafeUrl.Resolver = async () => [{ address: "93.184.216.34", family: 4 }]

  it.effect("refuses the IPv4-translated loopback literal [::ffff:0:7f00:1]", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(SafeUrl.check("https://[::ffff:0:7f00:1]/"))
      refusedWith(exit, "non_public_address")
    }))

  it.effect("refuses the IPv4-translated metadata address [::ffff:0:a9fe:a9fe]", () =>
    Effect.gen(function* () {
      refusedWith(yield* Effect.exit(SafeUrl.check("https://[::ffff:0:a9fe:a9fe]/latest/meta-data/")), "non_public_address")
    }))

  it.effect("refuses user:password@ in a URL with the credentials reason", () =>
    Effect.gen(function* () {
      refusedWith(yield* Effect.exit(SafeUrl.check("https://user:pass@hooks.example.com/x", { resolve: publicDns })), "credentials")
    }))

  it.effect("refuses a bare user@ in a URL with the credentials reason", () =>
    Effect.gen(function* () {
      refusedWith(yield* Effect.exit(SafeUrl.check("https://user@hooks.example.com/x", { resolve: publicDns })), "credentials")
    }))

  it.effect("does not echo the password of a refused URL", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(SafeUrl.check("https://user:hunter2secret@hooks.example.com/x", { resolve: publicDns }))
      assert.isFalse(JSON.stringify(exit).includes("hunter2secret"))
    }))

})

let receiver: Receiver
const local = { allow: ["127.0.0.1"], allowHttp: true } as const

describe("SafeUrl: the guard", () => {
  beforeAll(async () => {
    receiver = await startReceiver((req, res) => {
      if (req.url === "/to-private") {
        res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/" })
        res.end()
        return true
      }
      if (req.url === "/to-localhost") {
        res.writeHead(307, { location: `http://localhost:${receiver.port}/final` })
        res.end()
        return true
      }
      if (req.url === "/to-credentials") {
        res.writeHead(302, { location: `http://admin:secret@127.0.0.1:${receiver.port}/final` })
        res.end()
        return true
      }
      if (req.url === "/hop") {
        res.writeHead(308, { location: "/final" })
        res.end()
        return true
      }
      if (req.url === "/loop") {
        res.writeHead(302, { location: "/loop" })
        res.end()
        return true
      }
      return false
    })
  })
  afterAll(() => receiver.close())

  it.effect("refuses http: and other schemes", () =>
    Effect.gen(function* () {
      refusedWith(yield* Effect.exit(SafeUrl.check("http://example.com/hook", { resolve: async () => [{ address: "93.184.216.34", family: 4 }] })), "scheme")
      refusedWith(yield* Effect.exit(SafeUrl.check("ftp://example.com/x")), "scheme")
      refusedWith(yield* Effect.exit(SafeUrl.check("file:///etc/passwd")), "scheme")
      refusedWith(yield* Effect.exit(SafeUrl.check("not a url")), "invalid_url")
    }))

  it.effect("refuses private, loopback and link-local literals, v4 and v6", () =>
    Effect.gen(function* () {
      for (const url of [
        "https://127.0.0.1/hook",
        "https://10.0.0.5/hook",
        "https://192.168.1.10/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://100.64.1.1/",
        "https://0.0.0.0/",
        "https://[::1]/hook",
        "https://[fd00::1]/hook",
        "https://[fe80::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[::ffff:a9fe:a9fe]/hook"
      ]) {
        refusedWith(yield* Effect.exit(SafeUrl.check(url)), "non_public_address")
      }
    }))

  it.effect("refuses DNS names that resolve to loopback (real lookup of localhost, and an injected resolver)", () =>
    Effect.gen(function* () {
      refusedWith(yield* Effect.exit(SafeUrl.check("https://localhost/hook")), "non_public_address")
      const rebinding: SafeUrl.Resolver = async (host) =>
        host === "hooks.evil.example" ? [{ address: "93.184.216.34", family: 4 }, { address: "127.0.0.1", family: 4 }] : []
      refusedWith(yield* Effect.exit(SafeUrl.check("https://hooks.evil.example/x", { resolve: rebinding })), "non_public_address")
      const mapped: SafeUrl.Resolver = async () => [{ address: "::ffff:10.0.0.1", family: 6 }]
      refusedWith(yield* Effect.exit(SafeUrl.check("https://internal.example/x", { resolve: mapped })), "non_public_address")
    }))

  it.effect("accepts public https targets and pins the checked address", () =>
    Effect.gen(function* () {
      const target = yield* SafeUrl.check("https://hooks.example.com/x", { resolve: async () => [{ address: "93.184.216.34", family: 4 }] })
      assert.strictEqual(target.address, "93.184.216.34")
    }))

  it.effect("refuses the local receiver without the allow-list, reaches it with it", () =>
    Effect.gen(function* () {
      refusedWith(yield* Effect.exit(SafeUrl.request(`${receiver.url}/plain`, { method: "POST", body: "{}" })), "scheme")
      refusedWith(yield* Effect.exit(SafeUrl.request(`${receiver.url}/plain`, { method: "POST", body: "{}" }, { allowHttp: true })), "non_public_address")
      // http: needs the allow-list too, not just the switch.
      refusedWith(yield* Effect.exit(SafeUrl.request(`${receiver.url}/plain`, {}, { allow: ["127.0.0.1"] })), "scheme")
      const res = yield* SafeUrl.request(`${receiver.url}/plain`, { method: "POST", body: "{}" }, local)
      assert.strictEqual(res.status, 200)
      const viaCidr = yield* SafeUrl.request(`${receiver.url}/plain`, {}, { allow: ["127.0.0.0/8"], allowHttp: true })
      assert.strictEqual(viaCidr.status, 200)
    }))

  it.effect("refuses a redirect to a URL with credentials", () =>
    Effect.gen(function* () {
      refusedWith(yield* Effect.exit(SafeUrl.request(`${receiver.url}/to-credentials`, {}, local)), "credentials")
    }))

  it.effect("follows redirects by hand, re-checking every hop", () =>
    Effect.gen(function* () {
      refusedWith(yield* Effect.exit(SafeUrl.request(`${receiver.url}/to-private`, { method: "POST", body: "{}" }, local)), "non_public_address")
      // A redirect to a name that resolves to a private address is refused, even when the first hop was allowed.
      refusedWith(
        yield* Effect.exit(SafeUrl.request(`${receiver.url}/to-localhost`, {}, { allow: ["127.0.0.1"], allowHttp: true, resolve: async () => [{ address: "10.9.9.9", family: 4 }] })),
        "non_public_address"
      )
      const ok = yield* SafeUrl.request(`${receiver.url}/hop`, { method: "POST", body: "x" }, local)
      assert.strictEqual(ok.status, 200)
      assert.strictEqual(ok.redirects, 1)
      const last = receiver.requests[receiver.requests.length - 1]!
      assert.strictEqual(last.url, "/final")
      assert.strictEqual(last.method, "POST", "308 repeats the request")
      assert.strictEqual(last.body, "x")
      refusedWith(yield* Effect.exit(SafeUrl.request(`${receiver.url}/loop`, {}, local)), "too_many_redirects")
    }))
})
