<?php
/**
 * Uninstall: removes everything the plugin stored (settings, known profiles, cached cards, last-good copies,
 * widget instances). The legacy plugin's option is left alone, so going back stays possible.
 */

if (!defined('WP_UNINSTALL_PLUGIN')) {
    exit;
}

global $wpdb;
foreach (array('guildpulse_settings', 'guildpulse_profiles', 'guildpulse_cache_generation', 'widget_guildpulse_stats') as $option) {
    delete_option($option);
}
$wpdb->query(
    "DELETE FROM {$wpdb->options} WHERE option_name LIKE 'guildpulse\\_%' OR option_name LIKE '\\_transient\\_guildpulse\\_%' OR option_name LIKE '\\_transient\\_timeout\\_guildpulse\\_%'"
);
