// End-to-end flows of the web app in Debian's headless Chromium, driven by playwright-core.
// Run by tests/it/web.rs, which starts `rapport serve` on loopback for device A, prepares a
// second device B (a clone of A, no daemon), and passes everything in RAPPORT_E2E (JSON):
//   { signin, bin, homeA, homeB, homeC, addrA, artefacts, only?, screenshot? }
// Each flow runs in order on one page; a failing flow saves a screenshot and the page's HTML
// under `artefacts` and the script exits 1 after printing which flows failed.
import { launch } from "./chromium.mjs";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";

const cfg = JSON.parse(process.env.RAPPORT_E2E);
mkdirSync(cfg.artefacts, { recursive: true });
const base = new URL(cfg.signin).origin;

// B's commands run as the test would run them (same environment as this script).
function onB(...args) {
  try {
    return execFileSync(cfg.bin, ["--home", cfg.homeB, ...args], { encoding: "utf8", timeout: 30000 });
  } catch (e) {
    // Say what B said: the first line of the error is all a failing flow prints.
    throw new Error(`B's \`${args.join(" ")}\` failed: ${String(e.stderr ?? e.message).trim()}`);
  }
}

function assert(cond, what) {
  if (!cond) throw new Error(what);
}

const { context, page, close } = await launch("chromium");
page.setDefaultTimeout(10000);
// Markup in a name must never run: any alert is a failure. Confirmations are accepted.
const alerts = [];
page.on("dialog", async (d) => {
  if (d.type() === "confirm") return d.accept();
  alerts.push(d.message());
  return d.dismiss();
});

