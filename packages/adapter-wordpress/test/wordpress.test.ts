/**
 * End to end in a real WordPress (Debian's 6.1 package, MariaDB, `php -S`) against a real
 * `guildpulse serve --sandbox`: the plugin is activated and configured, posts using the shortcode, its alias,
 * the new block and the legacy block markup show the sandbox's numbers; Site Health shows the GuildPulse
 * tests; the status/refresh/import functions behind WP-CLI work; the block is in the editor's inserter and its
 * preview renders in Chromium; with the service stopped, pages show the last-good numbers marked stale.
 *
 * WP-CLI itself cannot be installed on these machines: its commands are thin wrappers over the PHP
 * functions exercised here (guildpulse_status, guildpulse_refresh, guildpulse_import).
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { chromium, type Browser } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { packageDir, pluginLogLines, startService, startWordPress, type Service, type Site } from "./support/harness.js"

const ADMIN_KEY = "gp_admin_wordpress-e2e-0123456789"

interface StatsJson {
  readonly counts: { readonly online: number | null; readonly members: number | null }
}

const values = (html: string): Array<number> => [...html.matchAll(/data-gp-value="(\d+)"/g)].map((m) => Number(m[1]))

describe("the GuildPulse WordPress plugin in a real WordPress", () => {
  let service: Service
  let site: Site
  const counts = new Map<string, StatsJson["counts"]>()

  const page = async (path: string): Promise<string> => {
    const response = await fetch(`${site.url}${path}`)
    expect(response.status, path).toBe(200)
    return response.text()
  }
  const php = (code: string) => site.eval(code)
  const phpJson = async <A>(code: string): Promise<A> => JSON.parse(await php(`echo wp_json_encode((function () { ${code} })());`)) as A

  beforeAll(async () => {
    ;[service, site] = await Promise.all([startService(ADMIN_KEY), startWordPress()])
    for (const profile of ["small", "large", "no-widget"]) {
      const response = await fetch(`${service.url}/v1/profiles/${profile}/stats`)
      counts.set(profile, ((await response.json()) as StatsJson).counts)
    }
    const errors = await phpJson<Array<string>>(
      `return guildpulse_save_settings(array('service_url' => '${service.url}', 'api_key' => '${ADMIN_KEY}', 'default_profile' => 'large', 'timeout' => '1.5'));`
    )
    expect(errors).toEqual([])
    await php(`
      $posts = array(
        'shortcode' => '[discord_stats show_presence_breakdown="true" theme="radix" stat_bg_color="not-a-colour" bot_token="MTIz.secret"]',
        'alias'     => '[guildpulse profile="small" show_total="false"]',
        'block'     => '<!-- wp:guildpulse/stats {"profile":"small","theme":"dark","align":"wide"} /-->',
        'legacy'    => '<!-- wp:discord-bot-jlg/discord-stats {"profile":"no-widget","show_premium_subscriptions":true,"className":"old-card"} /-->',
        'plain'     => 'No stats on this page.',
      );
      foreach ($posts as $slug => $content) {
        $id = wp_insert_post(array('post_title' => $slug, 'post_name' => $slug, 'post_status' => 'publish', 'post_author' => 1, 'post_content' => $content), true);
        if (is_wp_error($id)) { fwrite(STDERR, $id->get_error_message()); exit(1); }
      }`)
  })

  afterAll(async () => {
    await service?.stop()
    site?.clean()
  })

  it("the plugin is active and its settings page is behind manage_options and a nonce", async () => {
    expect((await php("echo is_plugin_active('guildpulse/guildpulse.php') ? 'active' : 'inactive';")).trim()).toBe("active")
    const settings = await fetch(`${site.url}/wp-admin/options-general.php?page=guildpulse`, { headers: { Cookie: site.authCookieHeader() } })
    const html = await settings.text()
    expect(settings.status).toBe(200)
    expect(html).toContain('name="_wpnonce"')
    expect(html).toContain(service.url)
    // The key is kept server-side: never printed back, not even in the form.
    expect(html).not.toContain(ADMIN_KEY)
    // A form post without a valid nonce changes nothing.
    const forged = await fetch(`${site.url}/wp-admin/admin-post.php`, {
      method: "POST",
      headers: { Cookie: site.authCookieHeader(), "Content-Type": "application/x-www-form-urlencoded" },
      body: "action=guildpulse_save&service_url=http%3A%2F%2Fevil.example&_wpnonce=forged",
      redirect: "manual"
    })
    expect(forged.status).toBe(403)
    expect((await php("echo guildpulse_settings()['service_url'];")).trim()).toBe(service.url)
    // Without manage_options (an anonymous visitor) the action is refused.
    expect((await phpJson<Array<string>>("wp_set_current_user(0); return guildpulse_admin_action('save', array('service_url' => 'http://evil.example'));"))[0]).toBe("error")
  })

  it("the shortcode, its alias, the new block and the legacy block markup each show the sandbox's numbers", async () => {
    const large = counts.get("large")
    const small = counts.get("small")
    const noWidget = counts.get("no-widget")
    const shortcode = await page("/shortcode/")
    expect(values(shortcode)).toContain(large?.online)
    expect(values(shortcode)).toContain(large?.members)
    expect(shortcode).toContain('data-theme="light"') // legacy theme radix → its nearest theme
    expect(shortcode).toContain('data-gp-stat="presence"')
    expect(shortcode).not.toContain("MTIz.secret")
    expect(shortcode).not.toContain(ADMIN_KEY)
    // The browser polls the public stats endpoint, with an absolute URL.
    expect(shortcode).toContain(`data-endpoint="${service.url}/v1/profiles/large/stats"`)

    const alias = await page("/alias/")
    expect(values(alias)).toContain(small?.online)
    expect(values(alias)).not.toContain(small?.members)

    const block = await page("/block/")
    expect(block).toMatch(/class="[^"]*wp-block-guildpulse-stats[^"]*alignwide|class="[^"]*alignwide[^"]*wp-block-guildpulse-stats/)
    expect(block).toContain('data-theme="dark"')
    expect(values(block)).toContain(small?.online)

    const legacy = await page("/legacy/")
    expect(legacy).toContain("wp-block-discord-bot-jlg-discord-stats")
    expect(legacy).toContain("old-card")
    expect(values(legacy)).toContain(noWidget?.online)
    expect(values(legacy)).toContain(noWidget?.members)

    // The classic widget renders through the same function.
    const widget = await php(
      "the_widget('GuildPulse_Stats_Widget', array('title' => 'Our Discord', 'profile' => 'small', 'show_total' => 0), array('before_title' => '<h2>', 'after_title' => '</h2>'));"
    )
    expect(widget).toContain("<h2>Our Discord</h2>")
    expect(values(widget)).toContain(small?.online)
    expect(values(widget)).not.toContain(small?.members)
    expect(pluginLogLines(site.debugLog)).toEqual([])
  })

  it("Site Health shows a GuildPulse test per profile and the health figures in its debug information", async () => {
    const health = await (await fetch(`${site.url}/wp-admin/site-health.php`, { headers: { Cookie: site.authCookieHeader() } })).text()
    const data = /var SiteHealth = (\{.*?\});\n/s.exec(health)?.[1]
    expect(data).toBeDefined()
    const direct = (JSON.parse(data ?? "{}") as { site_status: { direct: Array<{ test: string; status: string; label: string; description: string }> } }).site_status.direct
    const ours = direct.filter((t) => t.test.startsWith("guildpulse_"))
    expect(ours.map((t) => t.test)).toEqual(["guildpulse_profile_large"])
    expect(ours[0]?.label).toBe('GuildPulse profile "large" is healthy')
    expect(ours[0]?.status).toBe("good")
    expect(ours[0]?.description).toContain("Token: valid")
    expect(ours[0]?.description).toContain("Freshness: fresh")

    const debug = await (await fetch(`${site.url}/wp-admin/site-health.php?tab=debug`, { headers: { Cookie: site.authCookieHeader() } })).text()
    expect(debug).toContain("GuildPulse")
    expect(debug).toContain("large: fallback ratio")
    expect(debug).toContain("large: queued retries")
    expect(debug).toMatch(/large: bot source<\/td>\s*<td>error rate 0\.0 %/)
    expect(debug).not.toContain(ADMIN_KEY)
  })

  it("the import function turns a realistic legacy export with several profiles into GuildPulse profiles", async () => {
    const legacy = readFileSync(join(packageDir, "test/fixtures/legacy-options.json"), "utf8")
    await php(`update_option('discord_server_stats_options', json_decode(base64_decode('${Buffer.from(legacy).toString("base64")}'), true));`)
    const dry = await phpJson<{ profiles: Array<{ key: string; result: string }> }>("return guildpulse_import(true);")
    expect(dry.profiles.map((p) => p.result)).toEqual(["would create", "would create", "would create", "would create"])

    const answer = await phpJson<{ profiles: Array<{ key: string; result: string }>; needsToken: Array<string>; skipped: Array<{ from: string }> }>("return guildpulse_import(false);")
    expect(answer.profiles.map((p) => [p.key, p.result])).toEqual([["default", "created"], ["esports", "created"], ["art_club", "created"], ["radio", "created"]])
    expect(answer.needsToken).toEqual(["default", "esports"])
    expect(answer.skipped.map((s) => s.from)).toEqual(["server_profiles.broken"])
    const listed = (await (await fetch(`${service.url}/v1/profiles`, { headers: { Authorization: `Bearer ${ADMIN_KEY}` } })).json()) as { profiles: Array<{ key: string; token: { present: boolean } }> }
    expect(listed.profiles.map((p) => p.key).sort()).toEqual(["art_club", "default", "esports", "large", "no-widget", "radio", "small"])
    // The old site's encrypted tokens never left it.
    expect(listed.profiles.every((p) => p.key === "large" || p.key === "no-widget" || !p.token.present)).toBe(true)
    // The imported profiles are known to the site: a legacy server_id attribute picks its profile.
    const known = await phpJson<Record<string, { guildId: string }>>("return get_option('guildpulse_profiles');")
    expect(known["esports"]?.guildId).toBe("803456789012345678")
    expect((await php("echo guildpulse_profile_for(array('server_id' => '803456789012345678'));")).trim()).toBe("esports")
    expect((await php("echo guildpulse_profile_for(array('server_id' => '999999999999999999'));")).trim()).toBe("large")
    // Running it again keeps what exists.
    const again = await phpJson<{ profiles: Array<{ result: string }> }>("return guildpulse_import(false);")
    expect(again.profiles.map((p) => p.result)).toEqual(["exists", "exists", "exists", "exists"])
  })

  it("the status and refresh functions behind `wp guildpulse status|refresh` report and act on the service", async () => {
    const status = await phpJson<{ reachable: boolean; ready: boolean; profiles: Record<string, { status: string; token: string; freshness: string }> }>("return guildpulse_status();")
    expect(status.reachable).toBe(true)
    expect(status.profiles["large"]).toEqual(expect.objectContaining({ token: "valid", freshness: "fresh" }))
    expect(status.profiles["esports"]?.token).toBe("missing")
    expect(await phpJson<Record<string, string>>("return guildpulse_refresh('large');")).toEqual({ large: "queued" })
    expect(await phpJson<Record<string, string>>("return guildpulse_refresh('nope');")).toEqual({ nope: expect.stringContaining("HTTP 404") })
    // The CLI file loads and registers its command when WP-CLI is present.
    expect(readFileSync(join(packageDir, "dist/plugin/guildpulse/includes/cli.php"), "utf8")).toContain("WP_CLI::add_command('guildpulse'")
  })

  it("`wp guildpulse status|refresh|import` print what those functions return (WP-CLI stood in for by a minimal fake)", async () => {
    // WP-CLI cannot be installed here: a fake with the four methods the commands use loads includes/cli.php.
    const out = await php(`namespace WP_CLI\\Utils { function format_items($format, $rows, $fields) { foreach ($rows as $row) { echo implode(" | ", array_map("strval", $row)), "\\n"; } } }
      namespace {
        class WP_CLI {
          public static $commands = array();
          public static function add_command($name, $class) { self::$commands[$name] = $class; }
          public static function line($text) { echo $text, "\\n"; }
          public static function warning($text) { echo "Warning: ", $text, "\\n"; }
          public static function error($text) { echo "Error: ", $text, "\\n"; }
          public static function halt($code) { echo "exit ", $code, "\\n"; }
        }
        define("WP_CLI", true);
        require WP_PLUGIN_DIR . "/guildpulse/includes/cli.php";
        $class = WP_CLI::$commands["guildpulse"];
        $command = new $class();
        $command->status(array(), array());
        $command->refresh(array("large"));
        $command->import(array(), array("dry-run" => true));
      }`)
    expect(out).toContain(`service ${service.url}: reachable`)
    expect(out).toMatch(/^large \| ok \| valid \| fresh \| \d+$/m)
    expect(out).toContain("large: queued")
    expect(out).toContain("esports (server_profiles.esports): exists — set its bot token again") // a dry run says what exists
    expect(out).toContain("Warning: skipped server_profiles.broken")
    expect(out).not.toContain("exit 1")
  })

  it("in Chromium, the block is in the editor's inserter and its preview renders through the server", async () => {
    const browser: Browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ["--headless", "--no-sandbox", "--disable-gpu"] })
    try {
      const context = await browser.newContext()
      await context.addCookies(site.authCookies())
      const tab = await context.newPage()
      await tab.goto(`${site.url}/wp-admin/post-new.php`)
      await tab.waitForFunction(() => {
        const wp = (window as unknown as { wp?: { blocks?: { getBlockType: (n: string) => unknown } } }).wp
        return wp?.blocks?.getBlockType("guildpulse/stats") !== undefined
      })
      // Close the welcome guide if it shows, then search the inserter.
      await tab.evaluate(() => {
        const wp = (window as unknown as { wp: { data: { select: (s: string) => { isFeatureActive: (f: string) => boolean }; dispatch: (s: string) => { toggleFeature: (f: string) => void } } } }).wp
        if (wp.data.select("core/edit-post").isFeatureActive("welcomeGuide")) wp.data.dispatch("core/edit-post").toggleFeature("welcomeGuide")
      })
      await tab.getByRole("button", { name: /toggle block inserter/i }).click()
      await tab.getByPlaceholder(/search/i).first().fill("GuildPulse")
      const option = tab.getByRole("option", { name: /Discord stats \(GuildPulse\)/ })
      await option.waitFor()
      expect(await tab.getByRole("option", { name: /Discord stats \(legacy\)/ }).count()).toBe(0)
      await option.click()
      // The preview is the server's render of the card (ServerSideRender → /wp/v2/block-renderer).
      const card = tab.locator(".wp-block-guildpulse-stats guildpulse-stats [data-gp-value]").first()
      await card.waitFor()
      const shown = await tab.locator(".wp-block-guildpulse-stats [data-gp-value]").evaluateAll((nodes) => nodes.map((n) => Number(n.getAttribute("data-gp-value"))))
      // The sandbox's numbers move with each refresh (one was asked for above): compare with the service's now.
      const now = ((await (await fetch(`${service.url}/v1/profiles/large/stats`)).json()) as StatsJson).counts
      expect(shown).toContain(now.online)
      expect(shown).toContain(now.members)
      // Its inspector offers the legacy attributes.
      await tab.evaluate(() => {
        const wp = (window as unknown as { wp: { data: { dispatch: (s: string) => { openGeneralSidebar: (n: string) => void } } } }).wp
        wp.data.dispatch("core/edit-post").openGeneralSidebar("edit-post/block")
      })
      await tab.getByRole("button", { name: "Counts", exact: true }).click()
      await expect(tab.getByLabel("Show presence breakdown").count()).resolves.toBe(1)
    } finally {
      await browser.close()
    }
  })

  it("with the service stopped, pages still render the last-good numbers marked stale, without waiting on it", async () => {
    const large = counts.get("large")
    await service.stop()
    // Drop the cached cards (as when their ttl ends): the next render has to ask the stopped service.
    await php("guildpulse_flush_cache();")
    const shortcode = await page("/shortcode/")
    expect(shortcode).toContain('data-guildpulse-stale="true"')
    expect(shortcode).toContain("Last known numbers")
    expect(values(shortcode)).toContain(large?.online)
    const legacy = await page("/legacy/")
    expect(legacy).toContain('data-guildpulse-stale="true"')
    expect(values(legacy)).toContain(counts.get("no-widget")?.online)
    // A card never rendered before gets the short note, not an error.
    await php("wp_insert_post(array('post_title' => 'new', 'post_name' => 'new-card', 'post_status' => 'publish', 'post_content' => '[discord_stats profile=\"small\" theme=\"minimal\"]'));")
    const fresh = await page("/new-card/")
    expect(fresh).toContain("Discord stats are temporarily unavailable.")
    expect(pluginLogLines(site.debugLog)).toEqual([])
  })

  it("a service that accepts connections but never answers costs a page at most the timeout, once", async () => {
    const { createServer } = await import("node:net")
    const sockets: Array<import("node:net").Socket> = []
    const hole = createServer((socket) => void sockets.push(socket))
    await new Promise<void>((done) => hole.listen(0, "127.0.0.1", () => done()))
    const port = (hole.address() as { port: number }).port
    try {
      const timings = await phpJson<{ first: number; second: number; stale: boolean }>(`
        guildpulse_save_settings(array('service_url' => 'http://127.0.0.1:${port}', 'timeout' => '1'));
        guildpulse_flush_cache();
        $t = microtime(true); $html = guildpulse_render_card(array('show_presence_breakdown' => 'true', 'theme' => 'radix', 'stat_bg_color' => 'not-a-colour', 'bot_token' => 'MTIz.secret'));
        $first = microtime(true) - $t;
        $t = microtime(true); guildpulse_render_card(array('profile' => 'small'));
        return array('first' => $first, 'second' => microtime(true) - $t, 'stale' => strpos($html, 'data-guildpulse-stale="true"') !== false);`)
      expect(timings.stale).toBe(true)
      // The configured timeout (1 s) bounds the first render; the second does not ask the service again.
      expect(timings.first).toBeGreaterThanOrEqual(0.9)
      expect(timings.first).toBeLessThan(2)
      expect(timings.second).toBeLessThan(timings.first / 2)
    } finally {
      for (const socket of sockets) socket.destroy()
      await new Promise((done) => hole.close(done))
    }
  })

  it("uninstall removes the plugin's settings, caches and last-good copies, and keeps the legacy option", async () => {
    const count = async () => Number((await php("global $wpdb; echo $wpdb->get_var(\"SELECT COUNT(*) FROM $wpdb->options WHERE option_name LIKE '%guildpulse%'\");")).trim())
    const before = await count()
    expect(before).toBeGreaterThan(3)
    await php("deactivate_plugins('guildpulse/guildpulse.php'); uninstall_plugin('guildpulse/guildpulse.php');")
    const after = await count()
    expect(after).toBe(0)
    expect((await php("echo is_array(get_option('discord_server_stats_options')) ? 'kept' : 'gone';")).trim()).toBe("kept")
  })
})
