<?php
/**
 * Blocks: `guildpulse/stats` (block.json, server-side rendered, editor script with inspector controls and a
 * live preview through the block renderer), and the legacy `discord-bot-jlg/discord-stats`, registered for
 * rendering only so old posts keep working without being edited. Both take the legacy attribute names.
 */

if (!defined('ABSPATH')) {
    exit;
}

add_action('init', 'guildpulse_register_blocks');

function guildpulse_register_blocks() {
    $registry = WP_Block_Type_Registry::get_instance();
    foreach (array('stats' => 'guildpulse/stats', 'legacy' => 'discord-bot-jlg/discord-stats') as $dir => $name) {
        if ($registry->is_registered($name)) {
            $registry->unregister($name); // the legacy plugin, still active: ours renders its blocks
        }
        if (!is_file(GUILDPULSE_DIR . '/blocks/' . $dir . '/block.json')) {
            continue;
        }
        register_block_type(GUILDPULSE_DIR . '/blocks/' . $dir, array('render_callback' => 'guildpulse_render_block'));
    }
    if (wp_script_is('guildpulse-stats-editor-script', 'registered')) {
        $profiles = array();
        foreach (guildpulse_known_profiles() as $key => $info) {
            $profiles[] = array('value' => (string) $key, 'label' => isset($info['label']) ? (string) $info['label'] : (string) $key);
        }
        wp_add_inline_script(
            'guildpulse-stats-editor-script',
            'window.guildpulseEditor = ' . wp_json_encode(array('profiles' => $profiles, 'defaultProfile' => guildpulse_settings()['default_profile'])) . ';',
            'before'
        );
    }
}

function guildpulse_render_block($attributes, $content = '', $block = null) {
    $attributes = is_array($attributes) ? $attributes : array();
    $wrapper    = function_exists('get_block_wrapper_attributes') ? get_block_wrapper_attributes() : 'class="wp-block-guildpulse-stats"';
    return '<div ' . $wrapper . '>' . guildpulse_render_card($attributes) . '</div>';
}
