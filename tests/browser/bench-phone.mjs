// Measures the phone app (/app/) on a realistic vault in headless Chromium, with the page's CPU
// throttled (DevTools protocol; 4x stands in for a mid-range phone). Issue 16's test 6, as a
// benchmark, not a test. Run it by hand against a running `rapport serve --ui ADDR` and a saved
// vault (README, "Rapport on your phone", has the whole recipe):
//   cargo run --release -p rapport-wasm --example workload_snapshot -- /tmp/w30.am 30000
//   node tests/browser/bench-phone.mjs http://127.0.0.1:PORT/app/ /tmp/w30.am [throttle]
// Chromium throttles only pages: the Worker that loads the document is slowed by the page's
// throttle only in part (measured here: a loop 1.6-2x slower at 4x, against 4x on the page).
//
// Prints one JSON line (medians):
// - firstListMs: a reload until the list shows, from the stored read view (the figure the
//   issue's "first load" target is about); documentLoadedMs: until the Worker has loaded the
//   document too (edits and cards wait for it); noViewFirstListMs: the first reload, when no
//   view is stored yet and it is built from the document;
// - searchPerKeystrokeMs: the view's search for each prefix of a name (what the page runs per
//   keystroke), and searchWhileLoadingMs: one right after a reload, while the document loads;
// - noteUntilDurableMs: a note until its IndexedDB transaction (chunk and view rows) is complete;
// - memory: the page's JS heap, the wasm instance's memory and the renderer process's RSS.
import { chromium } from "playwright-core";
import { readFileSync, readdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [app, snapshotPath, throttle = "4"] = process.argv.slice(2);
const snapshot = readFileSync(snapshotPath);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => Number(x.toFixed(1));
const RELOADS = 5;

const profile = mkdtempSync(join(tmpdir(), "rapport-phone-bench-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
const page = context.pages()[0] ?? await context.newPage();
page.setDefaultTimeout(600000);
await context.route("**/bench-snapshot", (route) => route.fulfill({ body: snapshot }));
await page.goto(app);
await page.locator("#create button").click();
await page.getByRole("heading", { name: "Contacts" }).waitFor();
// Replace the new vault with the workload's, as a stored snapshot with no chunks and no view
// (as a vault stored by an older version of the app would be).
await page.evaluate(async () => {
  const bytes = await (await fetch("bench-snapshot")).arrayBuffer();
  const db = await new Promise((ok, no) => {
    const r = indexedDB.open("rapport");
    r.onsuccess = () => ok(r.result);
    r.onerror = () => no(r.error);
  });
  const tx = db.transaction(["meta", "chunks", "view"], "readwrite", { durability: "strict" });
  tx.objectStore("meta").put(bytes, "snapshot");
  for (const key of ["viewBase", "viewHeads", "viewInfo"]) tx.objectStore("meta").delete(key);
  tx.objectStore("chunks").clear();
  tx.objectStore("view").clear();
  await new Promise((ok, no) => { tx.oncomplete = ok; tx.onerror = () => no(tx.error); });
  db.close();
});
const cdp = await context.newCDPSession(page);
await cdp.send("Emulation.setCPUThrottlingRate", { rate: Number(throttle) });

// A reload until the list shows, then until the document is loaded.
async function reload() {
  const start = Date.now();
  await page.reload();
  await page.waitForFunction(() => /^\d+ contacts$/.test(document.getElementById("summary")?.textContent ?? "") ||
    document.querySelector("#main .error"), null, { polling: 20 });
  const list = Date.now() - start;
  if (await page.locator("#main .error").count()) {
    throw new Error(`the app says: ${await page.locator("#main .error").innerText()}`);
  }
  const whileLoading = await page.evaluate(async () => {
    const t = performance.now();
    const loading = !window.rapportApp.loaded();
    await window.rapportApp.call("search", "ann", 50);
    return loading ? performance.now() - t : null;
  });
  await page.waitForFunction(() => window.rapportApp.loaded(), null, { polling: 20 });
  return { list, loaded: Date.now() - start, whileLoading };
}

const noView = await reload();
const loads = [];
for (let run = 0; run < RELOADS; run++) loads.push(await reload());
const total = await page.locator("#summary").innerText();

const { rows } = await page.evaluate(() => window.rapportApp.call("list", 5000, 1));
const name = rows[0].name;
const keystrokes = [];
for (let n = 1; n <= Math.min(name.length, 10); n++) {
  keystrokes.push(await page.evaluate(async (q) => {
    const t = performance.now();
    await window.rapportApp.call("search", q, 50);
    return performance.now() - t;
  }, name.slice(0, n)));
}
const notes = [];
for (let n = 0; n < 15; n++) {
  notes.push(await page.evaluate(async (id) => {
    const t = performance.now();
    await window.rapportApp.call("logInteraction", id, [], "note", `bench note ${Math.random()}`, "");
    return performance.now() - t;
  }, rows[0].id));
}
const check = await page.evaluate(() => window.rapportApp.checkView());
if (!check.page || !check.stored || !check.heads) throw new Error(`the view disagrees: ${JSON.stringify(check)}`);

await cdp.send("Performance.enable");
const heap = (await cdp.send("Performance.getMetrics")).metrics.find((m) => m.name === "JSHeapUsedSize");
const { wasmBytes } = await page.evaluate(() => window.rapportApp.call("memory"));
// The renderer process(es) of this profile: the page and its Worker.
let rendererRss = 0;
for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    if (!cmd.includes("--type=renderer") || !cmd.includes(profile)) continue;
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    if (rss) rendererRss += Number(rss[1]) * 1024;
  } catch { /* the process ended */ }
}
console.log(JSON.stringify({
  throttle: Number(throttle), vault: total, snapshotBytes: snapshot.length,
  firstListMs: { median: median(loads.map((l) => l.list)), runs: loads.map((l) => l.list) },
  documentLoadedMs: { median: median(loads.map((l) => l.loaded)), runs: loads.map((l) => l.loaded) },
  noViewFirstListMs: noView.list,
  searchWhileLoadingMs: loads.map((l) => l.whileLoading).filter((x) => x !== null).map(ms),
  searchPerKeystrokeMs: { median: ms(median(keystrokes)), max: ms(Math.max(...keystrokes)) },
  noteUntilDurableMs: { median: ms(median(notes)), max: ms(Math.max(...notes)) },
  memoryMB: {
    pageJsHeap: heap ? ms(heap.value / 1e6) : null,
    wasm: ms(wasmBytes / 1e6),
    rendererRss: rendererRss ? ms(rendererRss / 1e6) : null,
  },
}));
await context.close();
rmSync(profile, { recursive: true, force: true });
