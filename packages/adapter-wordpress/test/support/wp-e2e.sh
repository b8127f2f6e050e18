#!/usr/bin/env bash
# Throw-away WordPress (Debian 12 `wordpress` 6.1 package) for the GuildPulse plugin's end-to-end tests.
# No systemd, no wp-cli, no internet. Everything lives under $WP_E2E_DIR and listens on 127.0.0.1 only;
# MariaDB uses a Unix socket, no TCP port. Started by test/wordpress.e2e.test.ts; usable by hand too.
#
#   test/support/wp-e2e.sh start   # build from scratch + start (MariaDB, php -S), write $WP_E2E_DIR/env.sh
#   test/support/wp-e2e.sh stop    # stop everything started by `start` (by PID), keep files
#   test/support/wp-e2e.sh clean   # stop + rm -rf $WP_E2E_DIR
#
# Needs: wordpress php-cli php-mysql mariadb-server (Debian 12; .ci/run installs them), curl.
# Env knobs: WP_E2E_DIR (/tmp/wp-e2e)  WP_PORT (8089)
#            PLUGIN_SRC (dir of the plugin under test; copied into wp-content/plugins/ and activated)
#            WP_THEME_DIR (optional extra theme dir to copy+activate)
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"   # mariadbd lives in /usr/sbin (not in non-root PATHs)

D=${WP_E2E_DIR:-/tmp/wp-e2e}
WP_PORT=${WP_PORT:-8089}
URL="http://127.0.0.1:$WP_PORT"
ADMIN_USER=admin ADMIN_PASS=admin-pass ADMIN_EMAIL=admin@example.com
DOC=$D/wp RUN=$D/run LOG=$D/logs BIN=$D/bin
SOCK=$RUN/mysqld.sock

alive() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null) && [[ $st != Z* ]]; }  # zombies count as dead
stop_all() {
  local f pid
  for f in php mysqld; do
    [ -f "$RUN/$f.pid" ] || continue
    pid=$(cat "$RUN/$f.pid")
    if alive "$pid"; then
      # php -S with PHP_CLI_SERVER_WORKERS forks workers that SURVIVE the parent: kill children too.
      kill $(pgrep -P "$pid" 2>/dev/null) "$pid" 2>/dev/null || true
      for _ in $(seq 150); do alive "$pid" || break; sleep 0.1; done  # mariadbd: clean shutdown on TERM
    fi
    rm -f "$RUN/$f.pid"
  done
}

case "${1:-start}" in
  stop)  stop_all; exit 0 ;;
  clean) stop_all; rm -rf "$D"; exit 0 ;;
  start) ;;
  *) echo "usage: $0 start|stop|clean" >&2; exit 2 ;;
esac

t0=$EPOCHREALTIME; lap() { awk -v a="$t0" -v b="$EPOCHREALTIME" -v m="$*" 'BEGIN{printf "[%6.2fs] %s\n", b-a, m}'; }
[ -e "$D" ] && { echo "$D exists; run '$0 clean' first" >&2; exit 1; }
for p in "$WP_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "port $p busy" >&2; exit 1; fi
done
mkdir -p "$RUN" "$LOG" "$BIN" "$D/db"
trap 'echo "FAILED at line $LINENO" >&2; stop_all' ERR

# ---------- 1. private MariaDB (socket only, no TCP port) ----------
mariadb-install-db --no-defaults --datadir="$D/db" --user="$(id -un)" \
  --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve >"$LOG/install-db.log" 2>&1
mariadbd --no-defaults --datadir="$D/db" --user="$(id -un)" --socket="$SOCK" --skip-networking \
  --pid-file="$RUN/mysqld.mariadb.pid" --log-error="$LOG/mysqld.err" --skip-name-resolve \
  --innodb-buffer-pool-size=64M >"$LOG/mysqld.out" 2>&1 &
echo $! >"$RUN/mysqld.pid"
for _ in $(seq 100); do mariadb-admin --no-defaults --socket="$SOCK" -uroot ping >/dev/null 2>&1 && break; sleep 0.1; done
mariadb-admin --no-defaults --socket="$SOCK" -uroot ping >/dev/null || { tail "$LOG/mysqld.out" "$LOG/mysqld.err" >&2; false; }
mariadb --no-defaults --socket="$SOCK" -uroot -e "
  CREATE DATABASE wordpress CHARACTER SET utf8mb4;
  CREATE USER 'wp'@'localhost' IDENTIFIED BY 'wp';
  GRANT ALL ON wordpress.* TO 'wp'@'localhost';"
