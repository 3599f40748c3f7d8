// Measures the phone app (/app/) on a realistic vault in headless Chromium, with the page's CPU
// throttled (DevTools protocol; 4x stands in for a mid-range phone). Issue 16's test 6 as a
// benchmark (the test in CI, tests/it/browser_scale.rs, shares its measures in
// phone-measures.mjs and asserts them only within a slack factor). Run it by hand against a running `rapport serve --ui ADDR` and a saved
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
import { launch } from "./chromium.mjs";
import { keystrokes, median, memory, notesUntilDurable, reloadUntilList, round } from "./phone-measures.mjs";
import { readFileSync } from "node:fs";

const [app, snapshotPath, throttle = "4"] = process.argv.slice(2);
const snapshot = readFileSync(snapshotPath);
const RELOADS = 5;

const { context, page, close, profile } = await launch("phone-bench");
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

const noView = await reloadUntilList(page);
const loads = [];
for (let run = 0; run < RELOADS; run++) loads.push(await reloadUntilList(page));
const total = await page.locator("#summary").innerText();

// A contact well inside the book (the 5,000th, or the middle one of a smaller book).
const { rows } = await page.evaluate((at) => window.rapportApp.call("list", at, 1),
  Math.min(5000, Math.floor(loads[0].total / 2)));
const name = rows[0].name;
const typed = await keystrokes(page, name);
const notes = (await notesUntilDurable(page, rows[0].id, 15, "bench note")).times;
const check = await page.evaluate(() => window.rapportApp.checkView());
if (!check.page || !check.stored || !check.heads) throw new Error(`the view disagrees: ${JSON.stringify(check)}`);

const mem = await memory(page, cdp, profile);
console.log(JSON.stringify({
  throttle: Number(throttle), vault: total, snapshotBytes: snapshot.length,
  firstListMs: { median: median(loads.map((l) => l.list)), runs: loads.map((l) => l.list) },
  documentLoadedMs: { median: median(loads.map((l) => l.loaded)), runs: loads.map((l) => l.loaded) },
  noViewFirstListMs: noView.list,
  searchWhileLoadingMs: loads.map((l) => l.whileLoading).filter((x) => x !== null).map(round),
  searchPerKeystrokeMs: { median: round(median(typed)), max: round(Math.max(...typed)) },
  noteUntilDurableMs: { median: round(median(notes)), max: round(Math.max(...notes)) },
  memoryMB: mem,
}));
await close();
