/**
 * `npm start`: the GuildPulse demo. Reads PORT (8787), HOST (127.0.0.1), GUILDPULSE_ADMIN_KEY (generated and
 * printed when unset) and GUILDPULSE_PUBLIC_URL (optional: absolute URL of the API, for links in widget
 * fragments), starts everything, prints the URLs, and stops cleanly on Ctrl-C.
 */
import * as Demo from "./Demo.js"

const port = Number(process.env["PORT"] ?? 8787)
const host = process.env["HOST"] ?? "127.0.0.1"
const adminKey = process.env["GUILDPULSE_ADMIN_KEY"]
const publicUrl = process.env["GUILDPULSE_PUBLIC_URL"] || undefined
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number (0-65535), got '${process.env["PORT"]}'. Example: PORT=8787 npm start`)
  process.exit(2)
}
if (adminKey !== undefined && adminKey.length < 16) {
  console.error("GUILDPULSE_ADMIN_KEY must be at least 16 characters (or unset it to get a generated one).")
  process.exit(2)
}

const main = async () => {
  const demo = await Demo.start({ port, host, ...(adminKey !== undefined ? { adminKey } : {}), ...(publicUrl !== undefined ? { publicUrl } : {}) })
  const lines = [
    "",
    "GuildPulse demo is running",
    "",
    `  Demo page        ${demo.url}/`,
    ...["small", "large", "no-widget"].map((key) => `  Themes (${key})${" ".repeat(Math.max(1, 10 - key.length))}${demo.url}/demo/themes/${key}`),
    `  Stats JSON       ${demo.url}/v1/profiles/small/stats`,
    `  Badge            ${demo.url}/v1/profiles/large/badge.svg`,
    `  OpenAPI          ${demo.url}/openapi.json`,
    `  Console          ${demo.url}/console/  (sign in with the admin key)`,
    `  FakeDiscord      ${demo.sandbox.apiUrl}/v10  (controls: ${demo.sandbox.url}/__sandbox/stats, icons: ${demo.sandbox.cdnUrl})`,
    "",
    demo.adminKeyGenerated
      ? `  Admin key (generated for this run; set GUILDPULSE_ADMIN_KEY to choose one):\n    ${demo.adminKey}`
      : "  Admin key: from GUILDPULSE_ADMIN_KEY",
    `  Try: curl -H "Authorization: Bearer <admin key>" ${demo.url}/v1/profiles`,
    "",
    "Press Ctrl-C to stop."
  ]
  console.log(lines.join("\n"))
  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    console.log(`\n${signal}: stopping…`)
    await demo.close()
    process.exit(0)
  }
  process.on("SIGINT", () => void stop("SIGINT"))
  process.on("SIGTERM", () => void stop("SIGTERM"))
}

main().catch((error: unknown) => {
  const code = typeof error === "object" && error !== null && "code" in error ? (error as { code?: unknown }).code : undefined
  if (code === "EADDRINUSE") console.error(`Port ${port} is already in use. Stop the other program or choose another: PORT=8788 npm start`)
  else console.error("The demo could not start:", error instanceof Error ? error.message : error)
  process.exit(1)
})
