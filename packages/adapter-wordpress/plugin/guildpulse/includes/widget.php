<?php
/** The classic widget: a title, a profile and the main display switches, rendered like the shortcode. */

if (!defined('ABSPATH')) {
    exit;
}

class GuildPulse_Stats_Widget extends WP_Widget {
    /** Widget field => shortcode attribute type. */
    const FIELDS = array(
        'profile'                    => 'profile',
        'theme'                      => 'theme',
        'layout'                     => 'layout',
        'show_online'                => 'bool',
        'show_total'                 => 'bool',
        'show_presence_breakdown'    => 'bool',
        'show_premium_subscriptions' => 'bool',
        'refresh'                    => 'bool',
    );

    public function __construct() {
        parent::__construct('guildpulse_stats', __('Discord stats (GuildPulse)', 'guildpulse'), array(
            'description' => __('Live Discord server numbers from GuildPulse.', 'guildpulse'),
        ));
    }

    public function widget($args, $instance) {
        $instance = is_array($instance) ? $instance : array();
        $atts     = array();
        foreach (self::FIELDS as $field => $type) {
            if (!isset($instance[$field]) || $instance[$field] === '') {
                continue;
            }
            $atts[$field] = $type === 'bool' ? ($instance[$field] ? 'true' : 'false') : (string) $instance[$field];
        }
        echo $args['before_widget'] ?? '';
        if (!empty($instance['title'])) {
            echo ($args['before_title'] ?? '') . esc_html(apply_filters('widget_title', $instance['title'], $instance, $this->id_base)) . ($args['after_title'] ?? '');
        }
        echo guildpulse_render_card($atts); // phpcs:ignore WordPress.Security.EscapeOutput -- the card is the service's escaped fragment
        echo $args['after_widget'] ?? '';
    }

    public function form($instance) {
        $instance = is_array($instance) ? $instance : array();
        $text = function ($field, $label) use ($instance) {
            printf(
                '<p><label for="%1$s">%2$s</label> <input class="widefat" id="%1$s" name="%3$s" type="text" value="%4$s"></p>',
                esc_attr($this->get_field_id($field)),
                esc_html($label),
                esc_attr($this->get_field_name($field)),
                esc_attr(isset($instance[$field]) ? (string) $instance[$field] : '')
            );
        };
        $text('title', __('Title', 'guildpulse'));
        $text('profile', __('Profile (empty: the default profile)', 'guildpulse'));
        $text('theme', __('Theme (empty: the profile\'s)', 'guildpulse'));
        $text('layout', __('Layout (horizontal, vertical; empty: the profile\'s)', 'guildpulse'));
        foreach (array('show_online' => __('Show online', 'guildpulse'), 'show_total' => __('Show members', 'guildpulse'),
                       'show_presence_breakdown' => __('Show presence breakdown', 'guildpulse'),
                       'show_premium_subscriptions' => __('Show boosts', 'guildpulse'), 'refresh' => __('Live refresh', 'guildpulse')) as $field => $label) {
            printf(
                '<p><input type="checkbox" id="%1$s" name="%2$s" value="1" %3$s> <label for="%1$s">%4$s</label></p>',
                esc_attr($this->get_field_id($field)),
                esc_attr($this->get_field_name($field)),
                checked(!empty($instance[$field]), true, false),
                esc_html($label)
            );
        }
        return '';
    }

    public function update($new_instance, $old_instance) {
        $clean = array('title' => sanitize_text_field($new_instance['title'] ?? ''));
        $profile = strtolower(trim((string) ($new_instance['profile'] ?? '')));
        $clean['profile'] = guildpulse_is_profile_key($profile) ? $profile : '';
        $clean['theme']   = sanitize_key($new_instance['theme'] ?? '');
        $clean['layout']  = in_array($new_instance['layout'] ?? '', array('horizontal', 'vertical'), true) ? $new_instance['layout'] : '';
        foreach (array('show_online', 'show_total', 'show_presence_breakdown', 'show_premium_subscriptions', 'refresh') as $field) {
            $clean[$field] = !empty($new_instance[$field]) ? 1 : 0;
        }
        return $clean;
    }
}

add_action('widgets_init', function () {
    register_widget('GuildPulse_Stats_Widget');
});
