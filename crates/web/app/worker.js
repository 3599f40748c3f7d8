// The Worker that owns the replica: the wasm instance (rapport-model compiled to WebAssembly)
// and the storage. The page sends {id, op, args} and gets {id, ok, value | error} back. Edits
// run one at a time, each answered only once its change bytes are durable in IndexedDB. If
// the instance traps (a WebAssembly.RuntimeError), the Worker tells the page, which restarts
// it: a new instance loads from storage, which holds every edit that was answered.
//
// The page shows the list and searches from the stored read view (view.js) while this Worker
// loads the document; edits and cards wait here until it is loaded (`started`). Each edit's
// view rows are stored with its change chunk and posted to the page ({view}) once durable,
// before the edit's answer. {ready} says the document is loaded.

import init, { Replica, panicGuardWorks } from "./pkg/rapport_wasm.js";
import * as storage from "./storage.js";
import * as sync from "./sync.js";

let store = null;
let replica = null;
let spki = null;
let queue = Promise.resolve();
let panicGuard = false;
let wasmMemory = null;

async function deviceKey() {
  const pair = await crypto.subtle.generateKey(
    { name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
  // Only the public key leaves: its SPKI is this browser's device id (blake3 in the model).
  return pair;
}

async function spkiOf(pair) {
  return new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
}

function concat(chunks) {
  const total = chunks.reduce((n, c) => n + c.byteLength, 0);
  const all = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    all.set(new Uint8Array(c), at);
    at += c.byteLength;
  }
  return { all, lengths: Uint32Array.from(chunks, (c) => c.byteLength) };
}

// Reads the vault from storage into a new replica (at start, and for `stored`).
async function loadFromStorage() {
  const pair = await store.get("device");
  if (!pair) return null;
  const key = await spkiOf(pair);
  const { snapshot, chunks } = await store.load();
  const { all, lengths } = concat(chunks);
  return { key, replica: Replica.load(key, new Uint8Array(snapshot), all, lengths) };
}

// The read view's rows changed since the last call ({delta, text}: crates/wasm `ViewDelta`).
function takeView(r) {
  const text = r.takeView();
  return { delta: JSON.parse(text), text };
}

function vaultInfo(r) {
  return { vault: r.vaultId(), device: r.deviceId() };
}

// Tells the page about rows that are now durable.
function postView(view) {
  self.postMessage({ view: view.delta, info: vaultInfo(replica) });
}

// The stored view must reflect the loaded document's heads; if not (missing, or a chunk was
// stored without its rows), it is rebuilt from the document and replaces the page's.
// With `resend`, the page gets the whole view even when the stored one is current.
async function checkView(resend = false) {
  const stored = await store.viewHeads();
  const heads = replica.heads();
  if (stored && stored.length === heads.length && stored.every((h) => heads.includes(h))) {
    replica.markViewStored();
    if (resend) postView({ delta: JSON.parse(replica.fullView()) });
    return;
  }
  const view = takeView(replica);
  await store.writeView(view.delta, view.text, vaultInfo(replica));
  postView(view);
}

// One queue for everything that writes the replica and storage: edits and sync steps.
function serial(fn) {
  const result = queue.then(fn);
  queue = result.catch(() => {});
  return result;
}

async function start() {
  wasmMemory = (await init()).memory;
  panicGuard = panicGuardWorks();
  store = await storage.open();
  const loaded = await loadFromStorage();
  if (loaded) {
    ({ key: spki, replica } = loaded);
    await checkView();
  }
  sync.configure({
    store: () => store,
    replica: () => replica,
    spki: () => spki,
    // A fetched vault: its read view is stored and sent to the page before it is shown.
    adopt: async (fresh, key) => {
      [spki, replica] = [key, fresh];
      await checkView();
    },
    persist: (change) => persistBytes(change),
    serial,
    post: (message) => self.postMessage(message),
  });
  // Only a paired browser syncs (one that created its own vault knows no daemon), and only
  // with the panic guard: a malformed bundle from a peer must be refused, not trap.
  if (replica && panicGuard && await store.get("daemon")) sync.run();
  self.postMessage({ ready: true });
}

const started = start();

function counts(r) {
  const [contacts, interactions] = JSON.parse(r.counts());
  return { contacts, interactions };
}

function status() {
  if (!replica) return { vault: null, panicGuard };
  return { vault: replica.vaultId(), device: replica.deviceId(), panicGuard, ...counts(replica) };
}

// Appends change bytes (an edit's, or what sync received), compacting when due.
async function persistBytes(change) {
  try {
    if (change.byteLength > 0) {
      const view = takeView(replica);
      await store.append(change, view);
      postView(view);
    }
    if (store.compactionDue()) {
      // The whole view becomes the view's new base (its heads are the snapshot's).
      const snapshot = replica.snapshot();
      const text = replica.fullView();
      await store.compact(snapshot, { delta: { full: true, heads: replica.heads() }, text });
    }
  } catch (e) {
    // The replica in memory is now ahead of storage, and the next edit's bytes would depend on
    // this lost one: restart from storage instead.
    const lost = new Error(`This edit was not saved (${e && e.message || e}); the app restarts from what is saved.`);
    lost.restart = true;
    throw lost;
  }
}

// Persists one edit's change; the answer waits for the transaction, then sync sends it.
async function persist(edit) {
  const change = edit.change;
  const id = edit.id;
  edit.free();
  await persistBytes(change);
  sync.localChange();
  return { id: id ?? null };
}

function needVault() {
  if (!replica) throw new Error("This browser holds no vault yet: create one first.");
  return replica;
}

const reads = {
  status: () => status(),
  list: (offset, limit) => JSON.parse(needVault().list(offset, limit)),
  search: (query, limit) => JSON.parse(needVault().search(query, limit)),
  card: (contact) => JSON.parse(needVault().card(contact)),
  // The WebAssembly instance's memory (the document and its index), for the benchmark.
  memory: () => ({ wasmBytes: wasmMemory.buffer.byteLength }),
  // The whole read view as the document gives it (to check the stored one against).
  fullView: () => JSON.parse(needVault().fullView()),
  sync: () => sync.status(),
  syncNow: () => { sync.kick(); return sync.status(); },
  conflicts: () => JSON.parse(needVault().conflicts()),
  // What storage holds, read back through a fresh replica (not this one's memory).
  stored: async () => {
    const loaded = await loadFromStorage();
    if (!loaded) return { contacts: 0, interactions: 0 };
    const c = counts(loaded.replica);
    loaded.replica.free();
    return c;
  },
};

const edits = {
  create: async (deviceName) => {
    if (replica) throw new Error("This browser already holds a vault.");
    const pair = await deviceKey();
    const key = await spkiOf(pair);
    const fresh = Replica.create(key, deviceName, Date.now());
    const view = takeView(fresh);
    await store.create(pair, fresh.snapshot(), { ...view, info: vaultInfo(fresh) });
    [spki, replica] = [key, fresh];
    postView(view);
    return status();
  },
  // The page holds no view of the vault this Worker holds (e.g. one that arrived by sync
  // after the page read storage): store it if stale, and send it whole.
  refreshView: async () => {
    if (replica) await checkView(true);
    return null;
  },
  // Pairs with the device that shows a code (its QR link, or the code alone on a page that
  // device serves), then syncs.
  pair: async (invitation, deviceName) => {
    if (replica) throw new Error("This browser already holds a vault.");
    if (!panicGuard) throw new Error("This browser cannot contain a panic in the WebAssembly module, so it cannot sync safely.");
    const pair = await deviceKey();
    await sync.pair(invitation, deviceName, pair, await spkiOf(pair));
    sync.run();
    return status();
  },
  addContact: (name, emails, tags) =>
    persist(needVault().addContact(name, emails, tags, Date.now())),
  logInteraction: (contact, withWhom, kind, text, place) =>
    persist(needVault().logInteraction(contact, withWhom, kind, text, place || undefined, Date.now())),
  tag: (contact, add, remove) => persist(needVault().tag(contact, add, remove, Date.now())),
  setTrust: (contact, trust) => persist(needVault().setTrust(contact, trust, Date.now())),
};

function fatal(e) {
  // A trapped instance cannot be trusted with another call: the page restarts the Worker.
  return e instanceof WebAssembly.RuntimeError || Boolean(e && e.restart);
}

self.onmessage = (event) => {
  const { id, op, args } = event.data;
  const run = async () => {
    await started;
    if (op in reads) return reads[op](...args);
    if (op in edits) {
      // One edit at a time, in order: each one's bytes follow the previous one's.
      const result = queue.then(() => edits[op](...args));
      queue = result.catch(() => {});
      return result;
    }
    throw new Error(`unknown operation ${op}`);
  };
  run().then(
    (value) => self.postMessage({ id, ok: true, value }),
    (e) => self.postMessage({ id, ok: false, error: String(e && e.message || e), fatal: fatal(e) }),
  );
};
