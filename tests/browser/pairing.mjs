// A pairing window on the laptop, as a person opens one: `rapport pair --json` (forwarded to the
// running daemon), whose first line gives the code to type in the phone app and the link its QR
// code carries. Shared by the browser tests that pair (sync.mjs, scale.mjs, pwa.mjs).
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

// `bin`, `home` and `env` say how to run rapport; resolves to the window's first line (parsed:
// `code`, `link`, ...) and a promise of the command's exit code (0 once a device paired,
// non-zero when the code was burned). The window listens on loopback at a free port: the
// default, 0.0.0.0:7448, is one fixed port, which tests running at once would fight over.
// Rejects, with what rapport said, if the command ends before it printed the window.
export async function openPairingWindow({ bin, home, env }) {
  const child = spawn(bin, ["--home", home, "pair", "--json", "--no-discovery", "--listen", "127.0.0.1:0", "--timeout", "60s"],
    { env, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => { stderr += d; });
  const exited = new Promise((r) => child.once("exit", r));
  const first = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once("line", resolve);
    exited.then((status) => reject(new Error(`\`rapport pair\` ended (${status}) before opening a window: ${stderr}`)));
  });
  const window = JSON.parse(first);
  return { code: window.code, window, exited };
}
