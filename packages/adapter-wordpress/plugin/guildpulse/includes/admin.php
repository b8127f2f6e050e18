<?php
/**
 * Settings → GuildPulse: the settings form and the operation buttons (test connection, refresh, import).
 * Every action checks `manage_options` and a nonce; the API key is never printed back.
 */

if (!defined('ABSPATH')) {
    exit;
}

add_action('admin_menu', function () {
    add_options_page(__('GuildPulse', 'guildpulse'), __('GuildPulse', 'guildpulse'), 'manage_options', 'guildpulse', 'guildpulse_settings_page');
});

foreach (array('save', 'status', 'refresh', 'import') as $guildpulse_action) {
    add_action('admin_post_guildpulse_' . $guildpulse_action, 'guildpulse_handle_admin_post');
}

/** Runs one admin action; returns the notice to show. Separate from the redirect so it can be tested. */
function guildpulse_admin_action($action, array $input) {
    if (!current_user_can('manage_options')) {
        return array('error', __('You are not allowed to change GuildPulse settings.', 'guildpulse'));
    }
    switch ($action) {
        case 'save':
            $errors = guildpulse_save_settings($input);
            return empty($errors) ? array('success', __('Settings saved.', 'guildpulse')) : array('error', implode(' ', $errors));
        case 'status':
            $status = guildpulse_status();
            if (!$status['reachable']) {
                return array('error', sprintf(__('The service cannot be reached: %s', 'guildpulse'), (string) $status['error']));
            }
            $parts = array();
            foreach ($status['profiles'] as $key => $p) {
                $parts[] = sprintf('%s: %s, token %s, %s', $key, $p['status'], $p['token'], $p['freshness']);
            }
            return array('success', __('The service answers.', 'guildpulse') . ' ' . implode('; ', $parts));
        case 'refresh':
            $parts = array();
            foreach (guildpulse_refresh(isset($input['profile']) ? (string) $input['profile'] : null) as $key => $r) {
                $parts[] = $key . ': ' . $r;
            }
            return array('success', implode('; ', $parts));
        case 'import':
            $answer = guildpulse_import(!empty($input['dry_run']));
            if (is_wp_error($answer)) {
                return array('error', $answer->get_error_message());
            }
            $parts = array();
            foreach ((array) $answer['profiles'] as $p) {
                $parts[] = $p['key'] . ': ' . $p['result'];
            }
            $text = implode('; ', $parts);
            if (!empty($answer['needsToken'])) {
                $text .= ' ' . sprintf(__('Set the bot token again on the service for: %s.', 'guildpulse'), implode(', ', $answer['needsToken']));
            }
            return array('success', $text);
    }
    return array('error', __('Unknown action.', 'guildpulse'));
}

function guildpulse_handle_admin_post() {
    $action = isset($_POST['action']) ? substr(sanitize_key(wp_unslash($_POST['action'])), strlen('guildpulse_')) : '';
    if (!current_user_can('manage_options')) {
        wp_die(esc_html__('You are not allowed to change GuildPulse settings.', 'guildpulse'), 403);
    }
    check_admin_referer('guildpulse_' . $action);
    $input = array();
    foreach (array('service_url', 'public_url', 'api_key', 'default_profile', 'timeout', 'refresh_default', 'remove_api_key', 'profile', 'dry_run') as $field) {
        if (isset($_POST[$field])) {
            $input[$field] = sanitize_text_field(wp_unslash($_POST[$field]));
        }
    }
    if ($action === 'save' && !isset($input['refresh_default'])) {
        $input['refresh_default'] = '0';
    }
    $notice = guildpulse_admin_action($action, $input);
    set_transient('guildpulse_notice_' . get_current_user_id(), $notice, 60);
    wp_safe_redirect(admin_url('options-general.php?page=guildpulse'));
    exit;
}

