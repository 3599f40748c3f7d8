// The browser device's network side, in the Worker: WebTransport to the daemon it paired with
// (at the addresses the pairing link gave and each sync refreshes, or the daemon that serves
// this page), the proof of key (signed here with the non-extractable WebCrypto key), pairing with a
// code, the vault fetch after pairing, and the live sync session. The protocol steps are the
// wasm module's (Proof, Pairing, Fetch, Link: rapport-sync compiled to WebAssembly); this file
// only moves bytes, signs, keeps time and persists.
//
// Rule: whatever the daemon sends that changes the vault is appended to IndexedDB (durable)
// BEFORE the answer it causes is sent, so the daemon counts a change as received only once it
// is stored here.

import { Proof, Pairing, Fetch, Link, parseInvitation } from "./pkg/rapport_wasm.js";

// Reconnect after 1 s, doubling to this at most while the daemon cannot be reached.
const MAX_BACKOFF_MS = 15000;
const TIMEOUT = Symbol("timeout");

let hooks = null;
let state = { phase: "unpaired", detail: "", lastSync: null, daemon: null };
let wake = null;
let running = false;
let live = null; // { link, stream } while a live session runs

// worker.js hands in what this module may touch: the store, the replica, the edit queue.
export function configure(h) {
  hooks = h;
}

export function status() {
  return { ...state };
}

function setState(change) {
  state = { ...state, ...change };
  hooks.post({ sync: status() });
}

const hex = (h) => Uint8Array.from(h.match(/../g).map((b) => parseInt(b, 16)));
const sleep = (ms) => new Promise((resolve) => {
  const t = setTimeout(resolve, ms);
  wake = () => { clearTimeout(t); resolve(); };
});

// How long one address may take to open a session before the next is tried.
const CONNECT_TIMEOUT_MS = 8000;

// The daemon this browser syncs with, kept in IndexedDB under "daemon":
//   { device_id, addrs: ["HOST:PORT", …], cert_hashes: [hex, …], page }
// `addrs` and `cert_hashes` come from the pairing link, and are replaced by what the daemon
// says after each sync's proof of key (`Reach`), so a browser that syncs within a
// certificate's life follows its rotations and the laptop's new addresses. `page` is true when
// the daemon serves this page itself (`rapport serve`'s /app/): its /webtransport.json is then
// asked at every attempt. An app published elsewhere never asks its host anything.
async function pageDaemon() {
  try {
    const response = await fetch(new URL("/webtransport.json", self.location.origin), { cache: "no-store" });
    if (response.ok) {
      const info = await response.json();
      return { ...info, addrs: [`${self.location.hostname}:${info.port}`], page: true };
    }
  } catch {
    // Offline, or not a Rapport daemon.
  }
  return null;
}

// Where to reach the paired daemon now: the page's server when it is that daemon, else (and
// offline) what was kept.
async function daemonInfo() {
  const known = await hooks.store().get("daemon");
  // Kept by an older version of this app, from the page's own server.
  const page = known && (known.page || !known.addrs);
  if (!known || page) {
    const served = await pageDaemon();
    if (served && (!known || !known.device_id || known.device_id === served.device_id)) {
      await hooks.store().put("daemon", { ...known, ...served });
      return served;
    }
  }
  if (!known) throw new Error("this browser knows no device to sync with: pair it again");
  if (!known.addrs) return { ...known, addrs: [`${self.location.hostname}:${known.port}`] };
  return known;
}

// The daemon's `Reach` after a sync's proof: the address that just worked stays first.
async function learn(info, used, daemon, reach) {
  if (!reach || !reach.cert_hashes.length) return;
  const addrs = [used, ...reach.addrs, ...info.addrs].filter((a, i, all) => a && all.indexOf(a) === i);
  const known = await hooks.store().get("daemon");
  // Only the daemon this browser paired with may move it elsewhere.
  if (known && known.device_id && known.device_id !== daemon) return;
  await hooks.store().put("daemon", {
    ...known, device_id: daemon, addrs: addrs.slice(0, 8), cert_hashes: reach.cert_hashes,
  });
}

// One bidirectional stream: whole chunks in, bytes out.
class Stream {
  constructor(bidi) {
    this.writer = bidi.writable.getWriter();
    this.reader = bidi.readable.getReader();
    this.pending = null;
  }

  async write(bytes) {
    if (bytes && bytes.length) await this.writer.write(bytes);
  }

