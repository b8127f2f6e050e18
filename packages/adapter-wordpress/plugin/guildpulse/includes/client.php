<?php
/**
 * The one HTTP client of the plugin: requests to the GuildPulse service with a bounded timeout, the API key
 * in an Authorization header (server-side only), no redirects followed. Never throws, never warns.
 */

if (!defined('ABSPATH')) {
    exit;
}

/**
 * @param string $method  GET|POST|PUT
 * @param string $path    '/v1/…', appended to the service URL
 * @param array  $options 'query' => array, 'body' => mixed (JSON-encoded), 'timeout' => seconds (≤ 2 for pages)
 * @return array|WP_Error array('status' => int, 'body' => string, 'json' => mixed|null, 'ms' => float)
 */
function guildpulse_request($method, $path, array $options = array()) {
    $settings = guildpulse_settings();
    if ($settings['service_url'] === '') {
        return new WP_Error('guildpulse_not_configured', __('The GuildPulse service URL is not set (Settings → GuildPulse).', 'guildpulse'));
    }
    $url = $settings['service_url'] . $path;
    if (!empty($options['query'])) {
        $url .= (strpos($url, '?') === false ? '?' : '&') . http_build_query($options['query'], '', '&', PHP_QUERY_RFC3986);
    }
    $headers = array('Accept' => 'application/json, text/html;q=0.9');
    if ($settings['api_key'] !== '') {
        $headers['Authorization'] = 'Bearer ' . $settings['api_key'];
    }
    $args = array(
        'method'      => $method,
        'timeout'     => isset($options['timeout']) ? (float) $options['timeout'] : $settings['timeout'],
        'redirection' => 0,
        'headers'     => $headers,
        'user-agent'  => 'GuildPulse-WordPress/' . GUILDPULSE_VERSION,
    );
    if (array_key_exists('body', $options)) {
        $args['headers']['Content-Type'] = 'application/json';
        $args['body'] = wp_json_encode($options['body']);
    }
    $started  = microtime(true);
    $response = wp_remote_request($url, $args);
    $ms       = (microtime(true) - $started) * 1000;
    if (is_wp_error($response)) {
        return $response;
    }
    $body = (string) wp_remote_retrieve_body($response);
    $json = null;
    $type = (string) wp_remote_retrieve_header($response, 'content-type');
    if (stripos($type, 'json') !== false && $body !== '') {
        $decoded = json_decode($body, true);
        $json    = is_array($decoded) ? $decoded : null;
    }
    return array(
        'status' => (int) wp_remote_retrieve_response_code($response),
        'body'   => $body,
        'json'   => $json,
        'ms'     => $ms,
    );
}

/** A short, safe message for a failed request (never the key, never a response body). */
function guildpulse_error_text($result) {
    if (is_wp_error($result)) {
        return $result->get_error_message();
    }
    $detail = is_array($result['json']) && isset($result['json']['detail']) ? (string) $result['json']['detail'] : '';
    return trim(sprintf('HTTP %d %s', $result['status'], $detail));
}

/** Cached cards use a generation number in their key: bumping it drops every cached card at once. */
function guildpulse_cache_generation() {
    return (int) get_option('guildpulse_cache_generation', 1);
}

function guildpulse_flush_cache() {
    update_option('guildpulse_cache_generation', guildpulse_cache_generation() + 1, true);
    delete_transient('guildpulse_down');
}