const state = {};
const flows = [
  ["sign in", async () => {
    await page.goto(cfg.signin);
    await page.waitForURL(`${base}/contacts`);
    assert(!page.url().includes("once="), "the sign-in code stays out of the address");
    await page.getByRole("heading", { name: "Contacts" }).waitFor();
  }],
  ["add a contact", async () => {
    await page.getByText("Add a contact").click();
    await page.getByLabel("Name", { exact: true }).fill("Grace Hopper");
    await page.getByLabel("Organisation").fill("US Navy");
    await page.getByLabel("Tags (separated by spaces or commas)").fill("pioneer");
    await page.getByRole("button", { name: "Add contact" }).click();
    await page.waitForURL(/\/contacts\/[0-9a-f]{16}$/);
    state.grace = page.url();
    await page.getByRole("heading", { name: "Grace Hopper" }).waitFor();
  }],
  ["a refused value is shown next to its field", async () => {
    await page.getByText("Edit details").click();
    await page.getByLabel("Met on (YYYY-MM-DD)").fill("next tuesday");
    await page.getByLabel("Title").fill("Rear admiral");
    await page.getByRole("button", { name: "Save changes" }).click();
    // The CLI's sentence, next to the field, with what was typed kept, and nothing written.
    await page.getByText("`next tuesday` is not a valid date").waitFor();
    const invalid = await page.getByLabel("Met on (YYYY-MM-DD)").getAttribute("aria-invalid");
    assert(invalid === "true", "the field is marked invalid");
    assert(await page.getByLabel("Title").inputValue() === "Rear admiral", "what was typed is kept");
    await page.goto(state.grace);
    assert(await page.getByText("Rear admiral").count() === 0, "nothing was half-written");
  }],
  ["log an interaction", async () => {
    await page.getByLabel("Kind").selectOption("call");
    await page.getByLabel("Place").fill("Arlington");
    await page.getByLabel("What happened").fill("Talked about compilers and nanoseconds");
    await page.getByRole("button", { name: "Log interaction" }).click();
    await page.waitForURL(state.grace);
    await page.locator("ol.timeline").getByText("Talked about compilers").waitFor();
    // Interactions over time: the chart says in words what its bars show.
    const chart = page.getByRole("img", { name: /^Interactions per month, .*: 1 in all, most in / });
    await chart.waitFor();
    assert((await page.locator("figure.activity rect").count()) === 24, "one bar per month over two years");
  }],
  ["tag", async () => {
    await page.getByLabel("Add tags (separated by spaces)").fill("mentor");
    await page.getByRole("button", { name: "Add tag" }).click();
    await page.locator("ul.tags").getByText("#mentor").waitFor();
  }],
  ["create a group and add from the list", async () => {
    await page.goto(`${base}/groups`);
    await page.getByLabel("New group's name").fill("Navy friends");
    await page.getByRole("button", { name: "Create group" }).click();
    await page.getByRole("heading", { name: /Navy friends/ }).waitFor();
    await page.goto(`${base}/contacts`);
    await page.getByLabel("Select Grace Hopper").check();
    await page.getByLabel("Group for the ticked contacts").selectOption({ label: "Navy friends" });
    const posted = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/groups/members"));
    await page.getByRole("button", { name: "Add ticked to group" }).click();
    await posted;
    await page.goto(`${base}/groups`);
    await page.getByRole("heading", { name: "Navy friends (1 members)" }).waitFor();
  }],
  ["search as you type", async () => {
    onB("sync", "--addr", cfg.addrA); // harmless here; B also gets Grace for the live flow
    await page.goto(`${base}/contacts`);
    await page.getByLabel("Search").pressSequentially("nanosec", { delay: 30 });
    // The unfiltered list already shows Grace alone: wait for the search's own answer (the
    // address changes in the same callback that shows it).
    await page.waitForFunction(() => new URLSearchParams(location.search).get("q") === "nanosec");
    await page.locator("#results").getByText("1 contact").waitFor();
    await page.locator("#results").getByRole("link", { name: "Grace Hopper" }).waitFor();
    await page.getByLabel("Search").fill("zzzz-nobody");
    await page.locator("#results").getByText("No contact matches.").waitFor();
    assert(page.url().includes("q=zzzz-nobody"), "the address follows the search");
  }],
  ["markup in a name shows as text", async () => {
    const evil = "<img src=x onerror=alert(1)>";
    await page.goto(`${base}/contacts`);
    await page.getByText("Add a contact").click();
    await page.getByLabel("Name", { exact: true }).fill(evil);
    await page.getByRole("button", { name: "Add contact" }).click();
    await page.waitForURL(/\/contacts\/[0-9a-f]{16}$/);
    const h1 = await page.locator("h1").textContent();
    assert(h1.includes(evil), `the heading shows the name as text (${h1})`);
    await page.goto(`${base}/contacts`);
    assert((await page.locator("#results img").count()) === 0, "no img element in the list");
    assert(alerts.length === 0, `no script ran (${alerts})`);
  }],
  ["delete a group and restore it", async () => {
    await page.goto(`${base}/groups`);
    await page.getByRole("button", { name: "Delete group Navy friends" }).click();
    await page.getByText("Navy friends (deleted)").waitFor();
    await page.getByRole("button", { name: "Restore group Navy friends" }).click();
    await page.getByRole("heading", { name: "Navy friends (1 members)" }).waitFor();
  }],
  ["a sync from a second device appears live", async () => {
    await page.goto(state.grace);
    await page.evaluate(() => { window.__sameDocument = true; });
    // A section the person opened stays open through the update.
    await page.getByText("Edit details").click();
    await page.getByLabel("Organisation").waitFor();
    const id = state.grace.split("/").pop();
    onB("sync", "--addr", cfg.addrA);
    onB("note", id, "Met again at the Computer History Museum", "--kind", "meeting");
    onB("sync", "--addr", cfg.addrA);
    await page.locator("ol.timeline").getByText("Computer History Museum").waitFor({ timeout: 15000 });
    assert(await page.evaluate(() => window.__sameDocument === true), "updated without a reload");
    assert(await page.getByLabel("Organisation").isVisible(), "the open section stayed open");
  }],
  ["the list updates live and search as you type keeps working after it", async () => {
    await page.goto(`${base}/contacts?q=lovelace`);
    await page.evaluate(() => { window.__sameDocument = true; });
    await page.locator("#results").getByText("No contact matches.").waitFor();
    onB("add", "Ada Lovelace", "--org", "Analytical Engine");
    onB("sync", "--addr", cfg.addrA);
    await page.locator("#results").getByRole("link", { name: "Ada Lovelace" }).waitFor({ timeout: 15000 });
    await page.getByLabel("Search").fill("hopper");
    await page.locator("#results").getByRole("link", { name: "Grace Hopper" }).waitFor();
    assert(!(await page.locator("#results").textContent()).includes("Ada Lovelace"), "the new search replaced the results");
    assert(page.url().includes("q=hopper"), "the address follows the search");
    assert(await page.evaluate(() => window.__sameDocument === true), "updated without a reload");
  }],
  ["a conflict made on two devices, resolved in the page", async () => {
    const id = state.grace.split("/").pop();
    onB("sync", "--addr", cfg.addrA);
    // Both devices change the organisation while apart: B from its CLI, A in the page.
    onB("edit", id, "--org", "Naval Reserve");
    await page.goto(state.grace);
    await page.getByText("Edit details").click();
    await page.getByLabel("Organisation").fill("Yale");
    await page.getByRole("button", { name: "Save changes" }).click();
    // The page was already at the card: wait for the saved value, not the address.
    await page.locator("dl.fields").getByText("Yale").waitFor();
    onB("sync", "--addr", cfg.addrA);
    await page.goto(`${base}/conflicts`);
    await page.getByRole("heading", { name: "Grace Hopper – org" }).waitFor();
    await page.getByText("by phone").waitFor();
    await page.getByRole("button", { name: "Keep “Naval Reserve” for org of Grace Hopper" }).click();
    await page.getByText("No conflicts").waitFor();
    await page.goto(state.grace);
    await page.locator("dl.fields").getByText("Naval Reserve").waitFor();
    onB("sync", "--addr", cfg.addrA);
    assert(!onB("conflicts").includes("Naval Reserve"), "B sees it settled too");
  }],
  ["today: a follow-up logged on a card, marked done", async () => {
    await page.goto(state.grace);
    const due = new Date(Date.now() - 3 * 86400000).toISOString().slice(0, 10);
    await page.getByLabel("What happened").fill("Send the COBOL notes");
    await page.getByLabel("Follow up on (YYYY-MM-DD; optional)").fill(due);
    await page.getByRole("button", { name: "Log interaction" }).click();
    await page.locator("ol.timeline").getByText("Send the COBOL notes").waitFor();
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Today" }).click();
    await page.getByRole("heading", { name: "Today" }).waitFor();
    const item = page.locator("li.due-item", { hasText: "Send the COBOL notes" });
    await item.getByText(new RegExp(`^follow-up due ${due}: \\d+ days overdue$`)).waitFor();
    await item.getByRole("button", { name: "Mark follow-up “Send the COBOL notes” for Grace Hopper done" }).click();
    await page.getByText(/^done: follow-up [0-9a-f]+ \(Grace Hopper\)$/).waitFor();
    await page.waitForLoadState(); // the list comes after the text waited for
    assert(await page.locator("li.due-item", { hasText: "Send the COBOL notes" }).count() === 0, "closed");
  }],
  ["today: a contact past its cadence, snoozed", async () => {
    await page.goto(`${base}/contacts`);
    await page.getByText("Add a contact").click();
    await page.getByLabel("Name", { exact: true }).fill("Ada Lovelace");
    await page.getByRole("button", { name: "Add contact" }).click();
    await page.waitForURL(/\/contacts\/[0-9a-f]{16}$/);
    state.ada = page.url();
    await page.getByText("Edit details").click();
    await page.getByLabel("Met on (YYYY-MM-DD)").fill("2020-01-01");
    await page.getByLabel("Keep in touch every (14d, 2w, 6mo, 1y; empty for none)").fill("90d");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.locator("dl.fields").getByText("2020-01-01").waitFor();
    await page.goto(`${base}/today`);
    const item = page.locator("li.due-item", { hasText: "Ada Lovelace" });
    await item.getByText(/^met 2020-01-01 \(no interaction since\), every 90 days: \d+ days overdue$/).waitFor();
    await item.getByLabel("Snooze Ada Lovelace for").selectOption("7d");
    await item.getByRole("button", { name: "Snooze Ada Lovelace", exact: true }).click();
    await page.getByText(/^Ada Lovelace snoozed until \d{4}-\d\d-\d\d/).waitFor();
    await page.waitForLoadState(); // the list comes after the text waited for
    assert(await page.locator("li.due-item", { hasText: "Ada Lovelace" }).count() === 0, "deferred");
    await page.getByLabel("Show").selectOption("30d");
    await page.getByRole("button", { name: "Show" }).click();
    await page.locator("li.due-item", { hasText: "Ada Lovelace" }).waitFor();
  }],
  ["introductions graph and who can introduce me", async () => {
    const grace = state.grace.split("/").pop(), ada = state.ada.split("/").pop();
    onB("sync", "--addr", cfg.addrA);
    onB("introduce", grace, ada, "--set-introduced-by");
    onB("sync", "--addr", cfg.addrA);
    await page.goto(`${base}/introductions`);
    await page.getByRole("heading", { name: "Introductions" }).waitFor();
    const svg = page.locator("figure.graph svg");
    await svg.getByRole("link", { name: "Ada Lovelace" }).waitFor();
    await page.locator("ul.edges").getByText(/introduced/).first().waitFor();
    const html = await page.content();
    assert(html.length < 150 * 1024, `the graph page is light (${html.length} bytes)`);
    await svg.getByRole("link", { name: "Grace Hopper" }).click();
    await page.waitForURL(state.grace);
    await page.goto(state.ada);
    const section = page.locator("section", { has: page.getByRole("heading", { name: "Who can introduce me" }) });
    await section.getByRole("link", { name: "Grace Hopper" }).waitFor();
    await section.getByText(/Grace Hopper knows Ada Lovelace: (both at intro|Ada Lovelace introduced by Grace Hopper)/).waitFor();
  }],
  ["history: a change old to new, the card as it was, revert and undo", async () => {
    await page.goto(state.ada);
    await page.getByText("Edit details").click();
    await page.getByLabel("Title").fill("Countess");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.locator("dl.fields").getByText("Countess").waitFor();
    await page.getByRole("link", { name: "History", exact: true }).click();
    await page.getByRole("heading", { name: "History of Ada Lovelace" }).waitFor();
    const newest = page.locator("li.change").first();
    await newest.getByRole("row", { name: /title/ }).getByText("→ Countess").waitFor();
    await newest.getByText(/by this device/).waitFor();
    // The card as it was one change earlier: no title yet.
    await page.locator("li.change").nth(1).getByRole("link", { name: /The card as it was after change/ }).click();
    await page.getByRole("heading", { name: /^Ada Lovelace as it was at change [0-9a-f]{8}$/ }).waitFor();
    await page.waitForLoadState(); // the list comes after the text waited for
    assert(await page.locator("div.past").getByText("Countess").count() === 0, "no title then");
    await page.getByRole("button", { name: "Revert the card to this point" }).click();
    await page.getByText(/^reverted [0-9a-f]+ +Ada Lovelace to change [0-9a-f]{8}/).waitFor();
    await page.goto(state.ada);
    assert(await page.locator("dl.fields").getByText("Countess").count() === 0, "reverted");
    await page.getByRole("link", { name: "History", exact: true }).click();
    await page.getByRole("button", { name: "Undo my last action" }).click();
    await page.getByText(/^undid `revert/).waitFor();
    await page.goto(state.ada);
    await page.locator("dl.fields").getByText("Countess").waitFor();
  }],
  ["a LinkedIn import with preview, then undo", async () => {
    const file = new URL("../../fixtures/import/linkedin-connections.csv", import.meta.url).pathname;
    await page.goto(`${base}/import`);
    await page.getByLabel("Format").selectOption("linkedin");
    await page.getByLabel("File (at most 64 MiB and 100,000 records)").setInputFiles(file);
    await page.getByRole("button", { name: "Preview import" }).click();
    await page.getByRole("heading", { name: "Preview of linkedin-connections.csv (nothing written yet)" }).waitFor();
    await page.getByText(/^\d+ to create$/).waitFor();
    const before = await page.evaluate(() => fetch("/contacts?q=yocum&partial=1").then((r) => r.text()));
    assert(before.includes("No contact matches."), "the preview wrote nothing");
    await page.getByRole("button", { name: "Apply this import" }).click();
    await page.getByRole("heading", { name: "Imported linkedin-connections.csv" }).waitFor();
    await page.goto(`${base}/contacts?q=yocum`);
    await page.locator("#results").getByRole("link", { name: "Jeanne Yocum" }).waitFor();
    await page.goto(`${base}/import`);
    await page.getByRole("button", { name: "Undo last import" }).click();
    await page.locator("p.done").waitFor();
    await page.goto(`${base}/contacts?q=yocum`);
    await page.getByText("No contact matches.").waitFor();
  }],
  ["export and backup download", async () => {
    await page.goto(`${base}/import`);
    const fetchDownload = async (name) => {
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("link", { name, exact: true }).click(),
      ]);
      return { file: download.suggestedFilename(), bytes: readFileSync(await download.path()) };
    };
    const csv = await fetchDownload("CSV");
    assert(csv.file === "rapport-contacts.csv", csv.file);
    assert(csv.bytes.toString("utf8").includes("Grace Hopper"), "the CSV has Grace");
    const vcf = await fetchDownload("vCard 4.0 (.vcf)");
    assert(vcf.bytes.toString("utf8").startsWith("BEGIN:VCARD"), "a vCard file");
    const json = JSON.parse((await fetchDownload("JSON")).bytes.toString("utf8"));
    assert(json.contacts.some((c) => c.name === "Grace Hopper"), "the JSON has Grace");
    const backup = await fetchDownload("Download a backup");
    // Automerge's magic bytes start every saved document.
    assert(backup.bytes.subarray(0, 4).equals(Buffer.from([0x85, 0x6f, 0x4a, 0x83])), "an Automerge document");
  }],
  ["pairing shown with its QR code, then paired", async () => {
    await page.goto(`${base}/devices`);
    await page.getByRole("button", { name: "Pair a new device" }).click();
    await page.getByRole("img", { name: "QR code of the pairing link" }).waitFor();
    const code = (await page.locator(".pair-code").textContent()).trim();
    assert(/^\d+-[a-z]+-[a-z]+$/.test(code), `a pairing code is shown (${code})`);
    const port = (await page.locator(".pair-addr").first().textContent()).trim().split(":").pop();
    await page.getByText("Waiting for the new device").waitFor();
    // A third device joins with the code; the open page turns to "Paired" by itself.
    execFileSync(cfg.bin, ["--home", cfg.homeC, "join", code, "--addr", `127.0.0.1:${port}`, "--name", "tablet"],
      { encoding: "utf8", timeout: 60000 });
    await page.getByText("Paired.").waitFor({ timeout: 15000 });
    await page.getByRole("cell", { name: "tablet", exact: true }).waitFor();
  }],
  ["quarantined deletions from another device, rejected in the page", async () => {
    const grace = state.grace.split("/").pop(), ada = state.ada.split("/").pop();
    execFileSync(cfg.bin, ["--home", cfg.homeA, "quarantine", "threshold", "--max", "1"], { encoding: "utf8", timeout: 30000 });
    onB("sync", "--addr", cfg.addrA);
    onB("rm", grace);
    onB("rm", ada);
    onB("sync", "--addr", cfg.addrA);
    await page.goto(`${base}/devices`);
    await page.getByText("2 records deleted on another device are held back here").waitFor();
    await page.locator("ul.held").getByText("Grace Hopper").waitFor();
    await page.getByRole("button", { name: "Reject: restore them on every device" }).click();
    await page.getByText(/^rejected: restored 2 records/).waitFor();
    await page.goto(state.grace);
    assert(await page.getByText("(in the trash)").count() === 0, "Grace is back");
  }],
  ["text zoom 200 %: no sideways scrolling, controls in reach", async () => {
    // Chromium zoomed to 200 % in a 1280 px window lays pages out in 640 CSS px drawn twice
    // as large: the same as this emulation.
    const cdp = await context.newCDPSession(page);
    await cdp.send("Emulation.setDeviceMetricsOverride", { width: 640, height: 400, deviceScaleFactor: 2, mobile: false });
    try {
      const pages = [
        [`${base}/contacts`, [page.getByLabel("Search"), page.getByRole("button", { name: "Add ticked to group" })]],
        [state.grace, [page.getByLabel("What happened"), page.getByRole("button", { name: "Log interaction" }),
          page.getByRole("button", { name: "Add tag" })]],
      ];
      for (const [url, controls] of pages) {
        await page.goto(url);
        const sideways = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert(sideways <= 1, `${url} scrolls sideways by ${sideways} px at 200 %`);
        for (const control of controls) {
          await control.scrollIntoViewIfNeeded();
          const box = await control.boundingBox();
          assert(box && box.x >= 0 && box.x + box.width <= 641, `${control} is out of reach at 200 % (${JSON.stringify(box)})`);
        }
      }
    } finally {
      await cdp.send("Emulation.clearDeviceMetricsOverride");
      await cdp.detach();
    }
  }],
  ["devices: sync status, then revoke with a confirmation", async () => {
    await page.goto(`${base}/devices`);
    const phone = page.getByRole("row", { name: /phone/ });
    await phone.getByText(/^trusted, (equal|ahead)$/).waitFor();
    await phone.getByText(/received since the last/).waitFor();
    await phone.getByRole("link", { name: "Revoke phone" }).click();
    await page.getByRole("heading", { name: "Revoke phone?" }).waitFor();
    await page.getByRole("button", { name: "Revoke phone" }).click();
    await page.getByText(/^revoked phone \(/).waitFor();
    await page.getByRole("row", { name: /phone/ }).getByText(/^revoked/).waitFor();
    let refused = false;
    try { onB("sync", "--addr", cfg.addrA); } catch (_) { refused = true; }
    assert(refused, "the revoked phone can no longer sync");
  }],
];

const failed = [];
for (const [name, run] of flows) {
  if (cfg.only && name !== "sign in" && !name.includes(cfg.only)) continue;
  const started = Date.now();
  try {
    await run();
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    failed.push(name);
    const slug = name.replace(/[^a-z0-9]+/gi, "-");
    console.log(`FAIL ${name}: ${e.message.split("\n")[0]}`);
    try {
      await page.screenshot({ path: join(cfg.artefacts, `${slug}.png`), fullPage: true });
      writeFileSync(join(cfg.artefacts, `${slug}.html`), await page.content());
    } catch (_) { /* the page may be gone */ }
  }
}
if (cfg.screenshot) {
  await page.setViewportSize({ width: 1100, height: 700 });
  await page.goto(`${base}/contacts`);
  await page.screenshot({ path: cfg.screenshot });
}
await close();
if (failed.length) {
  console.log(`failed flows: ${failed.join(", ")} (screenshots in ${cfg.artefacts})`);
  process.exit(1);
}
