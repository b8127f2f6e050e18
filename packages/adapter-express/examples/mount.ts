import type { AddressInfo } from "node:net"
import express from "express"
import { DemoSource, Engine, Profiles } from "@guildpulse/core"
import { guildPulse } from "@guildpulse/adapter-express"
import { Effect, Layer, Redacted } from "effect"

const app = express()
const layer = Engine.layerMemory().pipe(Layer.provide(DemoSource.layer)) // or the Discord connector
const key = process.env["GUILDPULSE_ADMIN_KEY"]
const router = guildPulse({ layer, adminKey: key ? Redacted.make(key) : undefined })
await router.runtime.runPromise(
  Effect.flatMap(Profiles.Profiles, (profiles) => profiles.create({ key: "main", label: "My server", guildId: "123456789012345678" }))
)
app.use("/discord", router)
const server = app.listen(Number(process.env["PORT"] ?? 3000), "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo
  console.log(`listening on http://127.0.0.1:${port}/discord/v1/profiles/main/stats`)
})
