/**
 * The defect log of the router: whatever an unexpected error quotes, the secrets the engine holds (bot tokens
 * of its profiles, whatever their shape) and the admin key never reach the log line.
 */
import { Engine } from "@guildpulse/core"
import { Layer, Logger, ManagedRuntime, Redacted } from "effect"
import express from "express"
import request from "supertest"
import { afterAll, describe, expect, it, vi } from "vitest"
import { guildPulse, Routes } from "../src/index.js"
import { ADMIN_KEY, BOT_TOKEN, defaultProfiles, makeSource } from "./fixtures.js"

describe("defect log", () => {
  const lines: Array<string> = []
  const capture = Logger.make(({ message }) => {
    lines.push((Array.isArray(message) ? message : [message]).map(String).join(" "))
  })
  const runtime = ManagedRuntime.make(
    Engine.layerMemory({ scheduler: false, profiles: defaultProfiles(), tokens: { main: BOT_TOKEN } }).pipe(
      Layer.provide(makeSource().layer),
      Layer.provideMerge(Logger.replace(Logger.defaultLogger, capture))
    )
  )
  afterAll(() => runtime.dispose())

  it("masks the engine's bot tokens (not Discord-shaped) and the admin key in what it logs", async () => {
    const router = guildPulse({
      runtime,
      adminKey: Redacted.make(ADMIN_KEY),
      extraRoutes: [
        {
          method: "get",
          path: "/v1/boom",
          access: Routes.publicAccess,
          doc: { operationId: "boom", summary: "Throws", responses: { 200: { description: "never" } } },
          handle: () => {
            throw new Error(`kaboom with ${BOT_TOKEN} and ${ADMIN_KEY}`)
          }
        }
      ]
    })
    await router.ready
    const res = await request(express().use(router)).get("/v1/boom")
    expect(res.status).toBe(500)
    await vi.waitFor(() => expect(lines.some((line) => line.includes("kaboom"))).toBe(true))
    const logged = lines.filter((line) => line.includes("kaboom")).join("\n")
    expect(logged).toContain("kaboom with <redacted> and <redacted>")
    expect(logged).not.toContain(BOT_TOKEN)
    expect(logged).not.toContain(ADMIN_KEY)
  })
})