  // The next chunk, `null` at the end, or TIMEOUT at `due` (ms since the epoch). A read cut
  // short by the timer stays pending for the next call.
  async read(due) {
    if (!this.pending) this.pending = this.reader.read();
    let timer = null;
    const racers = [this.pending];
    if (due !== undefined && due !== null) {
      racers.push(new Promise((resolve) => { timer = setTimeout(() => resolve(TIMEOUT), Math.max(0, due - Date.now())); }));
    }
    const got = await Promise.race(racers);
    clearTimeout(timer);
    if (got === TIMEOUT) return TIMEOUT;
    this.pending = null;
    return got.done ? null : got.value;
  }
}

// A session with the first of `info.addrs` that answers, pinning `info.cert_hashes`.
async function session(info) {
  const serverCertificateHashes = info.cert_hashes.map((h) => ({ algorithm: "sha-256", value: hex(h) }));
  let last = null;
  for (const addr of info.addrs) {
    const wt = new WebTransport(`https://${addr}/rapport`, { serverCertificateHashes });
    wt.closed.catch(() => {});
    let timer = null;
    const late = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${addr} did not answer`)), CONNECT_TIMEOUT_MS);
    });
    try {
      await Promise.race([wt.ready, late]);
      return { wt, addr };
    } catch (e) {
      last = e;
      try { wt.close(); } catch { /* already failed */ }
    } finally {
      clearTimeout(timer);
    }
  }
  throw last || new Error("no address is known for the device to sync with: pair again");
}

// The proof of key on the session's first stream. Returns the stream, the daemon's id and
// vault from its challenge, and whatever followed the verdict.
async function prove(wt, purpose, keyPair, spki, info) {
  const stream = new Stream(await wt.createBidirectionalStream());
  const pinned = new Uint8Array(info.cert_hashes.length * 32);
  info.cert_hashes.forEach((h, i) => pinned.set(hex(h), i * 32));
  const proof = new Proof(purpose, spki, pinned);
  try {
    await stream.write(proof.openMessage());
    for (;;) {
      const bytes = await stream.read();
      if (!bytes) throw new Error("the device closed the connection during the proof of key");
      const step = proof.push(bytes);
      if (step.kind === "sign") {
        const signature = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, keyPair.privateKey, step.bytes);
        await stream.write(Proof.proofMessage(spki, new Uint8Array(signature)));
      } else if (step.kind === "accepted") {
        const proven = { stream, daemon: proof.daemon, vault: proof.vault, rest: step.bytes, reach: null };
        if (purpose === "sync") proven.reach = await reachOf(stream, proof);
        return proven;
      }
    }
  } finally {
    proof.free();
  }
}

// After a sync's verdict the daemon says where to reach it and which hashes to pin, then ends
// the stream (an older daemon just ends it).
async function reachOf(stream, proof) {
  let step = proof.push(new Uint8Array());
  while (step.kind !== "reach") {
    const bytes = await stream.read(Date.now() + CONNECT_TIMEOUT_MS);
    if (!bytes || bytes === TIMEOUT) return null;
    step = proof.push(bytes);
  }
  return JSON.parse(step.detail);
}

// Pairs this browser with the device that shows a pairing code (`rapport pair`, or the web
// app's Devices page): `invitation` is its link (the QR code: the code, the daemon's
// WebTransport addresses and certificate hashes) or, on a page that daemon serves, the code
// alone. Fetches the vault and stores it. `keyPair` is the new device key; the vault and the
// key are stored together, or neither.
export async function pair(invitation, name, keyPair, spki) {
  const invite = JSON.parse(parseInvitation(invitation));
  let info = { addrs: invite.addrs, cert_hashes: invite.cert_hashes, page: false };
  if (!info.addrs.length || !info.cert_hashes.length) {
    info = await pageDaemon();
    if (!info) throw new Error("This app is not served by a Rapport device, so a code alone cannot say where to pair: scan the QR code `rapport pair` shows, or paste its whole link.");
  }
  const { wt, addr } = await session(info);
  try {
    const proven = await prove(wt, "pair", keyPair, spki, info);
    if (invite.device_id && invite.device_id !== proven.daemon) {
      throw new Error("The device that answered is not the one that showed this code: pair again with a new code.");
    }
    const pairing = Pairing.start(invite.code, spki, name, proven.daemon, proven.rest);
    let vault = null;
    await proven.stream.write(pairing.firstMessage());
    while (vault === null) {
      const bytes = await proven.stream.read();
      if (!bytes) throw new Error("the device closed the connection while pairing");
      const step = pairing.push(bytes);
      if (step.kind === "send") await proven.stream.write(step.bytes);
      else if (step.kind === "fail") {
        await proven.stream.write(step.bytes);
        throw new Error(step.detail);
      } else if (step.kind === "welcome") vault = step.detail;
    }
    pairing.free();
    // In the roster: fetch the whole vault on a second stream, as `rapport clone` does.
    const stream = new Stream(await wt.createBidirectionalStream());
    const fetcher = Fetch.start(spki, proven.daemon, Date.now());
    await stream.write(fetcher.firstFrames());
    while (fetcher.finished === undefined) {
      const bytes = await stream.read(fetcher.pollTimeout());
      if (bytes === TIMEOUT) fetcher.handleTimeout(Date.now());
      else if (!bytes) throw new Error("the device closed the connection before the whole vault arrived");
      else await stream.write(fetcher.receive(bytes, Date.now()));
    }
    const fetched = fetcher.finish(spki, vault);
    await hooks.store().create(keyPair, fetched.snapshot);
    const others = info.addrs.filter((a) => a !== addr);
    await hooks.store().put("daemon", { ...info, addrs: [addr, ...others], device_id: proven.daemon, vault_id: vault });
    const replica = fetched.takeReplica();
    fetched.free();
    await hooks.adopt(replica, spki);
    setState({ phase: "paired", detail: "", daemon: proven.daemon, lastSync: Date.now() });
    return { vault };
  } finally {
    wt.close();
  }
}

// Hands one sync step's output on: persist first, then answer, then tell the page. When the
// exchange settles, the shared heads are kept (`sync:<daemon>`), so the next session starts
// from them instead of a Bloom filter of every change.
async function apply(step, stream, link, daemon) {
  const persist = step.persist;
  const frames = step.frames;
  const applied = step.applied;
  const quiet = step.quiet;
  step.free();
  if (persist.length) await hooks.persist(persist);
  await stream.write(frames);
  if (quiet) {
    if (link) await hooks.store().put(`sync:${daemon}`, link.syncState());
    setState({ lastSync: Date.now() });
  }
  if (applied) hooks.post({ changed: true });
}

// One live session, until it ends.
async function syncOnce() {
  const info = await daemonInfo();
  setState({ phase: "connecting", detail: "" });
  const keyPair = await hooks.store().get("device");
  const { wt, addr } = await session(info);
  try {
    const proven = await prove(wt, "sync", keyPair, hooks.spki(), info);
    await learn(info, addr, proven.daemon, proven.reach);
    const stream = new Stream(await wt.createBidirectionalStream());
    const known = await hooks.store().get(`sync:${proven.daemon}`);
    const link = await hooks.serial(async () => {
      const opened = Link.open(hooks.replica(), proven.daemon, proven.vault, known, Date.now());
      await apply(opened.firstStep(), stream, opened, proven.daemon);
      return opened;
    });
    live = { link, stream, daemon: proven.daemon };
    setState({ phase: "live", detail: "", daemon: proven.daemon });
    try {
      for (;;) {
        const bytes = await stream.read(link.pollTimeout());
        if (!bytes) throw new Error("the device ended the session");
        await hooks.serial(async () => {
          if (bytes === TIMEOUT) link.handleTimeout(Date.now());
          else await apply(link.receive(hooks.replica(), bytes, Date.now()), stream, link, proven.daemon);
        });
      }
    } finally {
      live = null;
      link.free();
    }
  } finally {
    wt.close();
  }
}

// A local edit was stored: the live session (if any) sends it now. Runs inside the Worker's
// edit queue, right after the edit's append.
export function localChange() {
  if (!live) return;
  const { link, stream, daemon } = live;
  try {
    const step = link.localChange(hooks.replica(), Date.now());
    apply(step, stream, link, daemon).catch(() => {});
  } catch {
    // The session broke; the reconnect loop notices on its next read.
  }
}

// Sync now instead of waiting out the backoff (the page came online, or the user asked).
export function kick() {
  if (wake) wake();
}

// Keeps a live session with the daemon whenever this browser holds a vault, reconnecting with
// backoff.
export async function run() {
  if (running) return;
  running = true;
  let delay = 1000;
  while (hooks.replica()) {
    try {
      await syncOnce();
    } catch (e) {
      // A trapped instance, or a received change that could not be stored (memory is then
      // ahead of storage): the page restarts the Worker from what storage holds.
      if (e instanceof WebAssembly.RuntimeError || (e && e.restart)) {
        setState({ phase: "offline", detail: String(e.message || e) });
        hooks.post({ restart: true });
        running = false;
        return;
      }
      // A session that went live ended: try again soon, then back off.
      if (state.phase === "live") delay = 1000;
      setState({ phase: "offline", detail: String(e && e.message || e) });
    }
    await sleep(delay);
    delay = Math.min(delay * 2, MAX_BACKOFF_MS);
  }
  running = false;
}

self.addEventListener("online", () => kick());
