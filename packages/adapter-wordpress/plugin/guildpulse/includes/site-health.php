<?php
/**
 * Site Health: one test per known profile (service reachable, token status, freshness) and a "GuildPulse"
 * debug-information section with the figures the legacy plugin never showed — error rate and response time per
 * source, fallback ratio, queued retries — read from the service's health API (`GET /v1/health`).
 */

if (!defined('ABSPATH')) {
    exit;
}

add_filter('site_status_tests', 'guildpulse_site_status_tests');
add_filter('debug_information', 'guildpulse_debug_information');

function guildpulse_site_status_tests($tests) {
    $profiles = guildpulse_known_profiles();
    if (empty($profiles)) {
        $tests['direct']['guildpulse_configured'] = array(
            'label' => __('GuildPulse is configured', 'guildpulse'),
            'test'  => function () {
                return guildpulse_health_result('guildpulse_configured', 'recommended', __('GuildPulse has no profile yet', 'guildpulse'),
                    __('Set the service URL and a default profile in Settings → GuildPulse, or import the legacy plugin\'s settings.', 'guildpulse'));
            },
        );
        return $tests;
    }
    foreach (array_keys($profiles) as $key) {
        $id = 'guildpulse_profile_' . str_replace('-', '_', $key);
        $tests['direct'][$id] = array(
            /* translators: %s: profile key */
            'label' => sprintf(__('GuildPulse profile "%s"', 'guildpulse'), $key),
            'test'  => function () use ($key, $id) {
                return guildpulse_profile_test($key, $id);
            },
        );
    }
    return $tests;
}

function guildpulse_health_result($id, $status, $label, $description) {
    return array(
        'label'       => $label,
        'status'      => $status,
        'badge'       => array('label' => 'GuildPulse', 'color' => $status === 'good' ? 'blue' : ($status === 'critical' ? 'red' : 'orange')),
        'description' => '<p>' . esc_html($description) . '</p>',
        'actions'     => '<p><a href="' . esc_url(admin_url('options-general.php?page=guildpulse')) . '">' . esc_html__('GuildPulse settings', 'guildpulse') . '</a></p>',
        'test'        => $id,
    );
}

/** The Site Health test of one profile, from the service's health report. */
function guildpulse_profile_test($key, $id) {
    $health = guildpulse_health();
    if (is_wp_error($health)) {
        return guildpulse_health_result($id, 'critical',
            sprintf(__('GuildPulse profile "%s": the service cannot be reached', 'guildpulse'), $key),
            sprintf(__('Service: %1$s. %2$s Pages show the last known numbers, marked stale.', 'guildpulse'), guildpulse_settings()['service_url'], $health->get_error_message()));
    }
    $found = null;
    foreach ((array) ($health['profiles'] ?? array()) as $p) {
        if (is_array($p) && ($p['profile'] ?? null) === $key) {
            $found = $p;
        }
    }
    if ($found === null) {
        return guildpulse_health_result($id, 'critical', sprintf(__('GuildPulse profile "%s" does not exist on the service', 'guildpulse'), $key),
            __('Create it on the GuildPulse service (or import the legacy settings), or give this API key access to it.', 'guildpulse'));
    }
    $token     = (string) ($found['token']['status'] ?? 'unknown');
    $freshness = (string) ($found['freshness']['state'] ?? 'unknown');
    $age       = $found['freshness']['ageSeconds'] ?? null;
    $status    = (string) ($found['status'] ?? 'unknown');
    $summary   = sprintf(
        /* translators: 1: reachable, 2: token status, 3: freshness state, 4: age */
        __('Service reachable. Token: %1$s. Freshness: %2$s%3$s. Status: %4$s.', 'guildpulse'),
        $token,
        $freshness,
        $age !== null ? sprintf(__(' (%d s old)', 'guildpulse'), (int) $age) : '',
        $status . (!empty($found['reasons']) ? ' (' . implode(', ', array_map('strval', (array) $found['reasons'])) . ')' : '')
    );
    $level = $status === 'ok' ? 'good' : ($status === 'degraded' ? 'recommended' : 'critical');
    if (in_array($token, array('invalid', 'expired'), true)) {
        $level = 'critical';
    } elseif ($level === 'good' && in_array($token, array('expiring', 'missing'), true) && !empty($found['sources']) && guildpulse_uses_bot($found)) {
        $level = 'recommended';
    }
    $labels = array(
        'good'        => __('GuildPulse profile "%s" is healthy', 'guildpulse'),
        'recommended' => __('GuildPulse profile "%s" needs attention', 'guildpulse'),
        'critical'    => __('GuildPulse profile "%s" is failing', 'guildpulse'),
    );
    return guildpulse_health_result($id, $level, sprintf($labels[$level], $key), $summary);
}

