<?php
/**
 * The operations behind the settings page's buttons, Site Health and WP-CLI (`wp guildpulse status|refresh|
 * import`): one PHP function each, returning plain arrays (or WP_Error). The CLI and the page only format them.
 * These run in the admin, not while a visitor's page renders: they use a longer timeout (10 s).
 */

if (!defined('ABSPATH')) {
    exit;
}

const GUILDPULSE_ADMIN_TIMEOUT = 10.0;

/**
 * The service's health report (`GET /v1/health`, needs `health:read`), remembered for 30 s.
 * @return array|WP_Error
 */
function guildpulse_health($fresh = false) {
    if (!$fresh) {
        $cached = get_transient('guildpulse_health');
        if (is_array($cached)) {
            return $cached;
        }
    }
    $result = guildpulse_request('GET', '/v1/health', array('timeout' => GUILDPULSE_ADMIN_TIMEOUT));
    if (is_wp_error($result)) {
        return $result;
    }
    if ($result['status'] !== 200 && $result['status'] !== 503 || !is_array($result['json'])) {
        return new WP_Error('guildpulse_health', sprintf(__('The health API answered %s', 'guildpulse'), guildpulse_error_text($result)));
    }
    set_transient('guildpulse_health', $result['json'], 30);
    return $result['json'];
}

/**
 * Reachability, readiness and each known profile's status, token, freshness.
 * @return array
 */
function guildpulse_status() {
    $settings = guildpulse_settings();
    $out = array(
        'service_url' => $settings['service_url'],
        'api_key'     => $settings['api_key'] !== '' ? 'set' : 'missing',
        'reachable'   => false,
        'ready'       => false,
        'error'       => null,
        'profiles'    => array(),
    );
    $health = guildpulse_health(true);
    if (is_wp_error($health)) {
        $ping = guildpulse_request('GET', '/healthz', array('timeout' => GUILDPULSE_ADMIN_TIMEOUT));
        $out['reachable'] = !is_wp_error($ping) && $ping['status'] === 200;
        $out['error'] = $health->get_error_message();
    } else {
        $out['reachable'] = true;
        $out['ready'] = !empty($health['ready']);
    }
    $by_key = array();
    if (is_array($health) && isset($health['profiles']) && is_array($health['profiles'])) {
        foreach ($health['profiles'] as $p) {
            if (is_array($p) && isset($p['profile'])) {
                $by_key[(string) $p['profile']] = $p;
            }
        }
    }
    foreach (guildpulse_known_profiles() as $key => $info) {
        $p = isset($by_key[$key]) ? $by_key[$key] : null;
        $out['profiles'][$key] = array(
            'status'    => $p ? (string) $p['status'] : 'unknown',
            'token'     => $p && isset($p['token']['status']) ? (string) $p['token']['status'] : 'unknown',
            'freshness' => $p && isset($p['freshness']['state']) ? (string) $p['freshness']['state'] : 'unknown',
            'age'       => $p && isset($p['freshness']['ageSeconds']) ? $p['freshness']['ageSeconds'] : null,
            'reasons'   => $p && isset($p['reasons']) && is_array($p['reasons']) ? $p['reasons'] : array(),
        );
    }
    return $out;
}

/**
 * Asks the service to refresh a profile (or every known profile) now (`profiles:refresh`) and drops the cached cards.
 * @return array key => 'queued' | error text
 */
function guildpulse_refresh($profile = null) {
    $keys = $profile !== null && $profile !== '' ? array($profile) : array_keys(guildpulse_known_profiles());
    $out  = array();
    foreach ($keys as $key) {
        if (!guildpulse_is_profile_key($key)) {
            $out[$key] = __('not a profile key', 'guildpulse');
            continue;
        }
        $result = guildpulse_request('POST', '/v1/profiles/' . rawurlencode($key) . '/refresh', array('timeout' => GUILDPULSE_ADMIN_TIMEOUT));
        $out[$key] = !is_wp_error($result) && $result['status'] === 202 ? 'queued' : guildpulse_error_text($result);
    }
    guildpulse_flush_cache();
    return $out;
}

