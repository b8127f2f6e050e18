<?php
/**
 * Settings: where the GuildPulse service is, the API key (server-side only), the default profile and the
 * timeout. Stored in the `guildpulse_settings` option; `GUILDPULSE_API_KEY` / `GUILDPULSE_SERVICE_URL`
 * constants in wp-config.php win over the stored values (keeps the key out of the database if you prefer).
 */

if (!defined('ABSPATH')) {
    exit;
}

/** Hard ceiling of any request made while a page renders, in seconds. */
const GUILDPULSE_MAX_TIMEOUT = 2.0;

/** Profile keys: lower case, url-safe, 1–64 characters (the service's rule). */
const GUILDPULSE_PROFILE_PATTERN = '/^[a-z0-9][a-z0-9_-]{0,63}$/';

function guildpulse_default_settings() {
    return array(
        'service_url'     => '',
        'public_url'      => '',
        'api_key'         => '',
        'default_profile' => '',
        'timeout'         => 1.5,
        'refresh_default' => false,
    );
}

/** The settings, with defaults and constants applied. */
function guildpulse_settings() {
    $stored   = get_option('guildpulse_settings', array());
    $settings = array_merge(guildpulse_default_settings(), is_array($stored) ? $stored : array());
    if (defined('GUILDPULSE_SERVICE_URL')) {
        $settings['service_url'] = (string) GUILDPULSE_SERVICE_URL;
    }
    if (defined('GUILDPULSE_API_KEY')) {
        $settings['api_key'] = (string) GUILDPULSE_API_KEY;
    }
    $settings['service_url'] = untrailingslashit((string) $settings['service_url']);
    $settings['public_url']  = untrailingslashit((string) ($settings['public_url'] !== '' ? $settings['public_url'] : $settings['service_url']));
    $settings['timeout']     = guildpulse_clamp_timeout($settings['timeout']);
    $settings['refresh_default'] = (bool) $settings['refresh_default'];
    return $settings;
}

function guildpulse_clamp_timeout($value) {
    $t = is_numeric($value) ? (float) $value : 1.5;
    return max(0.2, min(GUILDPULSE_MAX_TIMEOUT, $t));
}

function guildpulse_is_profile_key($key) {
    return is_string($key) && preg_match(GUILDPULSE_PROFILE_PATTERN, $key) === 1;
}

/**
 * Validates and saves settings from an array of submitted values. An empty api_key keeps the stored one
 * (the form never shows it); `remove_api_key` clears it. Returns the list of problems (empty when saved).
 */
function guildpulse_save_settings(array $input) {
    $current  = get_option('guildpulse_settings', array());
    $current  = array_merge(guildpulse_default_settings(), is_array($current) ? $current : array());
    $errors   = array();
    $next     = $current;

    foreach (array('service_url', 'public_url') as $field) {
        if (!array_key_exists($field, $input)) {
            continue;
        }
        $url = trim((string) $input[$field]);
        if ($url !== '' && !preg_match('#^https?://[^\s"\'<>]+$#i', $url)) {
            /* translators: %s: field name */
            $errors[] = sprintf(__('%s must be an http(s) URL.', 'guildpulse'), $field);
            continue;
        }
        $next[$field] = untrailingslashit(esc_url_raw($url));
    }
    if (array_key_exists('default_profile', $input)) {
        $profile = strtolower(trim((string) $input['default_profile']));
        if ($profile !== '' && !guildpulse_is_profile_key($profile)) {
            $errors[] = __('default_profile must be a profile key (lower case letters, digits, - and _).', 'guildpulse');
        } else {
            $next['default_profile'] = $profile;
        }
    }
    if (array_key_exists('timeout', $input)) {
        if (!is_numeric($input['timeout'])) {
            $errors[] = __('timeout must be a number of seconds (0.2 to 2).', 'guildpulse');
        } else {
            $next['timeout'] = guildpulse_clamp_timeout($input['timeout']);
        }
    }
    if (array_key_exists('refresh_default', $input)) {
        $next['refresh_default'] = !empty($input['refresh_default']) && $input['refresh_default'] !== '0';
    }
    if (!empty($input['remove_api_key'])) {
        $next['api_key'] = '';
    } elseif (isset($input['api_key']) && trim((string) $input['api_key']) !== '') {
        $key = trim((string) $input['api_key']);
        if (!preg_match('/^[\x21-\x7e]{16,256}$/', $key)) {
            $errors[] = __('The API key looks wrong (16 to 256 printable characters, no spaces).', 'guildpulse');
        } else {
            $next['api_key'] = $key;
        }
    }
    if (empty($errors)) {
        update_option('guildpulse_settings', $next, false);
        guildpulse_flush_cache();
    }
    return $errors;
}

/** The profiles this site knows (imported or configured): key => array('label' => …, 'guildId' => …). */
function guildpulse_known_profiles() {
    $profiles = get_option('guildpulse_profiles', array());
    $profiles = is_array($profiles) ? $profiles : array();
    $default  = guildpulse_settings()['default_profile'];
    if ($default !== '' && !isset($profiles[$default])) {
        $profiles = array($default => array('label' => $default, 'guildId' => '')) + $profiles;
    }
    return $profiles;
}
