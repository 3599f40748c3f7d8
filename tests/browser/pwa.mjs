// The exported phone app (`rapport ui --export-pwa DIR`) hosted on ANOTHER origin than the
// daemon's, pairing from the QR link and syncing, then following a certificate rotation with
// the hashes it learnt inside its last session. Run by tests/it/pwa.rs, which passes
// RAPPORT_PWA (JSON): { bin, home, env, browser, dir, artefacts } — the rapport binary, its
// home, the environment for its commands, the daemon's WebTransport address, and the exported
// folder. The daemon runs with no web app at all (--no-ui): the page cannot ask it anything.
//
// Between phases the daemon is stopped and this script prints {"step": NAME} and waits for one
// line on stdin: the Rust side changes the daemon's stored certificates meanwhile.
//   "advance": the daemon's `next` certificate becomes one the phone has never seen (not in
//              its pairing link); the phone must learn it in its next session;
//   "rotate":  the daemon is due to rotate, and serves that `next` from its start.
// Prints one line {"ok": true, ...} at the end.
import { launch } from "./chromium.mjs";
import { assert, cli, until } from "./support.mjs";
import { openPairingWindow } from "./pairing.mjs";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { createServer } from "node:http";
import { mkdirSync, readFileSync, writeFileSync, existsSync, statSync } from "node:fs";
import { join, normalize, extname } from "node:path";

const cfg = JSON.parse(process.env.RAPPORT_PWA);
mkdirSync(cfg.artefacts, { recursive: true });
const env = { ...process.env, ...cfg.env, RAPPORT_BROWSER_ADDR: cfg.browser };
const figures = {};
const began = Date.now();
const stdin = createInterface({ input: process.stdin });
const lines = stdin[Symbol.asyncIterator]();

const rapport = cli(cfg.bin, cfg.home, env);

// Asks the Rust side to change the stopped daemon's certificates.
async function step(name) {
  console.log(JSON.stringify({ step: name }));
  const { value, done } = await lines.next();
  assert(!done && value.trim() === "ok", `the test did not do ${name}: ${value}`);
}

// The static host: any web server would do; this one serves DIR and nothing else.
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm", ".webmanifest": "application/manifest+json" };
const hostLog = [];
const host = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
  hostLog.push(req.url);
  const file = normalize(join(cfg.dir, path.endsWith("/") ? `${path}index.html` : path));
  if (!file.startsWith(cfg.dir) || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { "content-type": TYPES[extname(file)] || "application/octet-stream", "cache-control": "no-cache" });
  res.end(readFileSync(file));
});
// `localhost` (a secure context) on both loopback families, as Chromium may try either.
await new Promise((resolve, reject) => {
  host.once("error", reject);
  host.listen(0, "::", resolve);
}).catch(() => new Promise((resolve) => host.listen(0, "127.0.0.1", resolve)));
const origin = `http://localhost:${host.address().port}`;

let daemon = null;
async function startDaemon() {
  daemon = spawn(cfg.bin, ["--home", cfg.home, "serve", "--listen", "127.0.0.1:0", "--no-discovery", "--no-ui",
    "--app-url", `${origin}/`], { env, stdio: ["ignore", "pipe", "ignore"] });
  const out = createInterface({ input: daemon.stdout });
  await new Promise((resolve) => out.once("line", resolve));
  out.on("line", () => {});
}
async function stopDaemon() {
  const exited = new Promise((r) => daemon.once("exit", r));
  daemon.kill("SIGTERM");
  await exited;
  daemon = null;
}

const { page, close } = await launch("pwa");
page.setDefaultTimeout(20000);
const errors = [];
page.on("pageerror", (e) => errors.push(String(e)));
const syncPhase = () => page.evaluate(async () => (await window.rapportApp.sync()).phase);
const shows = (name) => page.waitForFunction((n) => document.querySelector("table.contacts tbody")?.innerText.includes(n), name);
// The Worker's record of the daemon, read from the app's IndexedDB (same origin as the page).
const kept = () => page.evaluate(() => new Promise((resolve, reject) => {
  const req = indexedDB.open("rapport");
  req.onerror = () => reject(req.error);
  req.onsuccess = () => {
    const get = req.result.transaction("meta").objectStore("meta").get("daemon");
    get.onsuccess = () => { resolve(get.result); req.result.close(); };
    get.onerror = () => reject(get.error);
  };
}));
// Back to live after a restart (the Worker's backoff is skipped with syncNow).
async function live(what) {
  const start = Date.now();
  await until(what, async () => {
    const phase = await syncPhase();
    if (phase !== "live") await page.evaluate(() => window.rapportApp.syncNow());
    return phase === "live";
  }, 25000);
  return Date.now() - start;
}

