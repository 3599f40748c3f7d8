// Smoke test of the daemon's WebTransport side in Debian's headless Chromium (no --disable-quic),
// run by tests/it/browser_wt.rs against a real `rapport serve`. RAPPORT_WT (JSON): { ui }.
// The page, on the daemon's own web origin (http://127.0.0.1 is a secure context), reads
// /webtransport.json, opens `new WebTransport('https://127.0.0.1:PORT/rapport',
// {serverCertificateHashes})`, makes a non-extractable WebCrypto P-256 key, and runs the
// proof of key (crates/sync/src/browser.rs), once with a flipped signature byte and once signed
// right. It prints one JSON line: what the daemon said to each.
import { launch } from "./chromium.mjs";

const cfg = JSON.parse(process.env.RAPPORT_WT);
const { page, close } = await launch("wt", { bypassCSP: true });
let exitCode = 0;
try {
  page.setDefaultTimeout(20000);
  // The daemon's own sign-in page: a real document of its origin. The web app's CSP does not
  // name the WebTransport port in connect-src (the browser app's pages must), hence bypassCSP.
  await page.goto(`http://${cfg.ui}/signin`);
  // Twice, each on its own session: first with one byte of the signature flipped, which must
  // be refused as a bad proof; then signed right, which verifies and is refused only because
  // this key is not a device of the vault.
  const attempt = (tamper) => page.evaluate(async (tamper) => {
    const hex = (h) => Uint8Array.from(h.match(/../g).map((b) => parseInt(b, 16)));
    const info = await (await fetch("/webtransport.json")).json();
    const started = performance.now();
    const wt = new WebTransport(`https://127.0.0.1:${info.port}/rapport`, {
      serverCertificateHashes: info.cert_hashes.map((h) => ({ algorithm: "sha-256", value: hex(h) })),
    });
    await wt.ready;
    const readyMs = performance.now() - started;
    const key = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
    const spki = new Uint8Array(await crypto.subtle.exportKey("spki", key.publicKey));
    const stream = await wt.createBidirectionalStream();
    const writer = stream.writable.getWriter();
    const reader = stream.readable.getReader();
    let buf = new Uint8Array(0);
    const readMessage = async () => {
      for (;;) {
        if (buf.length >= 2) {
          const len = (buf[0] << 8) | buf[1];
          if (buf.length >= 2 + len) {
            const body = buf.slice(2, 2 + len);
            buf = buf.slice(2 + len);
            return body;
          }
        }
        const { value, done } = await reader.read();
        if (done) throw new Error("the daemon closed the stream");
        const joined = new Uint8Array(buf.length + value.length);
        joined.set(buf);
        joined.set(value, buf.length);
        buf = joined;
      }
    };
    const frame = (body) => {
      const out = new Uint8Array(2 + body.length);
      out[0] = body.length >> 8;
      out[1] = body.length & 0xff;
      out.set(body, 2);
      return out;
    };
    // Open { version 1, purpose sync }.
    await writer.write(frame(Uint8Array.of(1, 1, 1)));
    const challenge = await readMessage();
    if (challenge[0] !== 2 || challenge.length !== 1 + 32 + 32 + 8 + 32) throw new Error(`not a challenge: ${challenge}`);
    const certHash = Array.from(challenge.slice(33, 65), (b) => b.toString(16).padStart(2, "0")).join("");
    if (!info.cert_hashes.includes(certHash)) throw new Error("the daemon named a certificate this page did not pin");
    // The signed message is the domain, then the challenge's fields in wire order.
    const domain = new TextEncoder().encode("rapport/webtransport proof of key/1\0");
    const signed = new Uint8Array(domain.length + challenge.length - 1);
    signed.set(domain);
    signed.set(challenge.slice(1), domain.length);
    const signature = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key.privateKey, signed));
    if (tamper) signature[17] ^= 0x01;
    const proof = new Uint8Array(2 + spki.length + signature.length);
    proof[0] = 3;
    proof[1] = spki.length;
    proof.set(spki, 2);
    proof.set(signature, 2 + spki.length);
    await writer.write(frame(proof));
    const verdict = await readMessage();
    const said = verdict[0] === 4 ? "accepted" : verdict[0] === 5 ? `refused:${verdict[1]}` : `unknown:${verdict[0]}`;
    wt.close();
    return { said, readyMs, spkiLen: spki.length, signatureLen: signature.length, extractable: key.privateKey.extractable };
  }, tamper);
  const tampered = await attempt(true);
  const result = await attempt(false);
  console.log(JSON.stringify({ ...result, tampered: tampered.said }));
} catch (e) {
  console.error(`webtransport smoke failed: ${e?.stack ?? e}`);
  exitCode = 1;
} finally {
  await close();
}
process.exit(exitCode);