lap "mariadb up ($SOCK)"

# ---------- 2. docroot: plain copy of the Debian tree (symlinks resolved) + normal wp-config.php ----------
cp -rL /usr/share/wordpress "$DOC"          # 58 MB, 0.3-2 s; -L: Debian symlinks js/ID3/ca-bundle into other pkgs
rm -f "$DOC/wp-config.php" "$DOC/.htaccess" # replace Debian's /etc/wordpress/config-<host>.php indirection
salt() { head -c 30 /dev/urandom | base64 | tr -d '\n/+='; }
cat >"$DOC/wp-config.php" <<EOF
<?php
define('DB_NAME', 'wordpress');
define('DB_USER', 'wp');
define('DB_PASSWORD', 'wp');
define('DB_HOST', 'localhost:$SOCK');   // host:socket-path
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
define('AUTH_KEY', '$(salt)');         define('SECURE_AUTH_KEY', '$(salt)');
define('LOGGED_IN_KEY', '$(salt)');    define('NONCE_KEY', '$(salt)');
define('AUTH_SALT', '$(salt)');        define('SECURE_AUTH_SALT', '$(salt)');
define('LOGGED_IN_SALT', '$(salt)');   define('NONCE_SALT', '$(salt)');
\$table_prefix = 'wp_';
define('WP_HOME', '$URL');
define('WP_SITEURL', '$URL');
define('WP_ENVIRONMENT_TYPE', 'local');     // also enables application passwords over plain http
define('WP_DEBUG', true);
define('WP_DEBUG_LOG', '$LOG/wp-debug.log');
define('WP_DEBUG_DISPLAY', false);          // WP 6.1 on PHP 8.2 emits deprecations; never print them into pages/JSON
define('WP_HTTP_BLOCK_EXTERNAL', true);     // no calls to wordpress.org; 'localhost' + the site's own host stay allowed
// define('WP_ACCESSIBLE_HOSTS', 'mock.example');  // whitelist more hosts if needed
define('AUTOMATIC_UPDATER_DISABLED', true);
define('DISABLE_WP_CRON', true);            // no self-requests to wp-cron.php
define('FS_METHOD', 'direct');
if (!defined('ABSPATH')) define('ABSPATH', __DIR__ . '/');
require_once ABSPATH . 'wp-settings.php';
EOF

# router for `php -S`: existing files as-is, /dir -> /dir/, everything else -> index.php (pretty permalinks, /wp-json/)
cat >"$BIN/router.php" <<'EOF'
<?php
$root = $_SERVER['DOCUMENT_ROOT'];
$path = rawurldecode(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH) ?? '/');
$file = $root . $path;
if ($path !== '/' && is_dir($file)) {
    if (substr($path, -1) !== '/') {
        $qs = ($_SERVER['QUERY_STRING'] ?? '') !== '' ? '?' . $_SERVER['QUERY_STRING'] : '';
        header('Location: ' . $path . '/' . $qs, true, 301);
        return true;
    }
    if (is_file($file . 'index.php')) return false;
}
if (is_file($file)) return false;
$_SERVER['SCRIPT_NAME'] = $_SERVER['PHP_SELF'] = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = $root . '/index.php';
chdir($root);
require $root . '/index.php';
EOF

# wp-eval.php: tiny wp-cli substitute.  php wp-eval.php DOCROOT 'code'  (or '-' = stdin); runs as user 1
cat >"$BIN/wp-eval.php" <<'EOF'
<?php
[$_, $docroot, $code] = $argv + [null, null, null];
if (!$docroot || $code === null) { fwrite(STDERR, "usage: php wp-eval.php DOCROOT CODE|-\n"); exit(2); }
if ($code === '-') $code = stream_get_contents(STDIN);
$u = parse_url(getenv('WP_URL') ?: 'http://127.0.0.1/');
$_SERVER['HTTP_HOST']   = $u['host'] . (isset($u['port']) ? ':' . $u['port'] : '');
$_SERVER['SERVER_NAME'] = $u['host'];
$_SERVER['SERVER_PORT'] = $u['port'] ?? 80;
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['REQUEST_METHOD'] = 'GET';
if (getenv('WP_INSTALLING')) define('WP_INSTALLING', true);
require $docroot . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/admin.php';
if (!defined('WP_INSTALLING')) wp_set_current_user(1);
eval($code);
EOF

