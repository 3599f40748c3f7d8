// The phone app (/app/, the browser replica) offline, in Debian's headless Chromium. Run by
// tests/it/phone.rs, which starts `rapport serve` and passes RAPPORT_PHONE (JSON):
//   { app, daemonPid, artefacts }
// Creates a vault in the browser, cuts the network (DevTools protocol, then kills the daemon so
// nothing but the service worker can serve the app), adds 3 contacts and logs 20 interactions,
// reloads, and checks that all of it is there, counted by a fresh replica read back from
// IndexedDB and shown by the page. Prints one JSON line of timings.
import { launch } from "./chromium.mjs";
import { savePage } from "./support.mjs";
import { mkdirSync } from "node:fs";

const cfg = JSON.parse(process.env.RAPPORT_PHONE);
mkdirSync(cfg.artefacts, { recursive: true });

function assert(cond, what) {
  if (!cond) throw new Error(what);
}

const { context, page, close } = await launch("phone");
page.setDefaultTimeout(20000);
const errors = [];
page.on("pageerror", (e) => errors.push(String(e)));
page.on("console", (m) => { if (m.type() === "error") errors.push(`${m.text()} (${m.location().url})`); });

const timeline = (n) => page.waitForFunction(
  (n) => document.querySelectorAll("#timeline li").length === n, n);

const people = [
  ["Ada Lovelace", "ada@example.org", "math, engines"],
  ["Charles Babbage", "charles@example.org", "engines"],
  ["Mary Somerville", "mary@example.org", "science"],
];
const figures = {};

try {
  await page.goto(cfg.app);
  await page.evaluate(() => window.rapportApp.offlineReady);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  const status = await page.evaluate(() => window.rapportApp.status());
  assert(status.panicGuard === true, "a panic inside rapport_model::guarded is caught in this browser");
  await page.locator("#create button").click();
  await page.getByRole("heading", { name: "Contacts" }).waitFor();

  // Cut the network: the page's and its workers' requests fail from here, and the daemon dies.
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: true, latency: 0, downloadThroughput: -1, uploadThroughput: -1,
  });
  process.kill(cfg.daemonPid, "SIGKILL");

  const ids = [];
  for (const [name, email, tags] of people) {
    await page.locator('header a[href="#/new"]').click();
    await page.locator("#add-contact [name=name]").fill(name);
    await page.locator("#add-contact [name=emails]").fill(email);
    await page.locator("#add-contact [name=tags]").fill(tags);
    await page.locator("#add-contact button").click();
    await page.getByRole("heading", { name }).waitFor();
    ids.push(page.url().split("#/c/")[1]);
  }
  // 20 interactions: 7, 7 and 6 on the three cards, some with another contact there too.
  let logged = 0;
  for (let n = 0; n < 20; n++) {
    const who = n % 3;
    await page.evaluate((id) => { location.hash = `#/c/${id}`; }, ids[who]);
    await page.getByRole("heading", { name: people[who][0] }).waitFor();
    const before = await page.locator("#timeline li").count();
    await page.locator("#log [name=kind]").selectOption(n % 2 ? "met" : "note");
    await page.locator("#log [name=text]").fill(`offline note ${n}`);
    await page.locator("#log [name=place]").fill("the conference hall");
    if (n % 5 === 0) await page.locator("#log [name=with]").fill(people[(who + 1) % 3][0]);
    const start = Date.now();
    await page.locator("#log button").click();
    await timeline(before + 1);
    figures.lastNoteMs = Date.now() - start;
    logged++;
  }
  assert(logged === 20, "logged 20 interactions");
  await page.locator("#tags [name=add]").fill("vip");
  await page.locator("#tags button").click();
  // Each save re-renders the card from the replica: wait for the saved value in the card's
  // fields (not anywhere on the page: the trust menu itself lists "trusted") before the next
  // edit, so the next form is the re-rendered one and the reload cannot cut a pending save.
  const fields = (label, want) => page.waitForFunction(([label, want]) => [...document.querySelectorAll("dl.fields .row")]
    .some((r) => r.querySelector("dt").textContent === label && r.querySelector("dd").textContent.includes(want)), [label, want]);
  await fields("Tags", "vip");
  await page.locator("#trust [name=trust]").selectOption("trusted");
  await page.locator("#trust button").click();
  await fields("Trust", "trusted");

  // Reload with the daemon dead and the network cut: only the service worker can serve this.
  await page.evaluate(() => { location.hash = "#/"; });
  const start = Date.now();
  await page.reload();
  await page.getByRole("heading", { name: "Contacts" }).waitFor();
  await page.waitForFunction(() => document.querySelectorAll("table.contacts tbody tr").length === 3);
  figures.reloadToListMs = Date.now() - start;
  const stored = await page.evaluate(() => window.rapportApp.stored());
  assert(stored.contacts === 3 && stored.interactions === 20,
    `IndexedDB holds 3 contacts and 20 interactions, not ${JSON.stringify(stored)}`);
  const summary = await page.locator("#summary").innerText();
  assert(summary === "3 contacts", `the list says ${summary}`);

  // Search as you type, then the card: every note is on it, including those logged "with".
  await page.locator("#search").fill("engin");
  await page.waitForFunction(() => document.querySelectorAll("table.contacts tbody tr").length === 2);
  await page.locator("#search").fill("somer");
  await page.waitForFunction(() => document.querySelectorAll("table.contacts tbody tr").length === 1);
  await page.getByRole("link", { name: "Mary Somerville" }).click();
  await page.getByRole("heading", { name: "Mary Somerville" }).waitFor();
  // Mary: 6 of her own (n = 2, 5, 8, 11, 14, 17) and Charles's with her (n = 10).
  await timeline(7);
  await page.evaluate((id) => { location.hash = `#/c/${id}`; }, ids[1]);
  await page.getByRole("heading", { name: "Charles Babbage" }).waitFor();
  // Charles: 7 of his own (n = 1, 4, ..., 19) and Ada's two with him (n = 0, 15).
  await timeline(9);
  const text = await page.locator("dl.fields").innerText();
  assert(text.includes("vip") && text.includes("trusted"), `Charles's tag and trust survived the reload: ${text}`);
  // The browser's own favicon request (outside /app/, so outside the service worker) fails
  // offline, as it should; anything else logged is a failure.
  assert(!errors.some((e) => !e.includes("/favicon.ico")),
    `the page logged errors: ${errors.join(" | ")}`);
  console.log(JSON.stringify({ ok: true, stored, figures, persisted: await page.evaluate(() => window.rapportApp.persisted) }));
} catch (e) {
  await savePage(page, cfg.artefacts, "phone");
  console.error(`phone app offline flow failed: ${e.message}\npage errors: ${errors.join(" | ")}`);
  process.exitCode = 1;
} finally {
  await close();
}