try {
  await startDaemon();
  // 1. The QR link: the app's address with the code, the daemon's WebTransport address and
  //    its two certificate hashes in the fragment.
  const { window: first, exited: paired } = await openPairingWindow({ bin: cfg.bin, home: cfg.home, env });
  const link = first.link;
  assert(link.startsWith(`${origin}/#pair?code=${first.code}&`), `the QR link opens the hosted app: ${link}`);
  assert(link.includes(`&wt=${cfg.browser}`) && link.split("&cert=").length === 3, `the link says where and what to pin: ${link}`);
  figures.linkChars = link.length;
  const pairedHashes = link.split("&cert=").slice(1);

  let start = Date.now();
  await page.goto(link);
  // The fragment left the address bar, and never reached the host.
  await until("the link out of the address bar", async () => !(await page.evaluate(() => location.href)).includes("pair?"));
  assert(hostLog.every((u) => !u.includes("pair") && !u.includes("cert")), `the host saw ${hostLog.join(" ")}`);
  assert(await page.locator("#pair [name=code]").inputValue() === link, "the form holds the link");
  await page.locator("#pair button").click();
  await page.getByRole("heading", { name: "Contacts" }).waitFor();
  await page.waitForFunction(() => document.querySelectorAll("table.contacts tbody tr").length === 2);
  figures.pairToListMs = Date.now() - start;
  const shown = await page.locator("table.contacts tbody").innerText();
  assert(shown.includes("Ada Lovelace") && shown.includes("Charles Babbage"), `the list shows ${shown}`);
  assert(await paired === 0, "`rapport pair` ended with success");
  figures.liveMs = await live("a live session");
  start = Date.now();
  await page.evaluate(() => window.rapportApp.call("addContact", "From The Hosted App", [], []));
  await until("the phone's edit on the laptop", () => rapport("list", "--json").includes("From The Hosted App"));
  rapport("add", "From The Laptop");
  await shows("From The Laptop");
  figures.liveRoundMs = Date.now() - start;
  let record = await kept();
  assert(record.addrs[0] === cfg.browser && record.page === false, `the phone keeps the daemon's address: ${JSON.stringify(record)}`);

  // Offline: the service worker serves the app's files with the network off.
  await page.evaluate(() => window.rapportApp.offlineReady);
  await page.context().setOffline(true);
  await page.reload();
  await shows("From The Laptop");
  await page.context().setOffline(false);

  // 2. The daemon's `next` certificate changes while it is stopped: one the pairing link did
  //    not carry. The phone syncs under the current one and learns the new next in-session.
  await stopDaemon();
  await step("advance");
  await startDaemon();
  figures.afterRestartLiveMs = await live("a session after the restart");
  await page.evaluate(() => window.rapportApp.call("addContact", "After Restart", [], []));
  await until("the phone's edit on the laptop", () => rapport("list", "--json").includes("After Restart"));
  record = await kept();
  const learnt = record.cert_hashes;
  assert(learnt.length === 2, `two hashes kept: ${JSON.stringify(record)}`);

  // 3. The daemon rotates: it serves that `next` from its start. The phone reaches it only
  //    with what it learnt in the previous session.
  await stopDaemon();
  await step("rotate");
  await startDaemon();
  figures.afterRotationLiveMs = await live("a session after the rotation");
  await page.evaluate(() => window.rapportApp.call("addContact", "After Rotation", [], []));
  await until("the phone's edit on the laptop", () => rapport("list", "--json").includes("After Rotation"));
  rapport("add", "Laptop After Rotation");
  await shows("Laptop After Rotation");
  const rotated = (await kept()).cert_hashes;
  assert(rotated[0] === learnt[1], `the phone now pins the served one first: ${JSON.stringify(rotated)} after ${JSON.stringify(learnt)}`);
  assert(errors.length === 0, `page errors: ${errors.join("; ")}`);
  figures.flowMs = Date.now() - began;
  console.log(JSON.stringify({ ok: true, figures, paired: pairedHashes, learnt, rotated }));
} catch (e) {
  await page.screenshot({ path: join(cfg.artefacts, "pwa-failure.png") }).catch(() => {});
  writeFileSync(join(cfg.artefacts, "pwa-failure.txt"), `${e.stack}\npage errors: ${errors.join("\n")}\n`);
  console.error(e.stack);
  process.exitCode = 1;
} finally {
  if (daemon) await stopDaemon();
  await close();
  host.closeAllConnections();
  host.close();
  stdin.close();
  // Nothing else is waited for: a handle left open must not keep the test waiting.
  process.exit();
}
