// The browser replica's storage in IndexedDB, shaped as rapport-store's in sled: one snapshot
// (the whole document) and the change chunks appended after it, folded into a new snapshot
// when they grow (compaction). Every write is one transaction with durability "strict", and a
// write resolves only when its transaction completes: that is when an edit may show as saved.
//
// Beside them, the read view (view.js): the contact list's rows as the replica's index gives
// them (crates/wasm `Row`), so that the list and search show before the document is loaded.
// It is stored like the document: a base (all rows, one JSON text, rewritten at compaction) and
// the rows changed since (store "view", by contact id), with the document heads it reflects
// ("viewHeads"). Each edit's rows are written in the same transaction as its change chunk, so
// the view and the chunks never disagree. A chunk appended without rows (or a failed check)
// deletes "viewHeads": the view is then stale, and rebuilt from the document once it loads.

const DB_NAME = "rapport";
const DB_VERSION = 2;
// Fold chunks into a snapshot at this many chunks, or when they reach a quarter of the
// snapshot's size (and at least 1 MiB): the store's thresholds (crates/store compact.rs).
const COMPACT_CHUNKS = 128;
const COMPACT_RATIO = 4;
const COMPACT_MIN_BYTES = 1 << 20;

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("the storage transaction was aborted"));
  });
}

export async function open() {
  const req = indexedDB.open(DB_NAME, DB_VERSION);
  req.onupgradeneeded = (event) => {
    const db = req.result;
    if (event.oldVersion < 1) {
      // meta: "device" (the CryptoKeyPair; its private key is not extractable), "snapshot",
      // and the view's "viewBase", "viewHeads" and "viewInfo" ({vault, device}).
      db.createObjectStore("meta");
      db.createObjectStore("chunks", { autoIncrement: true });
    }
    // A version 1 database has no view: it is built from the document at the next load.
    if (event.oldVersion < 2) db.createObjectStore("view");
  };
  return new Storage(await request(req));
}

// Writes a view delta (crates/wasm `ViewDelta`; `text` is its JSON) into an open transaction
// over "meta" and "view".
function putView(tx, delta, text) {
  const meta = tx.objectStore("meta");
  const rows = tx.objectStore("view");
  if (delta.full) {
    meta.put(text, "viewBase");
    rows.clear();
  } else {
    for (const row of delta.rows) rows.put(row, row.id);
    for (const id of delta.gone) rows.put({ id, gone: true }, id);
  }
  meta.put(delta.heads, "viewHeads");
}

// The stored view, read in one transaction: null when this browser holds no vault; `base`
// (JSON text) and `heads` are undefined when it has none or it is stale.
export async function readView(db) {
  const tx = db.transaction(["meta", "view"], "readonly");
  const meta = tx.objectStore("meta");
  const [device, base, heads, info, rows] = await Promise.all([
    request(meta.getKey("device")), request(meta.get("viewBase")), request(meta.get("viewHeads")),
    request(meta.get("viewInfo")), request(tx.objectStore("view").getAll()),
  ]);
  if (device === undefined) return null;
  return { base: heads && base, heads, info, rows };
}

class Storage {
  constructor(db) {
    this.db = db;
    this.pendingChunks = 0;
    this.pendingBytes = 0;
    this.snapshotBytes = 0;
  }

  // The view's heads, or undefined when the stored view is missing or stale.
  async viewHeads() {
    return this.get("viewHeads");
  }

  // Replaces the whole view (after a load found it missing or stale), with the vault's and
  // device's ids for the page to show before the document loads.
  async writeView(delta, text, info) {
    const tx = this.db.transaction(["meta", "view"], "readwrite", { durability: "strict" });
    putView(tx, delta, text);
    tx.objectStore("meta").put(info, "viewInfo");
    await done(tx);
  }

  async get(key) {
    const tx = this.db.transaction("meta", "readonly");
    return request(tx.objectStore("meta").get(key));
  }

  async put(key, value) {
    const tx = this.db.transaction("meta", "readwrite", { durability: "strict" });
    tx.objectStore("meta").put(value, key);
    await done(tx);
  }

  // The snapshot and every chunk, in the order they were appended, read in one transaction.
  async load() {
    const tx = this.db.transaction(["meta", "chunks"], "readonly");
    const snapshot = await request(tx.objectStore("meta").get("snapshot"));
    const chunks = await request(tx.objectStore("chunks").getAll());
    this.snapshotBytes = snapshot ? snapshot.byteLength : 0;
    this.pendingChunks = chunks.length;
    this.pendingBytes = chunks.reduce((n, c) => n + c.byteLength, 0);
    return { snapshot, chunks };
  }

  // A new vault: the device key, the first snapshot and its view ({delta, text, info}),
  // together, or none of them.
  async create(device, snapshot, view) {
    const tx = this.db.transaction(["meta", "chunks", "view"], "readwrite", { durability: "strict" });
    tx.objectStore("meta").put(device, "device");
    tx.objectStore("meta").put(snapshot, "snapshot");
    tx.objectStore("chunks").clear();
    // Without a view (e.g. a vault fetched whole by sync), it is built once the document loads.
    if (view) {
      putView(tx, view.delta, view.text);
      tx.objectStore("meta").put(view.info, "viewInfo");
    } else {
      for (const key of ["viewBase", "viewHeads", "viewInfo"]) tx.objectStore("meta").delete(key);
    }
    tx.objectStore("view").clear();
    await done(tx);
    this.snapshotBytes = snapshot.byteLength;
    this.pendingChunks = 0;
    this.pendingBytes = 0;
  }

  // One edit's change chunk and, when given, its view delta ({delta, text}), in one
  // transaction. Without a delta the stored view no longer reflects the document: its heads go.
  async append(chunk, view) {
    const tx = this.db.transaction(["chunks", "meta", "view"], "readwrite", { durability: "strict" });
    tx.objectStore("chunks").add(chunk);
    if (view) putView(tx, view.delta, view.text);
    else tx.objectStore("meta").delete("viewHeads");
    await done(tx);
    this.pendingChunks += 1;
    this.pendingBytes += chunk.byteLength;
  }

  compactionDue() {
    return this.pendingChunks >= COMPACT_CHUNKS ||
      this.pendingBytes >= Math.max(COMPACT_MIN_BYTES, this.snapshotBytes / COMPACT_RATIO);
  }

  // Replaces the snapshot and drops the chunks it holds, in one transaction; with the whole
  // view ({delta, text}, `full`), the view's base is rewritten and its changed rows dropped.
  // Without it the view is marked stale (this snapshot may come from elsewhere, e.g. a sync).
  async compact(snapshot, view) {
    const tx = this.db.transaction(["meta", "chunks", "view"], "readwrite", { durability: "strict" });
    tx.objectStore("meta").put(snapshot, "snapshot");
    tx.objectStore("chunks").clear();
    if (view) putView(tx, view.delta, view.text);
    else tx.objectStore("meta").delete("viewHeads");
    await done(tx);
    this.snapshotBytes = snapshot.byteLength;
    this.pendingChunks = 0;
    this.pendingBytes = 0;
  }
}