# test-only mu-plugin: let wp_safe_remote_*() reach loopback mock servers on any port
mkdir -p "$DOC/wp-content/mu-plugins"
cat >"$DOC/wp-content/mu-plugins/e2e-loopback-http.php" <<'EOF'
<?php
add_filter('http_request_host_is_external', function ($ext, $host) {
    return $ext || in_array($host, array('127.0.0.1', 'localhost'), true);
}, 10, 2);
add_filter('http_allowed_safe_ports', function ($ports, $host, $url) {
    if (in_array($host, array('127.0.0.1', 'localhost'), true)) $ports[] = (int) parse_url($url, PHP_URL_PORT);
    return $ports;
}, 10, 3);
remove_action('wp_head', 'print_emoji_detection_script', 7);  // avoid browser fetches to s.w.org
// no update checks against api.wordpress.org (blocked anyway; avoids warnings in wp-debug.log)
foreach (array('_maybe_update_core', '_maybe_update_plugins', '_maybe_update_themes') as $f) remove_action('admin_init', $f);
foreach (array('load-plugins.php', 'load-update.php', 'load-update-core.php') as $h) remove_action($h, 'wp_update_plugins');
foreach (array('load-themes.php', 'load-update.php', 'load-update-core.php') as $h) remove_action($h, 'wp_update_themes');
remove_action('init', 'wp_schedule_update_checks');
EOF

# minimal classic theme (the Debian package ships NO theme: twenty* are separate, Recommends-only packages)
mkdir -p "$DOC/wp-content/themes/e2e-minimal"
printf '/*\nTheme Name: E2E Minimal\n*/\n' >"$DOC/wp-content/themes/e2e-minimal/style.css"
printf '<?php\nadd_theme_support("title-tag");\n' >"$DOC/wp-content/themes/e2e-minimal/functions.php"
cat >"$DOC/wp-content/themes/e2e-minimal/index.php" <<'EOF'
<!DOCTYPE html><html <?php language_attributes(); ?>><head><meta charset="<?php bloginfo('charset'); ?>"><?php wp_head(); ?></head>
<body <?php body_class(); ?>><?php wp_body_open(); ?><main id="main">
<?php if (have_posts()) : while (have_posts()) : the_post(); ?>
<article id="post-<?php the_ID(); ?>" <?php post_class(); ?>>
<h1 class="entry-title"><?php is_singular() ? the_title() : the_title('<a href="' . esc_url(get_permalink()) . '">', '</a>'); ?></h1>
<div class="entry-content"><?php the_content(); ?></div></article>
<?php endwhile; else : ?><p>Nothing found.</p><?php endif; ?>
</main><?php wp_footer(); ?></body></html>
EOF
THEME=e2e-minimal
if [ -n "${WP_THEME_DIR:-}" ]; then cp -rL "$WP_THEME_DIR" "$DOC/wp-content/themes/"; THEME=$(basename "$WP_THEME_DIR"); fi

