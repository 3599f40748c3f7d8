// Small helpers the browser test scripts share: an assertion that says what failed, a poll with
// a deadline, and the `rapport` CLI on the test's home.

import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

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

// A failed script leaves the page as it was for the person reading CI's artefacts: its HTML
// and a screenshot, as DIR/NAME-failure.html and .png. Never throws: it runs while reporting
// another failure.
export async function savePage(page, dir, name) {
  const html = await page.content().catch(() => "");
  try {
    writeFileSync(join(dir, `${name}-failure.html`), html);
  } catch {
    // The failure itself is what matters; a missing artefact is not.
  }
  await page.screenshot({ path: join(dir, `${name}-failure.png`) }).catch(() => {});
}