function guildpulse_uses_bot(array $profile_health) {
    foreach ((array) $profile_health['sources'] as $s) {
        if (is_array($s) && ($s['source'] ?? '') === 'bot') {
            return true;
        }
    }
    return false;
}

function guildpulse_percent($ratio) {
    return $ratio === null ? __('n/a', 'guildpulse') : sprintf('%.1f %%', 100 * (float) $ratio);
}

function guildpulse_debug_information($info) {
    $settings = guildpulse_settings();
    $fields = array(
        'service_url' => array('label' => __('Service URL', 'guildpulse'), 'value' => $settings['service_url'] !== '' ? $settings['service_url'] : __('not set', 'guildpulse')),
        'api_key'     => array('label' => __('API key', 'guildpulse'), 'value' => $settings['api_key'] !== '' ? __('set', 'guildpulse') : __('not set', 'guildpulse'), 'private' => true),
        'timeout'     => array('label' => __('Page timeout', 'guildpulse'), 'value' => sprintf('%.1f s', $settings['timeout'])),
    );
    $health = guildpulse_health();
    if (is_wp_error($health)) {
        $fields['reachable'] = array('label' => __('Service reachable', 'guildpulse'), 'value' => __('no', 'guildpulse') . ' — ' . $health->get_error_message());
    } else {
        $fields['reachable'] = array('label' => __('Service reachable', 'guildpulse'), 'value' => __('yes', 'guildpulse'));
        $scheduler = (array) ($health['scheduler'] ?? array());
        $fields['queue'] = array('label' => __('Queued refresh jobs', 'guildpulse'), 'value' => (string) (int) ($scheduler['queueDepth'] ?? 0));
        foreach ((array) ($health['profiles'] ?? array()) as $p) {
            if (!is_array($p) || !isset($p['profile'])) {
                continue;
            }
            $key = (string) $p['profile'];
            $job = (array) ($p['job'] ?? array());
            $fields['profile_' . $key . '_fallback'] = array(
                'label' => sprintf(__('%s: fallback ratio', 'guildpulse'), $key),
                'value' => guildpulse_percent($p['fallbackRatio'] ?? null),
            );
            $fields['profile_' . $key . '_retries'] = array(
                'label' => sprintf(__('%s: queued retries', 'guildpulse'), $key),
                'value' => sprintf(__('%1$d consecutive failure(s), next attempt %2$s%3$s', 'guildpulse'), (int) ($job['consecutiveFailures'] ?? 0),
                    (string) ($job['nextRunAt'] ?? '-'), !empty($job['deadLettered']) ? __(' (dead-lettered)', 'guildpulse') : ''),
            );
            foreach ((array) ($p['sources'] ?? array()) as $s) {
                if (!is_array($s) || !isset($s['source'])) {
                    continue;
                }
                $w = (array) ($s['window'] ?? array());
                $fields['profile_' . $key . '_' . $s['source']] = array(
                    'label' => sprintf(__('%1$s: %2$s source', 'guildpulse'), $key, (string) $s['source']),
                    'value' => sprintf(
                        __('error rate %1$s (%2$d/%3$d calls, last hour), response time mean %7$s, p50 %4$s / p95 %5$s, circuit %6$s', 'guildpulse'),
                        guildpulse_percent($w['errorRate'] ?? null),
                        (int) ($w['errors'] ?? 0),
                        (int) ($w['requests'] ?? 0),
                        isset($w['p50Ms']) ? (int) $w['p50Ms'] . ' ms' : __('n/a', 'guildpulse'),
                        isset($w['p95Ms']) ? (int) $w['p95Ms'] . ' ms' : __('n/a', 'guildpulse'),
                        (string) ($s['circuit']['state'] ?? '?'),
                        isset($w['meanMs']) ? (int) round((float) $w['meanMs']) . ' ms' : __('n/a', 'guildpulse')
                    ),
                );
            }
        }
    }
    $info['guildpulse'] = array(
        'label'       => __('GuildPulse', 'guildpulse'),
        'description' => __('Figures from the GuildPulse service\'s health API.', 'guildpulse'),
        'fields'      => $fields,
    );
    return $info;
}
