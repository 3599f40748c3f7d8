// Issue 16's test 6 (scale), run by tests/it/browser_scale.rs with RAPPORT_SCALE (JSON):
// { app, rapport: { bin, home, env }, contacts, known: { id, name }, throttle, artefacts }.
// The daemon serving `app` holds a vault of `contacts` contacts; `known` is one of them.
//
// With the page's CPU throttled (DevTools protocol), the browser pairs by code and fetches the
// whole vault (timed until the list shows every contact), then: reloads, each timed until the
// list shows, which must happen before the document has loaded (from the stored read view);
// search per keystroke for the known name, and the known contact found by typing its name in
// the search box; notes timed until durable, all there after one more reload; memory. Prints
// one JSON line with the figures; the Rust side compares them with its targets.
import { launch } from "./chromium.mjs";
import { savePage } from "./support.mjs";
import { openPairingWindow } from "./pairing.mjs";
import { keystrokes, median, memory, notesUntilDurable, reloadUntilList, round } from "./phone-measures.mjs";
import { mkdirSync } from "node:fs";

const cfg = JSON.parse(process.env.RAPPORT_SCALE);
mkdirSync(cfg.artefacts, { recursive: true });
const env = { ...process.env, ...cfg.rapport.env };
const RELOADS = 3;
const NOTES = 8;

function assert(cond, what) {
  if (!cond) throw new Error(what);
}

const { context, page, close, profile } = await launch("scale");
page.setDefaultTimeout(120000);
const errors = [];
page.on("pageerror", (e) => errors.push(String(e)));
try {
  await page.goto(cfg.app);
  const cdp = await context.newCDPSession(page);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: cfg.throttle });

  // Pairing and the fetch of the whole vault, until the list shows it.
  const { code, exited } = await openPairingWindow({ ...cfg.rapport, env });
  await page.locator("#pair [name=code]").fill(code);
  let start = Date.now();
  await page.locator("#pair button").click();
  const pairCommand = exited.then((code) => ({ code, ms: Date.now() - start }));
  await page.waitForFunction((n) => document.getElementById("summary")?.textContent === `${n} contacts`,
    cfg.contacts, { polling: 50 });
  const pairMs = Date.now() - start;
  const { code: pairExit, ms: pairCommandMs } = await pairCommand;
  assert(pairExit === 0, "`rapport pair` ended with success");
  await page.waitForFunction(() => window.rapportApp.loaded(), null, { polling: 50 });

  // Search as you type, then the known contact found through the search box.
  const typed = await keystrokes(page, cfg.known.name);
  await page.locator("#search").fill(cfg.known.name);
  // The search's own answer (its summary says "matching" or "matches"): the unfiltered list
  // could already hold the known contact's row.
  await page.waitForFunction((id) => /match(ing|es)$/.test(document.getElementById("summary").textContent) &&
    document.querySelector(`table.contacts tbody tr[data-id="${id}"]`), cfg.known.id);

  // Notes until durable (the document is loaded since pairing).
  const notes = await notesUntilDurable(page, cfg.known.id, NOTES, "scale note");

  // Reloads: the list from the stored view, before the document has loaded. Only the last one
  // waits for the document too (a reload ends the Worker loading it), to time it, to measure
  // memory as it is at an event, and to read the known card.
  const loads = [];
  for (let run = 0; run < RELOADS; run++) loads.push(await reloadUntilList(page, { untilLoaded: run === RELOADS - 1 }));
  for (const l of loads) {
    assert(l.total === cfg.contacts, `the list shows ${l.total} contacts, not ${cfg.contacts}`);
    assert(!l.loadedAtList, `the list showed only once the document had loaded (${l.list} ms): not from the read view`);
  }
  const mem = await memory(page, cdp, profile);
  const card = await page.evaluate((id) => window.rapportApp.call("card", id), cfg.known.id);
  const timeline = card.timeline.map((i) => i.text);
  for (const text of [...notes.texts, "a note from the desktop"]) {
    assert(timeline.includes(text), `${JSON.stringify(text)} is not on ${cfg.known.name}'s card after a reload`);
  }
  assert(!errors.length, `the page threw: ${errors.join(" | ")}`);
  console.log(JSON.stringify({
    ok: true, throttle: cfg.throttle, contacts: cfg.contacts, pairMs, pairCommandMs,
    firstListMs: { median: median(loads.map((l) => l.list)), runs: loads.map((l) => l.list) },
    documentLoadedMs: loads[RELOADS - 1].loaded,
    searchWhileLoadingMs: loads.map((l) => l.whileLoading).filter((x) => x !== null).map(round),
    searchPerKeystrokeMs: { median: round(median(typed)), max: round(Math.max(...typed)) },
    noteUntilDurableMs: { median: round(median(notes.times)), max: round(Math.max(...notes.times)) },
    memoryMB: mem,
  }));
} catch (e) {
  await savePage(page, cfg.artefacts, "scale");
  const sync = await page.evaluate(() => window.rapportApp.sync()).catch(() => null);
  console.error(`the scale test failed: ${e.message}\nsync: ${JSON.stringify(sync)}\npage errors: ${errors.join(" | ")}`);
  process.exitCode = 1;
} finally {
  await close();
}
