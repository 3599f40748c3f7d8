// The page: views over the replica that the Worker owns. Nothing here touches the vault;
// every edit and card is a message to the Worker (`call`). An edit shows as saved only when the
// Worker answers, which it does once the change is durable. The list, search and status come
// from the read view (view.js), read from IndexedDB at start and kept current by the Worker's
// {view} messages, so they show before the Worker has loaded the document.

import { View } from "./view.js";

const TRUST = ["stranger", "acquainted", "met", "worked-with", "trusted"];
const KINDS = ["met", "call", "message", "email", "meeting", "event", "intro", "note"];
const PAGE = 50;

let worker = null;
let nextId = 1;
const waiting = new Map();
const view = new View();
const viewLoaded = view.load();
// Whether the Worker has loaded the document (edits and cards wait for it until then).
let loaded = false;

function startWorker() {
  loaded = false;
  worker = new Worker("worker.js", { type: "module" });
  worker.onmessage = (event) => {
    if (event.data.view) return view.apply(event.data.view, event.data.info);
    if (event.data.ready) {
      loaded = true;
      return;
    }
    if (event.data.sync) return showSync(event.data.sync);
    if (event.data.changed) return changedElsewhere();
    if (event.data.restart) return restartWorker();
    const { id, ok, value, error, fatal } = event.data;
    const w = waiting.get(id);
    if (!w) return;
    waiting.delete(id);
    if (ok) w.resolve(value);
    else w.reject(new Error(error));
    if (fatal) restartWorker();
  };
  worker.onerror = () => restartWorker();
}

// A trapped instance is replaced by a fresh one that loads what storage holds.
function restartWorker() {
  worker.terminate();
  for (const w of waiting.values()) w.reject(new Error("The app restarted: that action was not saved."));
  waiting.clear();
  startWorker();
  route();
}

// Reads the view answers without the Worker.
const viewReads = {
  list: (offset, limit) => view.list(offset, limit),
  search: (query, limit) => view.search(query, limit),
};

function call(op, ...args) {
  if (op in viewReads) return viewReads[op](...args);
  const id = nextId++;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    worker.postMessage({ id, op, args });
  });
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

function field(label, input) {
  return el("div", { class: "field" }, el("label", {}, label, " ", input));
}

function list(text) {
  return text.split(",").map((s) => s.trim()).filter(Boolean);
}

function show(...nodes) {
  const main = document.getElementById("main");
  main.replaceChildren(...nodes);
}

function say(text) {
  document.getElementById("saved").textContent = text;
}

