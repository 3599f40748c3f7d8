// Debian's headless Chromium, as every browser test and benchmark here starts it: one set of
// flags (no --disable-quic: WebTransport must run over real QUIC), and a fresh profile of its
// own (playwright passes it as --user-data-dir) that `close` removes.
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const FLAGS = [
  "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync",
];

// `name` tells the profile folders apart in /tmp; `options` go to launchPersistentContext.
// `profile` is the profile's folder (its renderers' command lines name it).
export async function launch(name, options = {}) {
  const profile = mkdtempSync(join(tmpdir(), `rapport-${name}-`));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: FLAGS,
    ...options,
  });
  const page = context.pages()[0] ?? await context.newPage();
  const close = async () => {
    try {
      await context.close();
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  };
  return { context, page, close, profile };
}
