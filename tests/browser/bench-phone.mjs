// Measures the phone app (/app/) on a realistic vault in headless Chromium with the CPU
// throttled 4x (DevTools protocol), standing in for a mid-range phone. Not a test: run it by
// hand against a running `rapport serve --ui ADDR` and a saved vault, e.g. W1 from
//   cargo run -p rapport-wasm --example workload_snapshot -- /tmp/w1.am
//   node tests/browser/bench-phone.mjs http://127.0.0.1:PORT/app/ /tmp/w1.am [throttle]
// Prints medians: first list after a reload (IndexedDB -> wasm load -> index -> rows), search
// per keystroke (Worker round trip), and a note until durable (strict IndexedDB commit).
import { chromium } from "playwright-core";
import { readFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [app, snapshotPath, throttle = "4"] = process.argv.slice(2);
const snapshot = readFileSync(snapshotPath);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "rapport-phone-bench-")), {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
const page = context.pages()[0] ?? await context.newPage();
page.setDefaultTimeout(300000);
await context.route("**/bench-snapshot", (route) => route.fulfill({ body: snapshot }));
await page.goto(app);
await page.locator("#create button").click();
await page.getByRole("heading", { name: "Contacts" }).waitFor();
// Replace the new vault with the workload's, as a stored snapshot with no chunks.
await page.evaluate(async () => {
  const bytes = await (await fetch("bench-snapshot")).arrayBuffer();
  const db = await new Promise((ok, no) => {
    const r = indexedDB.open("rapport");
    r.onsuccess = () => ok(r.result);
    r.onerror = () => no(r.error);
  });
  const tx = db.transaction(["meta", "chunks"], "readwrite", { durability: "strict" });
  tx.objectStore("meta").put(bytes, "snapshot");
  tx.objectStore("chunks").clear();
  await new Promise((ok, no) => { tx.oncomplete = ok; tx.onerror = () => no(tx.error); });
  db.close();
});
const cdp = await context.newCDPSession(page);
await cdp.send("Emulation.setCPUThrottlingRate", { rate: Number(throttle) });

const loads = [];
for (let run = 0; run < 3; run++) {
  const start = Date.now();
  await page.reload();
  await page.waitForFunction(() => /^\d+ contacts$/.test(document.getElementById("summary")?.textContent ?? "") ||
    document.querySelector("#main .error"));
  const failed = await page.locator("#main .error").count();
  if (failed) throw new Error(`the app says: ${await page.locator("#main .error").innerText()}`);
  loads.push(Date.now() - start);
}
const total = await page.locator("#summary").innerText();

const { rows } = await page.evaluate(() => window.rapportApp.call("list", 5000, 1));
const name = rows[0].name;
const keystrokes = [];
for (let n = 1; n <= Math.min(name.length, 8); n++) {
  keystrokes.push(await page.evaluate(async (q) => {
    const t = performance.now();
    await window.rapportApp.call("search", q, 50);
    return performance.now() - t;
  }, name.slice(0, n)));
}
const notes = [];
for (let n = 0; n < 10; n++) {
  notes.push(await page.evaluate(async (id) => {
    const t = performance.now();
    await window.rapportApp.call("logInteraction", id, [], "note", `bench note ${Math.random()}`, "");
    return performance.now() - t;
  }, rows[0].id));
}
const metrics = await cdp.send("Performance.getMetrics").catch(() => ({ metrics: [] }));
const heap = metrics.metrics.find((m) => m.name === "JSHeapUsedSize");
console.log(JSON.stringify({
  throttle: Number(throttle), vault: total, snapshotBytes: snapshot.length,
  firstListMs: { median: median(loads), runs: loads },
  searchPerKeystrokeMs: { median: median(keystrokes).toFixed(1), max: Math.max(...keystrokes).toFixed(1) },
  noteUntilDurableMs: { median: median(notes).toFixed(1), max: Math.max(...notes).toFixed(1) },
  pageJsHeapMB: heap ? (heap.value / 1e6).toFixed(1) : null,
}));
await context.close();
