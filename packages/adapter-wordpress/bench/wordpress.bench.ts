/**
 * What `[discord_stats]` costs a WordPress page: the same post with and without the shortcode, requested in
 * alternation from a real WordPress (test/support/wp-e2e.sh) configured against `guildpulse serve --sandbox`.
 *
 *   warm          the card is in the plugin's cache (the normal case)
 *   down          the service is stopped; the backoff is active, so the last-good card is served at once
 *   down-probing  the service is stopped and, before each request, the cache and the backoff are cleared: every
 *                 page pays one refused connection attempt (the worst case short of a hanging service)
 *   hanging       a service that accepts connections and never answers: the page pays the timeout (1 s here), once
 *
 * Each figure is the page's wall time measured by the client (fetch) on loopback; "added" is the difference
 * of the percentiles with the baseline page. Results: bench/results/wordpress.json (repository root).
 *
 *   npm run bench -- wordpress        (or: npm run bench -w @guildpulse/adapter-wordpress -- --samples 200)
 */
import { writeFileSync, mkdirSync } from "node:fs"
import { cpus, loadavg } from "node:os"
import { execFileSync } from "node:child_process"
import { createServer, type Socket } from "node:net"
import { join } from "node:path"
import prepare from "../test/globalSetup.js"
import { packageDir, startService, startWordPress } from "../test/support/harness.js"

const argSamples = process.argv.indexOf("--samples")
const SAMPLES = argSamples > 0 ? Number(process.argv[argSamples + 1]) : 200
const ADMIN_KEY = "gp_admin_wordpress-bench-0123456789"

const percentile = (sorted: ReadonlyArray<number>, p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN
const summary = (ms: ReadonlyArray<number>) => {
  const sorted = [...ms].sort((a, b) => a - b)
  return { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), samples: ms.length }
}
const round = (n: number) => Math.round(n * 100) / 100

const time = async (url: string): Promise<{ ms: number; body: string }> => {
  const started = performance.now()
  const response = await fetch(url)
  const body = await response.text()
  const ms = performance.now() - started
  if (response.status !== 200) throw new Error(`${url}: ${response.status}`)
  return { ms, body }
}

await prepare() // the plugin, and the guildpulse binary when a source is newer
const [service, site] = await Promise.all([startService(ADMIN_KEY), startWordPress()])
try {
  await site.eval(`
    guildpulse_save_settings(array('service_url' => '${service.url}', 'api_key' => '${ADMIN_KEY}', 'default_profile' => 'large', 'timeout' => '1'));
    $text = str_repeat('<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>', 20);
    wp_insert_post(array('post_title' => 'baseline', 'post_name' => 'baseline', 'post_status' => 'publish', 'post_content' => $text));
    wp_insert_post(array('post_title' => 'shortcode', 'post_name' => 'with-shortcode', 'post_status' => 'publish', 'post_content' => $text . '[discord_stats show_presence_breakdown="true"]'));`)
  const baselineUrl = `${site.url}/baseline/`
  const shortcodeUrl = `${site.url}/with-shortcode/`

  const alternate = async (label: string, check: (body: string) => boolean, before?: () => Promise<void>) => {
    const base: Array<number> = []
    const card: Array<number> = []
    for (let i = 0; i < 10; i++) await time(baselineUrl) // warm PHP's opcode cache
    for (let i = 0; i < SAMPLES; i++) {
      base.push((await time(baselineUrl)).ms)
      if (before !== undefined) await before()
      const { ms, body } = await time(shortcodeUrl)
      if (!check(body)) throw new Error(`${label}: unexpected page`)
      card.push(ms)
    }
    const b = summary(base)
    const c = summary(card)
    const result = { baseline: b, withShortcode: c, addedP50Ms: round(c.p50 - b.p50), addedP99Ms: round(c.p99 - b.p99) }
    console.log(`${label.padEnd(13)} baseline p50 ${b.p50} ms p99 ${b.p99} ms | with shortcode p50 ${c.p50} ms p99 ${c.p99} ms | added p50 ${result.addedP50Ms} ms p99 ${result.addedP99Ms} ms`)
    return result
  }

  await time(shortcodeUrl) // fills the cache and the last-good copy
  const warm = await alternate("warm", (body) => body.includes("data-gp-value") && !body.includes("data-guildpulse-stale"))
  await service.stop()
  await site.eval("guildpulse_flush_cache();")
  const down = await alternate("down", (body) => body.includes('data-guildpulse-stale="true"'))
  const downProbing = await alternate("down-probing", (body) => body.includes('data-guildpulse-stale="true"'), async () => {
    await site.eval("guildpulse_flush_cache();")
  })

  const sockets: Array<Socket> = []
  const hole = createServer((socket) => void sockets.push(socket))
  await new Promise<void>((done) => hole.listen(0, "127.0.0.1", () => done()))
  const port = (hole.address() as { port: number }).port
  await site.eval(`guildpulse_save_settings(array('service_url' => 'http://127.0.0.1:${port}', 'timeout' => '1'));`)
  const hanging: Array<number> = []
  for (let i = 0; i < 5; i++) {
    await site.eval("guildpulse_flush_cache();")
    const { ms, body } = await time(shortcodeUrl)
    if (!body.includes('data-guildpulse-stale="true"')) throw new Error("hanging: unexpected page")
    hanging.push(ms)
  }
  for (const socket of sockets) socket.destroy()
  hole.close()
  const hang = summary(hanging)
  console.log(`hanging       first page after each cache expiry: p50 ${hang.p50} ms, max ${round(Math.max(...hanging))} ms (timeout 1 s; the next pages skip the service for 30 s)`)

  const php = execFileSync("php", ["-r", "echo PHP_VERSION;"], { encoding: "utf8" })
  const results = {
    what: "wall time of a WordPress page (Debian wordpress 6.1, php -S with 4 workers, MariaDB) with [discord_stats] vs the same page without it",
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? "?", loadavg: loadavg().map(round), node: process.version, php },
    samplesPerPage: SAMPLES,
    timeoutSeconds: 1,
    warm,
    down,
    downProbing,
    hanging: { ...hang, maxMs: round(Math.max(...hanging)) }
  }
  const out = join(packageDir, "../../bench/results")
  mkdirSync(out, { recursive: true })
  writeFileSync(join(out, "wordpress.json"), `${JSON.stringify(results, null, 2)}\n`)
  console.log(`wrote bench/results/wordpress.json (load average ${results.machine.loadavg.join(" ")})`)
} finally {
  await service.stop()
  site.clean()
}
