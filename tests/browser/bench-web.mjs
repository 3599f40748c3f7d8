// The web app's figures, measured in Debian's headless Chromium as a person meets them (issue
// #12): the contacts page's first paint and weight, the server time of a search-as-you-type
// request and of a card with 100 interactions, and the daemon's memory over 1,000 actions.
// Run by `rapport-bench web`, which prepares the vault and the daemon and passes the
// configuration as JSON in RAPPORT_WEB_BENCH; prints one JSON object on stdout.
import { chromium } from "playwright-core";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const cfg = JSON.parse(process.env.RAPPORT_WEB_BENCH);
const profile = mkdtempSync(join(tmpdir(), "rapport-bench-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run"],
});
const page = context.pages()[0] ?? await context.newPage();
page.setDefaultTimeout(60000);

function rssKib() {
  const status = readFileSync(`/proc/${cfg.pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
}

/// Server time as the page's script meets it: from the request to the last byte.
async function timedFetch(url) {
  return page.evaluate(async (u) => {
    const t = performance.now();
    const r = await fetch(u, { credentials: "same-origin" });
    await r.text();
    if (!r.ok) throw new Error(`${u} answered ${r.status}`);
    return performance.now() - t;
  }, url);
}

const out = { first_paint_ms: [], load_ms: [], search_ms: [], card_ms: [], rss_kib: [] };
try {
  await page.goto(cfg.signin);
  await page.waitForURL(/\/contacts/);

  // First paint of the contacts page, in a fresh tab with the cache off, as on first visit.
  for (let i = 0; i < cfg.runs; i++) {
    const tab = await context.newPage();
    const cdp = await context.newCDPSession(tab);
    await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
    // A tab opened beside another is in the background, and a background tab is not painted:
    // bring it to the front first, and wait for the paint entry, which can come after `load`.
    await tab.bringToFront();
    await tab.goto(`${cfg.base}/contacts`, { waitUntil: "load" });
    const m = await tab.evaluate(async () => {
      const paint = await new Promise((resolve) => {
        const fcp = (list) => list.getEntriesByName("first-contentful-paint")[0];
        new PerformanceObserver((list) => fcp(list) && resolve(fcp(list)))
          .observe({ type: "paint", buffered: true });
        setTimeout(() => resolve(null), 5000);
      });
      const nav = performance.getEntriesByType("navigation")[0];
      const resources = performance.getEntriesByType("resource").filter((r) => !r.name.endsWith("/events"));
      return {
        paint: paint ? paint.startTime : null,
        load: nav.loadEventEnd,
        page: nav.transferSize + resources.reduce((n, r) => n + r.transferSize, 0),
        js: resources.filter((r) => r.initiatorType === "script").reduce((n, r) => n + r.encodedBodySize, 0),
      };
    });
    if (m.paint !== null) out.first_paint_ms.push(m.paint);
    out.load_ms.push(m.load);
    out.page_bytes = m.page;
    out.js_bytes = m.js;
    await tab.close();
  }

  await page.goto(`${cfg.base}/contacts`);
  for (let i = 0; i < cfg.runs; i++) {
    for (const word of cfg.words) {
      out.search_ms.push(await timedFetch(`/contacts?q=${encodeURIComponent(word)}&partial=1`));
    }
    out.card_ms.push(await timedFetch(cfg.card));
  }

  // 1,000 actions: log a note on a card through its own form (post, redirect, the card again),
  // then search as the list does; the daemon's memory after every 100.
  await page.goto(`${cfg.base}${cfg.card}`);
  out.rss_kib.push(rssKib());
  for (let i = 1; i <= cfg.actions; i++) {
    await page.evaluate(async ({ i, word }) => {
      const form = document.querySelector('form[action$="/note"]');
      const data = new URLSearchParams(new FormData(form));
      data.set("text", `bench note ${i}`);
      const r = await fetch(form.action, { method: "POST", body: data, credentials: "same-origin" });
      await r.text();
      if (!r.ok) throw new Error(`the note answered ${r.status}`);
      const s = await fetch(`/contacts?q=${encodeURIComponent(word)}&partial=1`, { credentials: "same-origin" });
      await s.text();
    }, { i, word: cfg.words[i % cfg.words.length] });
    if (i % 100 === 0) out.rss_kib.push(rssKib());
  }
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(out));
