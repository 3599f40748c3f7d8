// What issue 16's test 6 measures on the phone app, shared by the scale test (scale.mjs, run in
// CI) and the benchmark (bench-phone.mjs, run by hand): each function times one thing a person
// does, in the page, as the page does it.
import { readFileSync, readdirSync } from "node:fs";

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const round = (x) => Number(x.toFixed(1));

// A reload until the list shows ("N contacts"), then until the Worker has loaded the document.
// `loadedAtList` says whether the document was already loaded when the list showed (it must
// not be: the list comes from the stored read view); `whileLoading` is a search run right after
// the list showed, if the document was still loading then. With `untilLoaded: false` it
// returns once the list shows (`loaded` is then null).
export async function reloadUntilList(page, { untilLoaded = true } = {}) {
  const start = Date.now();
  await page.reload();
  const shown = await (await page.waitForFunction(() => {
    const summary = /^(\d+) contacts$/.exec(document.getElementById("summary")?.textContent ?? "");
    if (summary) return { total: Number(summary[1]), loadedAtList: window.rapportApp.loaded() };
    const error = document.querySelector("#main .error");
    return error ? { error: error.textContent } : false;
  }, null, { polling: 20 })).jsonValue();
  const list = Date.now() - start;
  if (shown.error) throw new Error(`the app says: ${shown.error}`);
  const whileLoading = await page.evaluate(async () => {
    const t = performance.now();
    const loading = !window.rapportApp.loaded();
    await window.rapportApp.call("search", "ann", 50);
    return loading ? performance.now() - t : null;
  });
  if (untilLoaded) await page.waitForFunction(() => window.rapportApp.loaded(), null, { polling: 20 });
  return { list, loaded: untilLoaded ? Date.now() - start : null, whileLoading, total: shown.total, loadedAtList: shown.loadedAtList };
}

// The view's search for each prefix of `name` (up to 10 characters): what the page runs per
// keystroke. Milliseconds, one per keystroke.
export async function keystrokes(page, name) {
  const times = [];
  for (let n = 1; n <= Math.min(name.length, 10); n++) {
    times.push(await page.evaluate(async (q) => {
      const t = performance.now();
      await window.rapportApp.call("search", q, 50);
      return performance.now() - t;
    }, name.slice(0, n)));
  }
  return times;
}

// `count` notes on contact `id`, each timed until the Worker answered, that is until its
// IndexedDB transaction (change chunk and view rows) completed. Returns the times and the texts.
export async function notesUntilDurable(page, id, count, label = "note") {
  const times = [];
  const texts = [];
  for (let n = 0; n < count; n++) {
    const text = `${label} ${n} ${Math.random()}`;
    texts.push(text);
    times.push(await page.evaluate(async ([contact, t]) => {
      const start = performance.now();
      await window.rapportApp.call("logInteraction", contact, [], "note", t, "");
      return performance.now() - start;
    }, [id, text]));
  }
  return { times, texts };
}

// The page's JS heap, the wasm instance's memory and the RSS of the renderer processes of the
// Chromium profile in `profile` (the page and its Worker), in MB.
export async function memory(page, cdp, profile) {
  await cdp.send("Performance.enable");
  const heap = (await cdp.send("Performance.getMetrics")).metrics.find((m) => m.name === "JSHeapUsedSize");
  const { wasmBytes } = await page.evaluate(() => window.rapportApp.call("memory"));
  let rendererRss = 0;
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (!cmd.includes("--type=renderer") || !cmd.includes(profile)) continue;
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      if (rss) rendererRss += Number(rss[1]) * 1024;
    } catch { /* the process ended */ }
  }
  return {
    pageJsHeap: heap ? round(heap.value / 1e6) : null,
    wasm: round(wasmBytes / 1e6),
    rendererRss: rendererRss ? round(rendererRss / 1e6) : null,
  };
}
