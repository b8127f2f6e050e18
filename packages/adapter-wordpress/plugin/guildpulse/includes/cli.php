<?php
/**
 * `wp guildpulse status|refresh [<profile>]|import [--dry-run]`: thin wrappers over the functions the settings
 * page uses (guildpulse_status, guildpulse_refresh, guildpulse_import), which the end-to-end tests exercise.
 */

if (!defined('ABSPATH') || !class_exists('WP_CLI')) {
    return;
}

class GuildPulse_CLI_Command {
    /**
     * Shows whether the service answers and each profile's status, token and freshness.
     *
     * [--format=<format>]
     * : table or json. Default: table.
     */
    public function status($args, $assoc) {
        $status = guildpulse_status();
        if (($assoc['format'] ?? 'table') === 'json') {
            WP_CLI::line(wp_json_encode($status));
            return;
        }
        WP_CLI::line(sprintf('service %s: %s', $status['service_url'], $status['reachable'] ? 'reachable' : 'unreachable (' . $status['error'] . ')'));
        $rows = array();
        foreach ($status['profiles'] as $key => $p) {
            $rows[] = array('profile' => $key, 'status' => $p['status'], 'token' => $p['token'], 'freshness' => $p['freshness'], 'age' => $p['age']);
        }
        WP_CLI\Utils\format_items('table', $rows, array('profile', 'status', 'token', 'freshness', 'age'));
        if (!$status['reachable']) {
            WP_CLI::halt(1);
        }
    }

    /**
     * Asks the service to refresh a profile (or all known profiles) now, and drops the cached cards.
     *
     * [<profile>]
     * : A profile key. Default: every known profile.
     */
    public function refresh($args) {
        $failed = false;
        foreach (guildpulse_refresh($args[0] ?? null) as $key => $result) {
            WP_CLI::line($key . ': ' . $result);
            $failed = $failed || $result !== 'queued';
        }
        if ($failed) {
            WP_CLI::halt(1);
        }
    }

    /**
     * Imports the legacy plugin's settings (discord_server_stats_options) as GuildPulse profiles.
     *
     * [--dry-run]
     * : Show what would be created.
     */
    public function import($args, $assoc) {
        $answer = guildpulse_import(!empty($assoc['dry-run']));
        if (is_wp_error($answer)) {
            WP_CLI::error($answer->get_error_message());
        }
        foreach ((array) $answer['profiles'] as $p) {
            WP_CLI::line(sprintf('%s (%s): %s%s', $p['key'], $p['from'], $p['result'], !empty($p['needsToken']) ? ' — set its bot token again' : ''));
        }
        foreach ((array) $answer['skipped'] as $s) {
            WP_CLI::warning(sprintf('skipped %s: %s', $s['from'], $s['reason']));
        }
        foreach ((array) $answer['warnings'] as $w) {
            WP_CLI::line('note: ' . $w);
        }
    }
}

WP_CLI::add_command('guildpulse', 'GuildPulse_CLI_Command');
