<?php
/**
 * Plugin Name: GuildPulse – Discord stats
 * Description: Live Discord server numbers from a GuildPulse service: the [discord_stats] and [guildpulse] shortcodes, a block, a classic widget, Site Health tests and WP-CLI commands. Replaces the "Discord Bot - JLG" plugin without touching your pages.
 * Version: 0.1.0
 * Requires at least: 6.1
 * Requires PHP: 7.4
 * License: MIT
 * Text Domain: guildpulse
 *
 * The plugin is deliberately thin: every decision about numbers, freshness, themes and attribute mapping is
 * taken by the GuildPulse service. PHP fetches the rendered card (with a short timeout), caches it, keeps a
 * last-good copy, and never lets a page wait more than the configured timeout (at most 2 s).
 */

if (!defined('ABSPATH')) {
    exit;
}

define('GUILDPULSE_VERSION', '0.1.0');
define('GUILDPULSE_FILE', __FILE__);
define('GUILDPULSE_DIR', __DIR__);

require_once __DIR__ . '/includes/settings.php';
require_once __DIR__ . '/includes/client.php';
require_once __DIR__ . '/includes/render.php';
require_once __DIR__ . '/includes/blocks.php';
require_once __DIR__ . '/includes/widget.php';
require_once __DIR__ . '/includes/operations.php';
require_once __DIR__ . '/includes/site-health.php';
require_once __DIR__ . '/includes/admin.php';

if (defined('WP_CLI') && WP_CLI) {
    require_once __DIR__ . '/includes/cli.php';
}
