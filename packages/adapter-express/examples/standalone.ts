import { DemoSource, Engine } from "@guildpulse/core"
import { listenFromEnv } from "@guildpulse/adapter-express"
import { Effect, Layer } from "effect"

const layer = Engine.layerMemory().pipe(Layer.provide(DemoSource.layer))
const server = await Effect.runPromise(listenFromEnv({ layer, trustProxy: "loopback" }))
console.log(`listening on ${server.url}`)
process.on("SIGTERM", () => server.close()) // stops accepting, drains, disposes the runtime