/**
 * Imports the legacy plugin's settings (option `discord_server_stats_options`) as GuildPulse profiles through the
 * service (`POST /v1/import/wordpress`, `profiles:write`). The old site's encrypted tokens never leave it: they
 * are replaced by a marker saying a token was set. On success the imported profiles become known to this site
 * (for `server_id` attributes and the editor) and the main one becomes the default profile if none is set.
 *
 * @param array|null $legacy the option value (default: read from the database)
 * @return array|WP_Error the service's answer: profiles (key, result, needsToken), needsToken, skipped, warnings
 */
function guildpulse_import($dry_run = false, $legacy = null) {
    if ($legacy === null) {
        $legacy = get_option('discord_server_stats_options', null);
    }
    if (!is_array($legacy)) {
        return new WP_Error('guildpulse_no_legacy', __('No legacy settings found (option discord_server_stats_options).', 'guildpulse'));
    }
    $legacy = guildpulse_mask_tokens($legacy);
    $result = guildpulse_request('POST', '/v1/import/wordpress', array(
        'query'   => $dry_run ? array('dryRun' => '1') : array(),
        'body'    => $legacy,
        'timeout' => GUILDPULSE_ADMIN_TIMEOUT,
    ));
    if (is_wp_error($result)) {
        return $result;
    }
    if ($result['status'] !== 200 || !is_array($result['json'])) {
        return new WP_Error('guildpulse_import', sprintf(__('The import was refused: %s', 'guildpulse'), guildpulse_error_text($result)));
    }
    $answer = $result['json'];
    if (!$dry_run && isset($answer['profiles']) && is_array($answer['profiles'])) {
        $known  = get_option('guildpulse_profiles', array());
        $known  = is_array($known) ? $known : array();
        $guilds = guildpulse_legacy_guilds($legacy);
        foreach ($answer['profiles'] as $p) {
            if (!is_array($p) || !isset($p['key']) || !in_array($p['result'] ?? '', array('created', 'exists'), true)) {
                continue;
            }
            $from = isset($p['from']) ? (string) $p['from'] : '';
            $known[(string) $p['key']] = array(
                'label'   => isset($guilds[$from]['label']) ? $guilds[$from]['label'] : (string) $p['key'],
                'guildId' => isset($guilds[$from]['guildId']) ? $guilds[$from]['guildId'] : '',
            );
        }
        update_option('guildpulse_profiles', $known, false);
        $settings = get_option('guildpulse_settings', array());
        $settings = is_array($settings) ? $settings : array();
        if (empty($settings['default_profile']) && !empty($answer['profiles'][0]['key'])) {
            $settings['default_profile'] = (string) $answer['profiles'][0]['key'];
            update_option('guildpulse_settings', $settings, false);
        }
        guildpulse_flush_cache();
    }
    return $answer;
}

/** Every `bot_token` value (top level and per profile) replaced by a marker: set or not, never the value. */
function guildpulse_mask_tokens(array $legacy) {
    foreach ($legacy as $name => $value) {
        if (is_string($name) && strpos($name, 'bot_token') === 0) {
            $legacy[$name] = (is_string($value) && trim($value) !== '') ? 'set' : '';
        } elseif (is_array($value)) {
            $legacy[$name] = guildpulse_mask_tokens($value);
        }
    }
    return $legacy;
}

/** `main` / `server_profiles.<key>` => label and guild id, to remember which server each imported profile shows. */
function guildpulse_legacy_guilds(array $legacy) {
    $out = array();
    if (!empty($legacy['server_id'])) {
        $out['main'] = array('label' => get_bloginfo('name'), 'guildId' => (string) $legacy['server_id']);
    }
    if (isset($legacy['server_profiles']) && is_array($legacy['server_profiles'])) {
        foreach ($legacy['server_profiles'] as $key => $p) {
            if (is_array($p)) {
                $out['server_profiles.' . $key] = array(
                    'label'   => isset($p['label']) ? (string) $p['label'] : (string) $key,
                    'guildId' => isset($p['server_id']) ? (string) $p['server_id'] : '',
                );
            }
        }
    }
    return $out;
}