// Runs an edit from a form: the button stays busy and "Saved" appears only after the Worker
// answered, that is once the change is durable in IndexedDB.
function editForm(form, action) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    const error = form.querySelector(".error");
    button.disabled = true;
    error.textContent = "";
    say(loaded ? "Saving…" : "Saving (waiting for the vault to finish loading)…");
    try {
      await action(new FormData(form));
      say("Saved.");
    } catch (e) {
      error.textContent = e.message;
      say("");
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

function rowView(row) {
  return el("tr", { "data-id": row.id },
    el("td", {}, el("a", { href: `#/c/${row.id}` }, row.name)),
    el("td", {}, row.org || ""),
    el("td", {}, row.email || ""),
    el("td", {}, row.tags.map((t) => el("span", { class: "tag" }, t))),
    el("td", {}, row.trust || ""),
    el("td", { class: "count" }, row.interactions));
}

async function contactsView() {
  const input = el("input", { type: "search", id: "search", autocomplete: "off", placeholder: "name, email, tag" });
  const body = el("tbody");
  const summary = el("p", { id: "summary" });
  const render = async () => {
    const q = input.value.trim();
    if (q) {
      const rows = await call("search", q, PAGE);
      body.replaceChildren(...rows.map(rowView));
      summary.textContent = rows.length === PAGE ? `First ${PAGE} matches` : `${rows.length} matching`;
    } else {
      const { rows, total } = await call("list", 0, PAGE);
      body.replaceChildren(...rows.map(rowView));
      summary.textContent = `${total} contacts`;
    }
  };
  input.addEventListener("input", render);
  show(el("h1", {}, "Contacts"), field("Search", input), summary,
    el("table", { class: "contacts" },
      el("thead", {}, el("tr", {}, ["Name", "Organisation", "Email", "Tags", "Trust", "Notes"].map((h) => el("th", {}, h)))),
      body));
  await render();
  input.focus();
}

function addView() {
  const form = el("form", { id: "add-contact" },
    field("Name", el("input", { name: "name", required: true })),
    field("Emails (comma-separated)", el("input", { name: "emails" })),
    field("Tags (comma-separated)", el("input", { name: "tags" })),
    el("p", { class: "error", role: "alert" }),
    el("button", { type: "submit" }, "Add contact"));
  editForm(form, async (data) => {
    const { id } = await call("addContact", data.get("name"), list(data.get("emails")), list(data.get("tags")));
    location.hash = `#/c/${id}`;
  });
  show(el("h1", {}, "Add a contact"), form);
}

async function cardView(id) {
  if (!loaded) show(el("p", { class: "loading" }, "Opening the card once the vault has loaded…"));
  const { contact, timeline } = await call("card", id);
  const refresh = () => cardView(id);
  const note = editForm(el("form", { id: "log" },
    field("Kind", el("select", { name: "kind" }, KINDS.map((k) => el("option", { value: k }, k)))),
    field("What happened", el("textarea", { name: "text", required: true })),
    field("Where", el("input", { name: "place" })),
    field("With (names, comma-separated)", el("input", { name: "with" })),
    el("p", { class: "error", role: "alert" }),
    el("button", { type: "submit" }, "Log it")), async (data) => {
    await call("logInteraction", id, list(data.get("with")), data.get("kind"), data.get("text"), data.get("place"));
    await refresh();
  });
  const tags = editForm(el("form", { id: "tags", class: "inline" },
    field("Add tags", el("input", { name: "add" })),
    field("Remove tags", el("input", { name: "remove" })),
    el("p", { class: "error", role: "alert" }),
    el("button", { type: "submit" }, "Save tags")), async (data) => {
    await call("tag", id, list(data.get("add")), list(data.get("remove")));
    await refresh();
  });
  const trust = editForm(el("form", { id: "trust", class: "inline" },
    field("Trust", el("select", { name: "trust" }, TRUST.map((t) =>
      el("option", { value: t, selected: t === contact.trust }, t)))),
    el("p", { class: "error", role: "alert" }),
    el("button", { type: "submit" }, "Set trust")), async (data) => {
    await call("setTrust", id, data.get("trust"));
    await refresh();
  });
  const facts = [["Emails", contact.emails.join(", ")], ["Tags", contact.tags.join(", ")],
    ["Trust", contact.trust || ""], ["Organisation", contact.org || ""]];
  show(
    el("h1", {}, contact.name),
    el("dl", { class: "fields" }, facts.map(([k, v]) => el("div", { class: "row" }, el("dt", {}, k), el("dd", {}, v)))),
    el("h2", {}, "Log an interaction"), note,
    el("h2", {}, "Tags and trust"), tags, trust,
    el("h2", {}, `Timeline (${timeline.length})`),
    el("ol", { class: "timeline", id: "timeline" }, timeline.map((i) => el("li", {},
      el("p", {}, `${new Date(i.at).toLocaleString()} · ${i.kind}${i.place ? ` · ${i.place}` : ""}${i.with.length ? ` · with ${i.with.join(", ")}` : ""}`),
      el("p", {}, i.text)))));
}

// The sync state in the header: live with a daemon, or why not.
function showSync(sync) {
  const node = document.getElementById("sync");
  if (!node) return;
  const when = sync.lastSync ? ` · synced ${new Date(sync.lastSync).toLocaleTimeString()}` : "";
  const text = { live: "synced, live", connecting: "connecting…", offline: "offline", paired: "paired" }[sync.phase] || "";
  node.textContent = text ? `${text}${when}` : "";
  node.dataset.phase = sync.phase;
  node.title = sync.detail || "";
}

// Changes arrived from another device: lists re-read; a card with a form being typed in waits.
function changedElsewhere() {
  const hash = location.hash || "#/";
  const typing = document.activeElement && ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName) &&
    document.activeElement.id !== "search";
  if (!typing && (hash === "#/" || hash === "#/conflicts")) route();
}

