// A pairing window on the laptop, as a person opens one: `rapport pair --json` (forwarded to the
// running daemon), whose first line gives the code to type in the phone app. Shared by the
// browser tests that pair (sync.mjs, scale.mjs).
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

// `bin`, `home` and `env` say how to run rapport; resolves to the code and a promise of the
// command's exit code (0 once a device paired, non-zero when the code was burned).
export async function openPairingWindow({ bin, home, env }) {
  const child = spawn(bin, ["--home", home, "pair", "--json", "--no-discovery", "--timeout", "60s"],
    { env, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise((r) => child.once("exit", r));
  const first = await new Promise((resolve) => createInterface({ input: child.stdout }).once("line", resolve));
  return { code: JSON.parse(first).code, exited };
}
