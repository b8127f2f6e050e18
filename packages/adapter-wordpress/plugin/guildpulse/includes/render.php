<?php
/**
 * Rendering: `[discord_stats …]`, its `[guildpulse …]` alias, the blocks and the classic widget all end here.
 *
 * The attributes are passed as they are to the service's widget route, which knows the legacy names
 * (`show_total`, `stat_bg_color`, …), clamps sizes and refuses unreadable values by name. The card is cached
 * until the snapshot it shows expires (never longer than the profile's ttl), and a last-good copy is kept.
 * When the service cannot answer in time, the last-good copy is served marked stale (or a short
 * "temporarily unavailable" note), and the service is not asked again for 30 s: a page never waits more than
 * the timeout (≤ 2 s), and never twice in a row.
 */

if (!defined('ABSPATH')) {
    exit;
}

/** How long the plugin leaves the service alone after a failure, in seconds. */
const GUILDPULSE_BACKOFF_SECONDS = 30;

add_action('init', 'guildpulse_register_shortcodes', 20);

function guildpulse_register_shortcodes() {
    // Priority 20: if the legacy plugin is still active, its [discord_stats] is replaced by ours.
    remove_shortcode('discord_stats');
    add_shortcode('discord_stats', 'guildpulse_shortcode');
    add_shortcode('guildpulse', 'guildpulse_shortcode');
}

function guildpulse_shortcode($atts) {
    return guildpulse_render_card(is_array($atts) ? $atts : array());
}

/**
 * Attributes → query parameters for the widget route: names lower-cased (the block's className is `class`),
 * booleans as true/false, tokens and editor-only attributes dropped. Sorted, so equal cards share a cache.
 */
function guildpulse_query_from_attributes(array $atts) {
    $query = array();
    foreach ($atts as $name => $value) {
        if (!is_string($name)) {
            continue; // [discord_stats foo] without a value
        }
        $key = $name === 'className' ? 'class' : strtolower(trim($name));
        if ($key === '' || strpos($key, 'bot_token') === 0) {
            continue;
        }
        if (in_array($key, array('profile', 'server_id', 'anchor', 'style', 'lock', 'metadata', 'align_block'), true)) {
            continue;
        }
        if ($key === 'align' && in_array($value, array('wide', 'full'), true)) {
            continue; // the block's wide/full alignment is a wrapper class, not the card's text alignment
        }
        if (is_bool($value)) {
            $value = $value ? 'true' : 'false';
        } elseif (is_int($value) || is_float($value)) {
            $value = (string) $value;
        } elseif (!is_string($value)) {
            continue;
        }
        $query[$key] = $value;
    }
    ksort($query);
    return $query;
}

/** The profile a card shows: `profile`, else the configured profile of `server_id`, else the default profile. */
function guildpulse_profile_for(array $atts) {
    $profile = isset($atts['profile']) && is_string($atts['profile']) ? strtolower(trim($atts['profile'])) : '';
    if ($profile !== '' && guildpulse_is_profile_key($profile)) {
        return $profile;
    }
    if (isset($atts['server_id']) && is_scalar($atts['server_id'])) {
        $server = trim((string) $atts['server_id']);
        // Only the id of a configured profile is accepted: page markup never adds a server.
        foreach (guildpulse_known_profiles() as $key => $info) {
            if ($server !== '' && isset($info['guildId']) && (string) $info['guildId'] === $server) {
                return (string) $key;
            }
        }
    }
    $default = guildpulse_settings()['default_profile'];
    return guildpulse_is_profile_key($default) ? $default : '';
}

/** Whether the card keeps itself live in the browser (polls the public stats endpoint through embed.js). */
function guildpulse_wants_live(array $atts) {
    if (array_key_exists('refresh', $atts)) {
        $v = $atts['refresh'];
        return $v === true || (is_string($v) && in_array(strtolower(trim($v)), array('1', 'true', 'yes', 'on'), true)) || $v === 1;
    }
    return guildpulse_settings()['refresh_default'];
}

/** Renders a card; never throws, never prints a warning. */
function guildpulse_render_card(array $atts) {
    try {
        return guildpulse_render_card_unsafe($atts);
    } catch (\Throwable $e) {
        return guildpulse_unavailable_note();
    }
}

