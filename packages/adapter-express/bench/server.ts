/**
 * Child process of the HTTP benchmark: serves either the GuildPulse router (warm, cached profile) or a bare
 * Express app with one route returning the same JSON bytes. Prints `{"port":N}` once listening.
 *
 *   node [--conditions=@guildpulse/source] --import tsx bench/server.ts guildpulse
 *   node --conditions=@guildpulse/source --import tsx bench/server.ts bare <body-file>
 */
import { readFileSync } from "node:fs"
import type { AddressInfo } from "node:net"
import { createInterface } from "node:readline"
import { Engine, fromInput, ProfileInput, StatsSource } from "@guildpulse/core"
import express from "express"
import { Effect, Layer, Redacted, Schema } from "effect"
// The package by name: its built `dist` by default, its sources under `--conditions=@guildpulse/source`.
import { ApiKeyAuth, createServer } from "@guildpulse/adapter-express"

const mode = process.argv[2]
// The benchmark asks for this process's CPU time ("cpu" on stdin, one JSON line back).
createInterface({ input: process.stdin }).on("line", () => {
  const { user, system } = process.cpuUsage()
  process.stdout.write(`${JSON.stringify({ cpuMicros: user + system })}\n`)
})
// Exit cleanly on SIGTERM (so `--cpu-prof` profiles get written when profiling a run).
process.on("SIGTERM", () => process.exit(0))

if (mode === "bare") {
  const body = readFileSync(process.argv[3] ?? "", "utf8")
  const app = express()
  app.get("/v1/profiles/bench/stats", (_req, res) => {
    res.set("Content-Type", "application/json; charset=utf-8").send(body)
  })
  const server = app.listen(0, "127.0.0.1", () => {
    process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`)
  })
} else {
  const profile = fromInput(
    Schema.decodeUnknownSync(ProfileInput)({
      key: "bench",
      label: "Bench",
      guildId: "123456789012345678",
      sources: { invite: false },
      refresh: { ttlSeconds: 3600 }
    }),
    new Date().toISOString()
  )
  const source = StatsSource.layerFixed({
    widget: { name: "Bench Guild", online: 1234, presence: { online: 60, idle: 25, dnd: 15, sampleSize: 100 }, instantInvite: "https://discord.gg/bench" },
    bot: { name: "Bench Guild", members: 56789, boosts: 14, boostTier: 3 }
  })
  const layer = Engine.layerMemory({ profiles: [profile], tokens: { bench: "bench-token" } }).pipe(Layer.provide(source))
  // Production defaults: the public rate limit is on (every benchmark connection shares one IP, so most
  // requests run over budget — and must still be served from the cache).
  // Scoped API keys on (default scrypt cost), with one key limited to the bench profile: the benchmark
  // compares anonymous requests with requests authenticated by that key (verified-key cache warm).
  const governance = ApiKeyAuth.governanceMemory()
  const server = createServer({ layer, governance, freshMemo: process.env["GP_BENCH_FRESH_MEMO"] !== "0" })
  Effect.runPromise(governance.apiKeys.create({ name: "bench", scopes: ["profiles:read"], profiles: ["bench"] }))
    .then(({ secret }) =>
      server.listen(0, "127.0.0.1").then((listening) => {
        process.stdout.write(`${JSON.stringify({ port: listening.port, key: Redacted.value(secret) })}\n`)
      })
    )
    .catch((error: unknown) => {
      console.error(error)
      process.exit(1)
    })
}
