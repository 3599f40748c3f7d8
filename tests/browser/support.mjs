// Small helpers the browser test scripts share: an assertion that says what failed, a poll with
// a deadline, and the `rapport` CLI on the test's home.

import { execFileSync } from "node:child_process";

export function assert(cond, what) {
  if (!cond) throw new Error(what);
}

// Polls `check` every 100 ms until it returns something truthy; fails after `ms`, naming `what`.
export async function until(what, check, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    const got = await check();
    if (got) return got;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// `rapport --home HOME ARGS...` to success, its stdout as text.
export function cli(bin, home, env) {
  return (...args) => execFileSync(bin, ["--home", home, ...args], { env, encoding: "utf8", timeout: 30000 });
}