function guildpulse_settings_page() {
    if (!current_user_can('manage_options')) {
        return;
    }
    $settings = guildpulse_settings();
    $notice   = get_transient('guildpulse_notice_' . get_current_user_id());
    delete_transient('guildpulse_notice_' . get_current_user_id());
    $post_url = admin_url('admin-post.php');
    echo '<div class="wrap"><h1>' . esc_html__('GuildPulse', 'guildpulse') . '</h1>';
    if (is_array($notice)) {
        printf('<div class="notice notice-%s"><p>%s</p></div>', $notice[0] === 'error' ? 'error' : 'success', esc_html($notice[1]));
    }
    echo '<form method="post" action="' . esc_url($post_url) . '">';
    wp_nonce_field('guildpulse_save');
    echo '<input type="hidden" name="action" value="guildpulse_save"><table class="form-table" role="presentation">';
    $row = function ($id, $label, $input, $help = '') {
        printf('<tr><th scope="row"><label for="%1$s">%2$s</label></th><td>%3$s%4$s</td></tr>', esc_attr($id), esc_html($label), $input,
            $help !== '' ? '<p class="description">' . esc_html($help) . '</p>' : '');
    };
    $row('guildpulse-service-url', __('Service URL', 'guildpulse'),
        sprintf('<input class="regular-text" type="url" id="guildpulse-service-url" name="service_url" value="%s" %s>', esc_attr($settings['service_url']), defined('GUILDPULSE_SERVICE_URL') ? 'readonly' : ''),
        __('Where WordPress reaches GuildPulse, e.g. https://stats.example.com (the server, not the browser).', 'guildpulse'));
    $stored = get_option('guildpulse_settings', array());
    $row('guildpulse-public-url', __('Public URL', 'guildpulse'),
        sprintf('<input class="regular-text" type="url" id="guildpulse-public-url" name="public_url" value="%s">', esc_attr(is_array($stored) && isset($stored['public_url']) ? $stored['public_url'] : '')),
        __('Where browsers reach GuildPulse (live refresh, stylesheet); empty: the service URL.', 'guildpulse'));
    $row('guildpulse-api-key', __('API key', 'guildpulse'),
        sprintf('<input class="regular-text" type="password" autocomplete="new-password" id="guildpulse-api-key" name="api_key" value="" placeholder="%s"> <label><input type="checkbox" name="remove_api_key" value="1"> %s</label>',
            esc_attr($settings['api_key'] !== '' ? __('(set — leave empty to keep it)', 'guildpulse') : __('(not set)', 'guildpulse')), esc_html__('remove', 'guildpulse')),
        __('A GuildPulse key (viewer role, or editor to import and refresh). Kept on the server; never sent to browsers.', 'guildpulse'));
    $row('guildpulse-default-profile', __('Default profile', 'guildpulse'),
        sprintf('<input type="text" id="guildpulse-default-profile" name="default_profile" value="%s">', esc_attr($settings['default_profile'])),
        __('Shown by [discord_stats] without a profile attribute.', 'guildpulse'));
    $row('guildpulse-timeout', __('Timeout (s)', 'guildpulse'),
        sprintf('<input type="number" step="0.1" min="0.2" max="2" id="guildpulse-timeout" name="timeout" value="%s">', esc_attr((string) $settings['timeout'])),
        __('The longest a page waits for GuildPulse (at most 2 s); then the last known numbers are shown.', 'guildpulse'));
    $row('guildpulse-refresh-default', __('Live refresh by default', 'guildpulse'),
        sprintf('<input type="checkbox" id="guildpulse-refresh-default" name="refresh_default" value="1" %s>', checked($settings['refresh_default'], true, false)));
    echo '</table>';
    submit_button(__('Save settings', 'guildpulse'));
    echo '</form>';
    foreach (array('status' => __('Test the connection', 'guildpulse'), 'refresh' => __('Refresh all profiles now', 'guildpulse'),
                   'import' => __('Import the legacy plugin\'s settings', 'guildpulse')) as $action => $label) {
        echo '<form method="post" action="' . esc_url($post_url) . '" style="display:inline-block;margin-right:1em">';
        wp_nonce_field('guildpulse_' . $action);
        printf('<input type="hidden" name="action" value="guildpulse_%s">', esc_attr($action));
        if ($action === 'import') {
            echo '<label><input type="checkbox" name="dry_run" value="1"> ' . esc_html__('dry run', 'guildpulse') . '</label> ';
        }
        submit_button($label, 'secondary', 'submit', false);
        echo '</form>';
    }
    echo '</div>';
}
