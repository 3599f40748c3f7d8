// The read view, in the page: the contact list's rows (crates/wasm `Row`: name, organisation,
// first email, tags, trust, interaction count, and the lowercased text a search looks in), read
// from IndexedDB at start (storage.js `readView`), so that the list and search as you type show
// before the Worker has loaded the document, and never wait for it.
//
// The Worker keeps it current: after each edit is durable (its rows written in the same
// transaction as its change chunk) it posts the edit's view delta, which `apply` merges, before
// it answers the edit. So this view never shows an edit that is not saved.

import * as storage from "./storage.js";

// Code point order, as Rust compares strings (JavaScript's `<` compares UTF-16 units, which
// puts U+E000..U+FFFF after astral characters): the list's order must be the replica's.
function compareText(a, b) {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const surrogate = (c) => c >= 0xd800 && c <= 0xdfff;
    if (surrogate(x) !== surrogate(y)) return surrogate(x) ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

function compareRows(a, b) {
  return compareText(a.sort, b.sort) || compareText(a.id, b.id);
}

export class View {
  constructor() {
    // null: this browser holds no vault; otherwise {vault, device} once known.
    this.info = undefined;
    this.rows = null;
    this.heads = null;
    this.readyResolve = null;
    this.ready = new Promise((resolve) => { this.readyResolve = resolve; });
    // Deltas that arrive while the stored view is being read, applied after it (a delta is
    // idempotent: rows replace rows by id).
    this.early = [];
  }

  // Reads the stored view. When the browser holds a vault but no current view (a first start
  // after an upgrade, or a chunk stored without its rows), the rows stay unknown until the
  // Worker has loaded the document and sends the whole view.
  async load() {
    const s = await storage.open();
    const stored = await storage.readView(s.db);
    s.db.close();
    const early = this.early;
    this.early = null;
    if (stored === null) {
      if (this.info === undefined) this.info = null;
    } else {
      this.info ??= stored.info;
      if (stored.base !== undefined) {
        this.rows = JSON.parse(stored.base).rows;
        this.heads = stored.heads;
        this.merge(stored.rows.filter((r) => !r.gone), stored.rows.filter((r) => r.gone).map((r) => r.id));
      }
    }
    for (const [delta, info] of early) this.apply(delta, info);
    if (this.info === null || this.rows) this.readyResolve();
    return this;
  }

  // Replaces or removes rows by id, keeping the list's order.
  merge(rows, gone) {
    if (rows.length === 0 && gone.length === 0) return;
    const drop = new Set(gone);
    for (const r of rows) drop.add(r.id);
    this.rows = this.rows.filter((r) => !drop.has(r.id));
    for (const r of rows) {
      let lo = 0;
      let hi = this.rows.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (compareRows(this.rows[mid], r) < 0) lo = mid + 1;
        else hi = mid;
      }
      this.rows.splice(lo, 0, r);
    }
  }

  // A delta from the Worker (crates/wasm `ViewDelta`, already durable), with the vault's ids.
  apply(delta, info) {
    if (this.early) {
      this.early.push([delta, info]);
      return;
    }
    if (info) this.info = info;
    if (delta.full) this.rows = delta.rows;
    else if (this.rows) this.merge(delta.rows, delta.gone);
    else return; // a partial delta before the whole view: the whole view follows
    this.heads = delta.heads;
    this.readyResolve();
  }

  async list(offset, limit) {
    await this.ready;
    const rows = this.rows ?? [];
    return { rows: rows.slice(offset, offset + limit), total: rows.length };
  }

  // The replica's search (crates/wasm `Index::search`): the trimmed query, lowercased, in the
  // row's text; in list order; at most `limit`.
  async search(query, limit) {
    await this.ready;
    const needle = query.trim().toLowerCase();
    const found = [];
    for (const r of this.rows ?? []) {
      if (r.text.includes(needle)) {
        found.push(r);
        if (found.length >= limit) break;
      }
    }
    return found;
  }
}
