// The phone app as a real device of a vault, in Debian's headless Chromium (no --disable-quic):
// pairing by code over WebTransport, the vault fetched and shown, then offline edits on both
// sides merged when they meet again. Run by tests/it/browser_sync.rs, which passes
// RAPPORT_SYNC (JSON): { bin, home, env, ui, browser, artefacts } — the rapport binary, its
// home, the environment for its commands, and the fixed web and WebTransport addresses (fixed
// so a restarted daemon has the same origin, and so the same IndexedDB).
//
// 1. Starts `rapport serve`, opens a pairing window with `rapport pair --json` (forwarded to the
//    daemon); a mistyped code is refused and burns it; with a new window's code typed right, and waits for the vault's contacts on screen; then an
//    edit on each side reaches the other through the live session.
// 2. Cuts the network (DevTools protocol) and stops the daemon. In the browser: a contact with
//    an email and a tag, two interactions, Ada's trust. On the laptop, with no daemon: Ada's
//    trust set otherwise (the conflict), a note on Charles, a new contact.
// 3. Back online, the daemon restarted: both sides converge. Prints one JSON line with what the
//    browser shows (contacts, each one's interaction texts, conflicts) for the Rust side to
//    compare with `rapport list --json`, `show --json` and `conflicts --json`.
// 4. The laptop revokes the phone: its session is cut, it is refused from then on, and no edit
//    crosses either way.
import { launch } from "./chromium.mjs";
import { assert, cli, savePage, until } from "./support.mjs";
import { openPairingWindow } from "./pairing.mjs";
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";

const cfg = JSON.parse(process.env.RAPPORT_SYNC);
mkdirSync(cfg.artefacts, { recursive: true });
const env = { ...process.env, ...cfg.env, RAPPORT_BROWSER_ADDR: cfg.browser };
const figures = {};

const rapport = cli(cfg.bin, cfg.home, env);

let daemon = null;
async function startDaemon() {
  daemon = spawn(cfg.bin, ["--home", cfg.home, "serve", "--listen", "127.0.0.1:0", "--no-discovery", "--ui", cfg.ui],
    { env, stdio: ["ignore", "ignore", "ignore"] });
  await until("the daemon's web listener", async () => {
    try {
      return (await fetch(`http://${cfg.ui}/webtransport.json`)).ok;
    } catch {
      return false;
    }
  });
}
async function stopDaemon() {
  const exited = new Promise((r) => daemon.once("exit", r));
  daemon.kill("SIGTERM");
  await exited;
  daemon = null;
}

const { context, page, close } = await launch("sync");
page.setDefaultTimeout(20000);
const errors = [];
page.on("pageerror", (e) => errors.push(String(e)));

const rows = () => page.evaluate(async () => (await window.rapportApp.call("list", 0, 100)).rows);
const syncPhase = () => page.evaluate(async () => (await window.rapportApp.sync()).phase);