PLUGINS=""
if [ -n "${PLUGIN_SRC:-}" ]; then
  cp -r "$PLUGIN_SRC" "$DOC/wp-content/plugins/"
  PLUGIN_SLUG=$(basename "$PLUGIN_SRC")
  PLUGIN_MAIN=$(cd "$DOC/wp-content/plugins/$PLUGIN_SLUG" && grep -l 'Plugin Name:' ./*.php | head -1 | sed 's#^\./##')
  PLUGINS="$PLUGIN_SLUG/$PLUGIN_MAIN"
fi
lap "docroot ready ($DOC)"

# ---------- 3. install (before the web server is up: no loopback requests during install) ----------
export WP_URL=$URL
WP_INSTALLING=1 php "$BIN/wp-eval.php" "$DOC" "
  if (is_blog_installed()) { echo \"already installed\n\"; return; }
  function wp_new_blog_notification() {}   // pluggable; avoids 'sendmail: not found'
  require_once ABSPATH . 'wp-admin/includes/upgrade.php';
  \$r = wp_install('E2E Test', '$ADMIN_USER', '$ADMIN_EMAIL', true, '', wp_slash('$ADMIN_PASS'));
  echo 'installed, admin id ', \$r['user_id'], \"\n\";"
lap "wp_install done"

# ---------- 4. configure: theme, plugins, permalinks, content, app password ----------
APP_PASS=$(php "$BIN/wp-eval.php" "$DOC" "
  switch_theme('$THEME');
  foreach (array_filter(explode(' ', '$PLUGINS')) as \$p) {
      \$r = activate_plugin(\$p);
      if (is_wp_error(\$r)) { fwrite(STDERR, \"activate \$p: \" . \$r->get_error_message() . \"\n\"); exit(1); }
  }
  global \$wp_rewrite; \$wp_rewrite->set_permalink_structure('/%postname%/'); flush_rewrite_rules(true);
  update_option('show_avatars', 0);          // no gravatar.com requests from the browser
  \$id = wp_insert_post(array('post_title' => 'Hello E2E', 'post_name' => 'hello-e2e', 'post_status' => 'publish',
                             'post_author' => 1, 'post_content' => 'Hello from the e2e site.'), true);
  if (is_wp_error(\$id)) { fwrite(STDERR, \$id->get_error_message()); exit(1); }
  [\$pw] = WP_Application_Passwords::create_new_application_password(1, array('name' => 'e2e'));
  // ready-made admin session for headless browsers (Playwright context.addCookies format), valid 1 day
  \$exp = time() + DAY_IN_SECONDS; \$host = parse_url(home_url(), PHP_URL_HOST);
  \$a = wp_generate_auth_cookie(1, \$exp, 'auth'); \$l = wp_generate_auth_cookie(1, \$exp, 'logged_in');
  \$c = array();
  foreach (array(array(AUTH_COOKIE, \$a, ADMIN_COOKIE_PATH), array(AUTH_COOKIE, \$a, PLUGINS_COOKIE_PATH),
                 array(LOGGED_IN_COOKIE, \$l, COOKIEPATH)) as [\$n, \$v, \$path])
      \$c[] = array('name' => \$n, 'value' => \$v, 'domain' => \$host, 'path' => \$path, 'expires' => \$exp,
                   'httpOnly' => true, 'secure' => false, 'sameSite' => 'Lax');
  file_put_contents('$D/auth-cookies.json', json_encode(\$c, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES));
  file_put_contents('$D/auth-cookie-header.txt', AUTH_COOKIE . '=' . \$a . '; ' . LOGGED_IN_COOKIE . '=' . \$l);
  echo \$pw;")
lap "configured (theme $THEME, plugins: $PLUGINS)"

# ---------- 5. servers ----------
PHP_CLI_SERVER_WORKERS=4 php -S "127.0.0.1:$WP_PORT" -t "$DOC" "$BIN/router.php" >"$LOG/php-server.log" 2>&1 &
echo $! >"$RUN/php.pid"
for _ in $(seq 100); do
  curl -sf -o /dev/null "$URL/wp-login.php" && break; sleep 0.1
done
lap "server up: $URL (pid $(cat "$RUN/php.pid"))"

# ---------- 6. smoke checks ----------
page=$(curl -sf "$URL/hello-e2e/");                                         grep -q "Hello from the e2e site" <<<"$page"
out=$(curl -sf "$URL/wp-json/");                                            grep -q '"namespaces"' <<<"$out"
out=$(curl -sf -u "$ADMIN_USER:$APP_PASS" "$URL/wp-json/wp/v2/users/me");   grep -q '"id":1' <<<"$out"
rm -f "$D/cookies.txt"
curl -s -o /dev/null -c "$D/cookies.txt" --data-urlencode "log=$ADMIN_USER" --data-urlencode "pwd=$ADMIN_PASS" "$URL/wp-login.php"
out=$(curl -sf -b "$D/cookies.txt" "$URL/wp-admin/plugins.php");            grep -q 'Plugins' <<<"$out"
out=$(curl -sf -H "Cookie: $(cat "$D/auth-cookie-header.txt")" "$URL/wp-admin/"); grep -q 'Dashboard' <<<"$out"
lap "smoke checks passed (post page, /wp-json/, app-password REST, wp-login, minted cookies)"
trap - ERR

cat >"$D/env.sh" <<EOF
export WP_URL=$URL WP_ADMIN_USER=$ADMIN_USER WP_ADMIN_PASS=$ADMIN_PASS WP_APP_PASS='$APP_PASS'
export WP_DOCROOT=$DOC WP_EVAL="php $BIN/wp-eval.php $DOC" WP_DEBUG_LOG=$LOG/wp-debug.log
export WP_DB_SOCKET=$SOCK WP_AUTH_COOKIES=$D/auth-cookies.json WP_AUTH_COOKIE_HEADER=$D/auth-cookie-header.txt
EOF
echo "ready: source $D/env.sh ; stop with: $0 stop (or clean)"