async function conflictsView() {
  const conflicts = await call("conflicts");
  const value = (w) => `${JSON.stringify(w.value)} (device ${String(w.device || "").slice(0, 7)})`;
  show(el("h1", {}, "Conflicts"),
    el("p", { id: "conflict-summary" }, conflicts.length ? `${conflicts.length} fields with concurrent values` : "No conflicts."),
    el("ul", { id: "conflicts" }, conflicts.map((c) => el("li", { "data-field": c.field },
      el("strong", {}, c.name), ` · ${c.field}: shows ${value(c.winner)}; also ${c.others.map(value).join(", ")}`))));
}

// A pairing link opened from a QR code: the app's address with `#pair?…` (the code, the
// daemon's WebTransport addresses and certificate hashes). A fragment never reaches the server
// that hosts the app; it is taken out of the address bar and history at once.
let invitation = "";
if (location.hash.startsWith("#pair?")) {
  invitation = location.href;
  history.replaceState(null, "", `${location.pathname}${location.search}#/`);
}

function pairForm() {
  const form = el("form", { id: "pair" },
    field("Pairing code or link", el("input", { name: "code", required: true, autocomplete: "off", placeholder: "7-harbor-velvet", value: invitation })),
    field("This device's name", el("input", { name: "device", required: true, value: "phone" })),
    el("p", { class: "error", role: "alert" }),
    el("button", { type: "submit" }, "Pair"));
  editForm(form, async (data) => {
    say("Pairing…");
    await call("pair", data.get("code"), data.get("device"));
    invitation = "";
    location.hash = "#/";
    await route();
  });
  return form;
}

function createView() {
  const form = el("form", { id: "create" },
    field("This device's name", el("input", { name: "device", required: true, value: "phone" })),
    el("p", { class: "error", role: "alert" }),
    el("button", { type: "submit" }, "Create a new vault"));
  editForm(form, async (data) => {
    await call("create", data.get("device"));
    location.hash = "#/";
    await route();
  });
  show(el("h1", {}, "Start"),
    el("h2", {}, "Pair with a device"),
    el("p", {}, invitation
      ? "This pairing link says where your computer is and how to check it is the one. Name this device and pair."
      : "On your computer, run `rapport pair` (or open Devices in its web app) and scan the QR code it shows, or paste its link here. On a page that computer serves itself, its code alone is enough. This browser becomes a device of that vault, stores a copy, and keeps it in sync whenever it can reach that computer."),
    pairForm(),
    el("h2", {}, "Or start a new vault"),
    el("p", {}, "Create one here, with this browser as its first device; it keeps working with no network."),
    form);
}

// The vault's and device's ids from the view when it knows them, else from the Worker.
async function vaultStatus() {
  await viewLoaded;
  if (view.info) return view.info;
  const status = await call("status");
  // A vault the page's view does not know yet (it arrived after the page read storage).
  if (status.vault && view.info === null) await call("refreshView");
  return status;
}

async function route() {
  try {
    const status = await vaultStatus();
    if (!status.vault) return createView();
    document.getElementById("device").textContent = `device ${status.device.slice(0, 7)}`;
    const hash = location.hash || "#/";
    if (hash === "#/new") return addView();
    if (hash === "#/conflicts") return await conflictsView();
    if (hash.startsWith("#/c/")) return await cardView(decodeURIComponent(hash.slice(4)));
    return await contactsView();
  } catch (e) {
    show(el("p", { class: "error", role: "alert" }, e.message));
  }
}

// Handles for tests and for the console: what storage holds, read back by a fresh replica.
window.rapportApp = {
  call,
  // The page's view beside the one the document gives (and the one storage holds, read anew):
  // all three must be the same rows in the same order.
  checkView: async () => {
    const fromDoc = await call("fullView");
    const stored = await new View().load();
    const same = (rows) => JSON.stringify(rows) === JSON.stringify(fromDoc.rows);
    return { rows: fromDoc.rows.length, page: same(view.rows), stored: same(stored.rows),
      heads: JSON.stringify(stored.heads) === JSON.stringify(fromDoc.heads) };
  },
  loaded: () => loaded,
  stored: () => call("stored"),
  status: () => call("status"),
  sync: () => call("sync"),
  syncNow: () => call("syncNow"),
  offlineReady: "serviceWorker" in navigator
    ? navigator.serviceWorker.register("sw.js").then(() => navigator.serviceWorker.ready)
    : Promise.reject(new Error("this browser has no service workers: the app needs a secure context")),
  persisted: navigator.storage && navigator.storage.persist ? navigator.storage.persist() : Promise.resolve(false),
};

startWorker();
window.addEventListener("hashchange", route);
route();