try {
  await startDaemon();
  // 1. Pair by code. A pairing window: `rapport pair` forwarded to the daemon.
  const openWindow = () => openPairingWindow({ bin: cfg.bin, home: cfg.home, env });
  await page.goto(`http://${cfg.ui}/app/`);

  // A mistyped code (right nameplate, wrong words) is refused and burns the code.
  const burned = await openWindow();
  const [plate, ...words] = burned.code.split("-");
  const wrong = words.join("-") === "abandon-ability" ? `${plate}-ability-abandon` : `${plate}-abandon-ability`;
  await page.locator("#pair [name=code]").fill(wrong);
  await page.locator("#pair button").click();
  await page.locator("#pair .error").filter({ hasText: "did not match" }).waitFor();
  assert(await burned.exited !== 0, "`rapport pair` failed after the wrong code");
  assert((await page.evaluate(() => window.rapportApp.status())).vault === null, "no vault after a wrong code");

  const { code, exited: paired } = await openWindow();
  await page.locator("#pair [name=code]").fill(code);
  let start = Date.now();
  await page.locator("#pair button").click();
  await page.getByRole("heading", { name: "Contacts" }).waitFor();
  await page.waitForFunction(() => document.querySelectorAll("table.contacts tbody tr").length === 2);
  figures.pairToListMs = Date.now() - start;
  const shown = await page.locator("table.contacts tbody").innerText();
  assert(shown.includes("Ada Lovelace") && shown.includes("Charles Babbage"), `the list shows ${shown}`);
  assert(await paired === 0, "`rapport pair` ended with success");
  const devices = JSON.parse(rapport("devices", "--json"));
  assert(JSON.stringify(devices).includes("\"phone\""), `the laptop lists the phone: ${JSON.stringify(devices)}`);
  start = Date.now();
  await until("a live session", async () => (await syncPhase()) === "live");
  figures.liveMs = Date.now() - start;
  // The page says so.
  await page.waitForFunction(() => document.getElementById("sync").dataset.phase === "live");
  // Live both ways: an edit on either side shows on the other within the session.
  start = Date.now();
  await page.evaluate(() => window.rapportApp.call("addContact", "Live From Phone", [], []));
  await until("the phone's edit on the laptop", () => rapport("list", "--json").includes("Live From Phone"));
  rapport("add", "Live From Laptop");
  await page.waitForFunction(() => document.querySelector("table.contacts tbody").innerText.includes("Live From Laptop"));
  figures.liveRoundMs = Date.now() - start;

  // 2. Offline on both sides. Chromium 156's network emulation does not cut a WebTransport
  // session a Worker already holds (checked: an edit made after it still reached the laptop),
  // so the daemon stops too, and the laptop's edits go straight to its store meanwhile.
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", { offline: true, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await stopDaemon();
  await until("the browser noticing", async () => (await syncPhase()) !== "live");
  await page.evaluate(async () => {
    const { call } = window.rapportApp;
    await call("addContact", "Grace Hopper", ["grace@example.org"], ["navy"]);
    await call("logInteraction", "Ada Lovelace", ["Grace Hopper"], "met", "talked engines at the event", "the hall");
    await call("logInteraction", "Charles Babbage", [], "note", "owes me a demo", "");
    await call("setTrust", "Ada Lovelace", "trusted");
  });
  rapport("edit", "Ada Lovelace", "--trust", "met");
  rapport("note", "Charles Babbage", "called about the engine");
  rapport("add", "Alan Turing", "--email", "alan@example.org");

  // 3. Back online: the daemon restarts on the same addresses, the browser reconnects.
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await startDaemon();
  start = Date.now();
  await page.evaluate(() => window.rapportApp.syncNow());
  await until("6 contacts in the browser", async () => (await rows()).length === 6);
  await until("6 contacts on the laptop", async () => JSON.parse(rapport("list", "--json")).length === 6);
  await until("the same conflict on both", async () => {
    const mine = await page.evaluate(() => window.rapportApp.call("conflicts"));
    return mine.length === 1 && JSON.parse(rapport("conflicts", "--json")).length === 1;
  });
  figures.convergeMs = Date.now() - start;

  const browser = { contacts: [], conflicts: [] };
  for (const row of await rows()) {
    const card = await page.evaluate((id) => window.rapportApp.call("card", id), row.id);
    browser.contacts.push({ id: row.id, name: row.name, interactions: card.timeline.map((i) => i.text).sort() });
  }
  browser.conflicts = await page.evaluate(() => window.rapportApp.call("conflicts"));
  // What arrived was stored, not only shown: a fresh replica read back from IndexedDB holds it
  // (6 contacts; 3 interactions, one of them with two people).
  const stored = await page.evaluate(() => window.rapportApp.stored());
  assert(stored.contacts === 6 && stored.interactions === 3, `IndexedDB holds ${JSON.stringify(stored)}`);
  // The page shows the conflict too.
  await page.evaluate(() => { location.hash = "#/conflicts"; });
  await page.locator("#conflicts li[data-field=trust]").waitFor();
  assert(!errors.length, `the page threw: ${errors.join(" | ")}`);
  // The laptop lists the phone like any device: reached over WebTransport, synced, equal.
  const status = JSON.parse(rapport("status", "--json"));
  const peers = Array.isArray(status) ? status : (status.devices || status.peers || []);
  const phoneRow = peers.find((d) => d.name === "phone");
  assert(phoneRow && phoneRow.last_synced && phoneRow.via === "webtransport" && phoneRow.state === "equal",
    `status shows ${JSON.stringify(status)}`);

  // 4. Revoked (issue test 4, from the browser's side): the laptop revokes the phone. Its live
  // session is cut at once, every new attempt is refused at the proof of key, before any vault
  // byte, and nothing crosses any more in either direction.
  await until("the live session again", async () => (await syncPhase()) === "live");
  rapport("devices", "revoke", "phone");
  await until("the phone cut off and refused", async () => {
    const s = await page.evaluate(() => window.rapportApp.sync());
    return s.phase !== "live" && s.detail.includes("not a device of that vault");
  });
  rapport("add", "After Revocation");
  await page.evaluate(() => window.rapportApp.call("addContact", "Phone After Revocation", [], []));
  await page.evaluate(() => window.rapportApp.syncNow());
  // Two more refused attempts, then nothing has crossed either way.
  await new Promise((r) => setTimeout(r, 2500));
  assert(!(await rows()).some((r) => r.name === "After Revocation"), "a revoked phone received the laptop's edit");
  assert(!rapport("list", "--json").includes("Phone After Revocation"), "the laptop took a revoked phone's edit");
  const refused = await page.evaluate(() => window.rapportApp.sync());
  assert(refused.phase !== "live" && refused.detail.includes("not a device of that vault"),
    `the phone says why: ${JSON.stringify(refused)}`);
  figures.revokedDetail = refused.detail;
  await stopDaemon();
  console.log(JSON.stringify({ ok: true, browser, figures }));
} catch (e) {
  await savePage(page, cfg.artefacts, "sync");
  const sync = await page.evaluate(() => window.rapportApp.sync()).catch(() => null);
  console.error(`browser sync flow failed: ${e.message}\nsync: ${JSON.stringify(sync)}\npage errors: ${errors.join(" | ")}`);
  process.exitCode = 1;
} finally {
  if (daemon) daemon.kill("SIGKILL");
  await close();
}
