// The browser replica's storage in IndexedDB, shaped as rapport-store's in sled: one snapshot
// (the whole document) and the change chunks appended after it, folded into a new snapshot
// when they grow (compaction). Every write is one transaction with durability "strict", and a
// write resolves only when its transaction completes: that is when an edit may show as saved.

const DB_NAME = "rapport";
const DB_VERSION = 1;
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
  req.onupgradeneeded = () => {
    const db = req.result;
    // meta: "device" (the CryptoKeyPair; its private key is not extractable), "snapshot".
    db.createObjectStore("meta");
    db.createObjectStore("chunks", { autoIncrement: true });
  };
  return new Storage(await request(req));
}

class Storage {
  constructor(db) {
    this.db = db;
    this.pendingChunks = 0;
    this.pendingBytes = 0;
    this.snapshotBytes = 0;
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

  // A new vault: the device key and the first snapshot, together, or neither.
  async create(device, snapshot) {
    const tx = this.db.transaction(["meta", "chunks"], "readwrite", { durability: "strict" });
    tx.objectStore("meta").put(device, "device");
    tx.objectStore("meta").put(snapshot, "snapshot");
    tx.objectStore("chunks").clear();
    await done(tx);
    this.snapshotBytes = snapshot.byteLength;
    this.pendingChunks = 0;
    this.pendingBytes = 0;
  }

  async append(chunk) {
    const tx = this.db.transaction("chunks", "readwrite", { durability: "strict" });
    tx.objectStore("chunks").add(chunk);
    await done(tx);
    this.pendingChunks += 1;
    this.pendingBytes += chunk.byteLength;
  }

  compactionDue() {
    return this.pendingChunks >= COMPACT_CHUNKS ||
      this.pendingBytes >= Math.max(COMPACT_MIN_BYTES, this.snapshotBytes / COMPACT_RATIO);
  }

  // Replaces the snapshot and drops the chunks it holds, in one transaction.
  async compact(snapshot) {
    const tx = this.db.transaction(["meta", "chunks"], "readwrite", { durability: "strict" });
    tx.objectStore("meta").put(snapshot, "snapshot");
    tx.objectStore("chunks").clear();
    await done(tx);
    this.snapshotBytes = snapshot.byteLength;
    this.pendingChunks = 0;
    this.pendingBytes = 0;
  }
}
