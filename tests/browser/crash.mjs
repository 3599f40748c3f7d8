// Crash safety of the phone app (/app/): every edit the page was told is saved survives a
// SIGKILL of the whole browser in the middle of a burst of writes. Run by tests/it/phone.rs,
// which starts `rapport serve` and passes RAPPORT_PHONE (JSON): { app, artefacts, killAfter }.
//
// Chromium is started here (not through playwright's launcher) so that its whole process group
// can be killed with SIGKILL, then started again on the same profile; playwright attaches over
// the DevTools protocol. The page fires a burst of edits (notes on one card, and new contacts);
// each one's acknowledgement (the Worker's answer, sent only once its IndexedDB transaction is
// complete) is reported here as it arrives, and the browser is killed after a seeded number of
// them, while the rest are still being written (a compaction falls inside the burst). After the
// restart the read view shows every saved contact before the document is loaded, the card shows
// every saved note, and the view the page shows, the one stored and the one the document gives
// are the same rows.
import { chromium } from "playwright-core";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { savePage } from "./support.mjs";

const cfg = JSON.parse(process.env.RAPPORT_PHONE);
mkdirSync(cfg.artefacts, { recursive: true });
const profile = mkdtempSync(join(tmpdir(), "rapport-crash-"));
// Edits in the burst, and after how many acknowledgements the browser dies (seeded, at most
// 219). The burst is far longer than that: the acknowledgements reach this process later than
// the Worker writes them, and on a loaded machine a burst of 300 was once all written before
// the 101st acknowledgement arrived here, which proves nothing about a kill mid-burst.
const BURST = 1000;
const killAfter = cfg.killAfter;

function assert(cond, what) {
  if (!cond) throw new Error(what);
}

// Starts Chromium in its own process group and connects to it.
async function startBrowser() {
  const child = spawn("/usr/bin/chromium", [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", `--user-data-dir=${profile}`,
    "--remote-debugging-port=0", "about:blank",
  ], { detached: true, stdio: ["ignore", "ignore", "pipe"] });
  const ws = await new Promise((resolve, reject) => {
    let err = "";
    const timer = setTimeout(() => reject(new Error(`chromium did not start: ${err}`)), 30000);
    child.stderr.on("data", (d) => {
      err += d;
      const m = /DevTools listening on (ws:\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on("exit", (code) => reject(new Error(`chromium exited (${code}): ${err}`)));
  });
  const browser = await chromium.connectOverCDP(ws);
  const context = browser.contexts()[0];
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(60000);
  return { child, browser, page };
}

function killGroup(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise((resolve) => child.on("exit", resolve));
  process.kill(-child.pid, "SIGKILL");
  return exited;
}

const figures = { killAfter };
let run = null;
try {
  run = await startBrowser();
  let { page } = run;
  await page.goto(cfg.app);
  await page.locator("#create button").click();
  await page.getByRole("heading", { name: "Contacts" }).waitFor();
  await page.locator('header a[href="#/new"]').click();
  await page.locator("#add-contact [name=name]").fill("Ada Lovelace");
  await page.locator("#add-contact button").click();
  await page.getByRole("heading", { name: "Ada Lovelace" }).waitFor();
  const ada = page.url().split("#/c/")[1];

  // The burst: every edit is sent at once (the Worker writes them one by one, in order);
  // `rapportSaved` hears each acknowledgement.
  const saved = [];
  let killNow = null;
  const enough = new Promise((resolve) => { killNow = resolve; });
  await page.exposeFunction("rapportSaved", (what) => {
    saved.push(what);
    if (saved.length === killAfter) killNow();
  });
  await page.evaluate(({ ada, burst }) => {
    for (let n = 0; n < burst; n++) {
      const edit = n % 10 === 9
        ? window.rapportApp.call("addContact", `Crash Contact ${n}`, [`c${n}@example.org`], ["crash"])
          .then(() => ({ contact: `Crash Contact ${n}` }))
        : window.rapportApp.call("logInteraction", ada, [], "note", `crash note ${n}`, "")
          .then(() => ({ note: `crash note ${n}` }));
      edit.then((what) => window.rapportSaved(what), () => {});
    }
  }, { ada, burst: BURST });
  await enough;
  await killGroup(run.child);
  figures.savedBeforeKill = saved.length;
  const notes = saved.filter((s) => s.note).map((s) => s.note);
  const contacts = saved.filter((s) => s.contact).map((s) => s.contact);
  assert(saved.length < BURST, `the browser was killed after the whole burst (${saved.length})`);

  // Restart on the same profile. The list comes from the stored view, before the document.
  run = await startBrowser();
  page = run.page;
  await page.goto(cfg.app);
  await page.waitForFunction(() => /^\d+ contacts$/.test(document.getElementById("summary")?.textContent ?? ""));
  figures.loadedAtFirstList = await page.evaluate(() => window.rapportApp.loaded());
  const inView = await page.evaluate(() => window.rapportApp.call("search", "crash contact", 1000));
  const names = new Set(inView.map((r) => r.name));
  const missing = contacts.filter((c) => !names.has(c));
  assert(missing.length === 0, `saved contacts missing from the view after the crash: ${missing.join(", ")}`);

  // The document: every saved note on Ada's card.
  await page.waitForFunction(() => window.rapportApp.loaded());
  const card = await page.evaluate((ada) => window.rapportApp.call("card", ada), ada);
  const texts = new Set(card.timeline.map((i) => i.text));
  const lost = notes.filter((n) => !texts.has(n));
  assert(lost.length === 0, `saved notes lost in the crash: ${lost.join(", ")}`);
  const row = inView.length;
  const check = await page.evaluate(() => window.rapportApp.checkView());
  assert(check.page && check.stored && check.heads,
    `the view disagrees with the document after the crash: ${JSON.stringify(check)}`);
  figures.notesSaved = notes.length;
  figures.contactsSaved = contacts.length;
  figures.notesFound = card.timeline.length;
  figures.contactsFound = row;
  // Still writable after the restart.
  await page.evaluate((ada) => window.rapportApp.call("logInteraction", ada, [], "note", "after the crash", ""), ada);
  console.log(JSON.stringify({ ok: true, figures }));
} catch (e) {
  if (run) await savePage(run.page, cfg.artefacts, "crash");
  console.error(`phone app crash test failed: ${e.message} (${JSON.stringify(figures)})`);
  process.exitCode = 1;
} finally {
  if (run) await killGroup(run.child).catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}