function guildpulse_render_card_unsafe(array $atts) {
    $settings = guildpulse_settings();
    $profile  = guildpulse_profile_for($atts);
    if ($profile === '' || $settings['service_url'] === '') {
        return guildpulse_unavailable_note(__('GuildPulse is not configured yet (Settings → GuildPulse).', 'guildpulse'));
    }
    $query = guildpulse_query_from_attributes($atts);
    $hash  = md5($profile . '?' . http_build_query($query));
    $cache_key = 'guildpulse_card_' . guildpulse_cache_generation() . '_' . $hash;
    $last_key  = 'guildpulse_last_' . $hash;
    $live      = guildpulse_wants_live($atts);

    $cached = get_transient($cache_key);
    if (is_string($cached) && $cached !== '') {
        return guildpulse_finish($cached, $live, false, null);
    }
    // The service failed a moment ago: do not make this page wait for it again.
    if (get_transient('guildpulse_down') !== false) {
        return guildpulse_fallback($last_key, $live);
    }

    $deadline = microtime(true) + $settings['timeout'];
    $result   = guildpulse_fetch_card($profile, $query, $settings['timeout']);
    // A 400 names the attributes the service could not read: drop them and ask once more, if time remains.
    if (!is_wp_error($result) && $result['status'] === 400 && is_array($result['json']) && !empty($result['json']['errors'])) {
        $left = $deadline - microtime(true);
        foreach ($result['json']['errors'] as $error) {
            if (is_array($error) && isset($error['field']) && is_string($error['field'])) {
                unset($query[$error['field']]);
            }
        }
        if ($left > 0.1) {
            $result = guildpulse_fetch_card($profile, $query, $left);
        }
    }
    if (is_wp_error($result) || $result['status'] >= 500 || $result['status'] === 429) {
        set_transient('guildpulse_down', 1, GUILDPULSE_BACKOFF_SECONDS);
        return guildpulse_fallback($last_key, $live);
    }
    if ($result['status'] !== 200) {
        // 404 (unknown profile), 401/403 (key), 400: a configuration problem, shown to editors only.
        $note = current_user_can('edit_posts')
            ? sprintf(/* translators: 1: profile, 2: error */ __('GuildPulse could not show profile "%1$s": %2$s', 'guildpulse'), $profile, guildpulse_error_text($result))
            : null;
        return guildpulse_unavailable_note($note);
    }
    $html = $result['body'];
    set_transient($cache_key, $html, guildpulse_ttl_of($html));
    update_option($last_key, array('html' => $html, 'at' => time()), false);
    return guildpulse_finish($html, $live, false, null);
}

function guildpulse_fetch_card($profile, array $query, $timeout) {
    return guildpulse_request('GET', '/v1/profiles/' . rawurlencode($profile) . '/widget', array('query' => $query, 'timeout' => $timeout));
}

/** Seconds until the card's snapshot expires (`data-expires` on the card), within 5 s … 1 h; 60 s if unknown. */
function guildpulse_ttl_of($html) {
    if (preg_match('/data-expires="([^"]+)"/', $html, $m)) {
        $expires = strtotime(html_entity_decode($m[1]));
        if ($expires !== false) {
            return max(5, min(HOUR_IN_SECONDS, $expires - time()));
        }
    }
    return MINUTE_IN_SECONDS;
}

function guildpulse_fallback($last_key, $live) {
    $last = get_option($last_key, null);
    if (is_array($last) && isset($last['html']) && is_string($last['html'])) {
        return guildpulse_finish($last['html'], $live, true, isset($last['at']) ? (int) $last['at'] : null);
    }
    return guildpulse_unavailable_note();
}

/** Wraps the service's fragment: stale marker, absolute polling endpoint, stylesheet and (live cards) embed.js. */
function guildpulse_finish($html, $live, $stale, $at) {
    $settings = guildpulse_settings();
    $public   = $settings['public_url'];
    // Fragments name their stats endpoint relative to the service; the browser needs it absolute.
    $origin = preg_replace('#^(https?://[^/]+).*$#', '$1', $public);
    $html   = preg_replace('/data-endpoint="\//', 'data-endpoint="' . esc_attr($origin) . '/', $html);
    wp_enqueue_style('guildpulse-widget', $public . '/widget.css', array(), GUILDPULSE_VERSION);
    if ($live) {
        wp_enqueue_script('guildpulse-embed', $public . '/embed.js', array(), GUILDPULSE_VERSION, true);
    }
    if (!$stale) {
        return '<div class="guildpulse-card">' . $html . '</div>';
    }
    $when = $at !== null ? sprintf(/* translators: %s: time */ __(' (as of %s)', 'guildpulse'), esc_html(wp_date(get_option('time_format'), $at))) : '';
    return '<div class="guildpulse-card guildpulse-card--stale" data-guildpulse-stale="true">' . $html
        . '<p class="guildpulse-stale-note" role="status">' . esc_html__('Last known numbers: live data is temporarily unavailable.', 'guildpulse') . $when . '</p></div>';
}

function guildpulse_unavailable_note($message = null) {
    $text = $message !== null ? $message : __('Discord stats are temporarily unavailable.', 'guildpulse');
    return '<div class="guildpulse-card guildpulse-card--unavailable" role="status">' . esc_html($text) . '</div>';
}
