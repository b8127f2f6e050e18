import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { DemoSource, Engine, Profiles, Stats } from "@guildpulse/core"
import { embedScript, parseWidgetQuery, renderWidget, widgetCss } from "@guildpulse/widget"
import { Effect, Either, Layer, ManagedRuntime } from "effect"

const engine = ManagedRuntime.make(Engine.layerMemory().pipe(Layer.provide(DemoSource.layer)))
await engine.runPromise(Effect.flatMap(Profiles.Profiles, (p) => p.create({ key: "main", label: "My server", guildId: "123456789012345678" })))
const view = () => engine.runPromise(Effect.flatMap(Stats.Stats, (stats) => stats.get("main"))) // a StatsView

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? "/", "http://localhost")
  if (url.pathname === "/widget.css") return res.writeHead(200, { "content-type": "text/css" }).end(widgetCss())
  if (url.pathname === "/embed.js") return res.writeHead(200, { "content-type": "text/javascript" }).end(embedScript())
  if (url.pathname === "/stats") return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(await view()))
  const options = parseWidgetQuery(Object.fromEntries(url.searchParams)) // Either<WidgetOptions, ValidationError>
  if (Either.isLeft(options)) return res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify(options.left.issues))
  const card = renderWidget(await view(), options.right, { endpoint: "/stats" })
  res.writeHead(200, { "content-type": "text/html; charset=utf-8" })
  res.end(`<!doctype html><title>Discord</title><link rel="stylesheet" href="/widget.css">${card}<script src="/embed.js" defer></script>`)
})
server.listen(Number(process.env["PORT"] ?? 3000), "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
})
