/**
 * The console's markup: escaping, the page layout (navigation by what the key may do), the stylesheet (light
 * and dark from `prefers-color-scheme`, responsive down to 375 px) and the small client script (live updates
 * over server-sent events, copy buttons, the embed preview). Every page reads fine without the script.
 */

const entities: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }

/** Escapes text for HTML content and quoted attribute values. */
export const esc = (value: unknown): string => String(value ?? "").replace(/[&<>"']/g, (c) => entities[c]!)

export interface Nav {
  readonly base: string
  readonly subject: string
  readonly csrf: string
  readonly items: ReadonlyArray<{ readonly href: string; readonly label: string; readonly current: boolean }>
}

export interface PageInput {
  readonly title: string
  readonly nav?: Nav | undefined
  readonly body: string
  /** URL of the page's server-sent events stream (the script connects when it runs). */
  readonly live?: string | undefined
  readonly scripts?: ReadonlyArray<string>
  readonly styles?: ReadonlyArray<string>
}

export const layout = (base: string, page: PageInput): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="same-origin">
<title>${esc(page.title)} · GuildPulse console</title>
${(page.styles ?? []).map((href) => `<link rel="stylesheet" href="${esc(href)}">`).join("\n")}
<link rel="stylesheet" href="${esc(base)}/assets/console.css">
${(page.scripts ?? []).map((src) => `<script src="${esc(src)}" defer></script>`).join("\n")}
<script src="${esc(base)}/assets/console.js" defer></script>
</head>
<body${page.live !== undefined ? ` data-live="${esc(page.live)}"` : ""}>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<span class="brand">GuildPulse console</span>
${page.nav !== undefined ? navHtml(page.nav) : ""}
</header>
<main id="main" tabindex="-1">
<h1>${esc(page.title)}</h1>
${page.body}
</main>
</body>
</html>`

const navHtml = (nav: Nav) => `<nav aria-label="Console">
<ul>
${nav.items.map((item) => `<li><a href="${esc(item.href)}"${item.current ? ' aria-current="page"' : ""}>${esc(item.label)}</a></li>`).join("\n")}
</ul>
</nav>
<form class="signout" method="post" action="${esc(nav.base)}/logout">
<input type="hidden" name="csrf" value="${esc(nav.csrf)}">
<span class="who">Signed in as <code>${esc(nav.subject)}</code></span>
<button type="submit">Sign out</button>
</form>`

export const csrfField = (csrf: string) => `<input type="hidden" name="csrf" value="${esc(csrf)}">`

/** A notice region; `role=alert` for errors. */
export const notice = (kind: "ok" | "error" | "info", text: string) =>
  `<p class="notice ${kind}" role="${kind === "error" ? "alert" : "status"}">${esc(text)}</p>`

export const css = `
:root{--bg:#fff;--fg:#1b1e24;--muted:#4d5562;--line:#d5d9e0;--panel:#f5f7fa;--accent:#3b45c4;--ok:#176b32;--okbg:#e3f4e8;--warn:#7a4b00;--warnbg:#fff1d6;--bad:#a8141d;--badbg:#fde4e4;--focus:#b3540c;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#15171c;--fg:#eceef2;--muted:#b6bcc7;--line:#3a3f4a;--panel:#1e2128;--accent:#a9b0ff;--ok:#7fe0a0;--okbg:#173222;--warn:#ffd27a;--warnbg:#3a2c0c;--bad:#ffaaa8;--badbg:#421a1c;--focus:#ffb26b}}
*{box-sizing:border-box}
html{font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg)}
body{margin:0}
a{color:var(--accent)}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:var(--bg);padding:.5rem}
.skip:focus{left:.5rem;z-index:9}
.top{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;padding:.6rem 1rem;border-bottom:1px solid var(--line);background:var(--panel)}
.brand{font-weight:700}
nav ul{display:flex;flex-wrap:wrap;gap:.25rem .9rem;list-style:none;margin:0;padding:0}
nav a[aria-current=page]{font-weight:700;text-decoration-thickness:3px}
.signout{margin-left:auto;display:flex;gap:.5rem;align-items:center;flex-wrap:wrap}
.who{color:var(--muted);font-size:.9rem}
main{padding:1rem;max-width:1400px;margin:0 auto}
h1{font-size:1.5rem;margin:.2rem 0 1rem}
h2{font-size:1.2rem;margin:1.5rem 0 .6rem}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--panel)}
.scroll{overflow-x:auto;max-width:100%;position:relative}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:1rem;font-weight:600;font-size:.85rem;border:1px solid currentColor}
.s-ok{color:var(--ok);background:var(--okbg)}
.s-degraded{color:var(--warn);background:var(--warnbg)}
.s-down{color:var(--bad);background:var(--badbg)}
.summary{display:grid;grid-template-columns:repeat(auto-fit,minmax(10rem,1fr));gap:.6rem;margin:0 0 1rem;padding:0}
.summary div{background:var(--panel);border:1px solid var(--line);border-radius:.4rem;padding:.5rem .7rem}
.summary dt{color:var(--muted);font-size:.85rem}
.summary dd{margin:0;font-weight:700;font-size:1.1rem}
.muted{color:var(--muted)}
.notice{padding:.6rem .8rem;border-radius:.4rem;border:1px solid var(--line);background:var(--panel)}
.notice.error{border-color:var(--bad);color:var(--bad);background:var(--badbg)}
.notice.ok{border-color:var(--ok);color:var(--ok);background:var(--okbg)}
form.stack{display:grid;gap:.8rem;max-width:40rem}
.field{display:grid;gap:.25rem}
.field label,.field legend{font-weight:600}
.field .hint{color:var(--muted);font-size:.85rem}
.field .error{color:var(--bad);font-weight:600;font-size:.9rem}
input,select,textarea,button{font:inherit;color:inherit}
input[type=text],input[type=password],input[type=search],input[type=number],input[type=datetime-local],select,textarea{width:100%;padding:.45rem .55rem;border:1px solid var(--muted);border-radius:.3rem;background:var(--bg)}
input[aria-invalid=true],textarea[aria-invalid=true]{border-color:var(--bad);border-width:2px}
textarea{min-height:12rem;font-family:ui-monospace,monospace;font-size:.85rem}
button{padding:.4rem .9rem;border-radius:.3rem;border:1px solid var(--accent);background:var(--accent);color:var(--bg);font-weight:600;cursor:pointer}
button.secondary{background:transparent;color:var(--accent)}
button.danger{background:var(--bad);border-color:var(--bad);color:var(--bg)}
fieldset{border:1px solid var(--line);border-radius:.4rem;padding:.6rem .8rem}
.checks{display:flex;flex-wrap:wrap;gap:.4rem 1.2rem}
.inline{display:inline}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(18rem,100%),1fr));gap:1rem}
figure{margin:0;min-width:0}
figcaption{font-weight:600;margin:.3rem 0}
pre.snippet{white-space:pre-wrap;word-break:break-all;background:var(--panel);border:1px solid var(--line);padding:.6rem;border-radius:.3rem;font-size:.82rem;margin:.3rem 0}
.preview{border:1px solid var(--line);border-radius:.4rem;width:100%;height:220px;background:#fff}
.events{list-style:none;padding:0;margin:0;max-height:28rem;overflow:auto;border:1px solid var(--line);border-radius:.4rem}
.events li{padding:.35rem .6rem;border-bottom:1px solid var(--line);font-size:.88rem}
.lvl-warn,.lvl-error{font-weight:600}
code{font-family:ui-monospace,monospace;font-size:.9em}
.chart{width:100%;max-width:100%;min-height:240px;overflow:hidden}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
table.heatmap{font-size:.75rem}
table.heatmap td,table.heatmap th{padding:.2rem;text-align:center}
.hm-none{background:transparent}
.hm-0{background:#eef1ff;color:#1b1e24}.hm-1{background:#c9d0ff;color:#1b1e24}.hm-2{background:#8f9bf5;color:#0b0d12}.hm-3{background:#4b57d6;color:#fff}.hm-4{background:#242c93;color:#fff}
.u-legend{display:none}
@media (max-width:600px){main{padding:.6rem}.signout{margin-left:0}th,td{padding:.3rem}h1{font-size:1.25rem}}
`

export const clientScript = `(() => {
  "use strict";
  const body = document.body;
  const live = body.getAttribute("data-live");
  const status = document.getElementById("live-status");
  const say = (text) => { if (status) status.textContent = text; };
  if (live && "EventSource" in window) {
    const source = new EventSource(live);
    source.addEventListener("open", () => { body.setAttribute("data-live-state", "open"); say("Live updates on."); });
    source.addEventListener("error", () => { body.setAttribute("data-live-state", "retrying"); say("Live updates interrupted; reconnecting…"); });
    source.addEventListener("replace", (e) => {
      const data = JSON.parse(e.data);
      for (const [id, html] of Object.entries(data)) {
        const el = document.getElementById(id);
        if (el) el.innerHTML = html;
      }
      body.setAttribute("data-live-updates", String(Number(body.getAttribute("data-live-updates") || "0") + 1));
    });
    source.addEventListener("prepend", (e) => {
      const data = JSON.parse(e.data);
      for (const [id, html] of Object.entries(data)) {
        const el = document.getElementById(id);
        if (el) el.insertAdjacentHTML("afterbegin", html);
      }
    });
    source.addEventListener("signedout", () => { source.close(); window.location.reload(); });
    // A form sent from this page (sign-out included) ends the stream first: its end must not race the navigation.
    document.addEventListener("submit", () => source.close());
    window.addEventListener("pagehide", () => source.close());
  }
  const bindCopy = (root) => {
    for (const button of root.querySelectorAll("button[data-copy]")) {
      button.hidden = false;
      button.addEventListener("click", async () => {
        const target = document.getElementById(button.getAttribute("data-copy"));
        const out = document.getElementById(button.getAttribute("aria-describedby") || "");
        try {
          await navigator.clipboard.writeText(target ? target.textContent : "");
          if (out) out.textContent = "Copied.";
        } catch (_) {
          if (out) out.textContent = "Copy failed: select the text and copy it.";
        }
      });
    }
  };
  bindCopy(document);
  const preview = document.getElementById("embed-options");
  if (preview) {
    const update = async () => {
      const params = new URLSearchParams(new FormData(preview));
      params.set("fragment", "embed");
      const answer = await fetch(preview.getAttribute("action") + "?" + params.toString(), { credentials: "same-origin" });
      if (!answer.ok) return;
      const region = document.getElementById("embed-region");
      if (region) {
        region.innerHTML = await answer.text();
        bindCopy(region);
      }
    };
    preview.addEventListener("change", () => { void update(); });
  }
  const dataBlock = document.getElementById("analytics-data");
  if (dataBlock && window.uPlot) {
    const data = JSON.parse(dataBlock.textContent || "{}");
    const style = getComputedStyle(document.documentElement);
    const fg = style.getPropertyValue("--fg").trim() || "#1b1e24";
    const grid = style.getPropertyValue("--line").trim() || "#d5d9e0";
    const palette = ["#3b6fe0", "#d9480f", "#2b8a3e", "#ae3ec9", "#e67700", "#0c8599"];
    const axis = { stroke: fg, grid: { stroke: grid }, ticks: { stroke: grid } };
    const span = [data.fromMs / 1000, data.toMs / 1000];
    const draw = (id, xs, series) => {
      const el = document.getElementById(id);
      if (!el || xs.length === 0) return;
      const opts = {
        width: Math.max(200, el.clientWidth), height: 240, legend: { show: false },
        scales: { x: { time: true, range: () => span } }, axes: [axis, axis],
        series: [{}].concat(series.map((s, i) => ({ label: s.label, stroke: palette[i % palette.length], width: 2, spanGaps: true })))
      };
      el.textContent = "";
      const chart = new window.uPlot(opts, [xs].concat(series.map((s) => s.values)), el);
      el.setAttribute("data-chart-ready", "true");
      window.addEventListener("resize", () => chart.setSize({ width: Math.max(200, el.clientWidth), height: 240 }));
    };
    const xs = data.points.map((p) => p.atMs / 1000);
    draw("chart-online", xs, [{ label: "Online", values: data.points.map((p) => p.online) }]);
    draw("chart-members", xs, [{ label: "Members", values: data.points.map((p) => p.members) }]);
    if (data.comparison) draw("chart-compare", data.comparison.axis.map((t) => t / 1000), data.comparison.series.map((s) => ({ label: s.profile, values: s.online })));
  }
})();
`
