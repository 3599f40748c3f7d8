// Keeps the app's files in the Cache API so the app opens with no network (at an event). The
// data is not here: it is in IndexedDB, owned by the Worker. VERSION changes whenever any of
// the files does (the server writes it), which installs a new worker with a fresh cache.
const VERSION = "__VERSION__";
const CACHE = `rapport-app-${VERSION}`;
const FILES = [
  "./", "index.html", "main.js", "worker.js", "storage.js", "view.js", "sync.js", "app.css", "manifest.webmanifest",
  "pkg/rapport_wasm.js", "pkg/rapport_wasm_bg.wasm",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

// Cache first: the cached files are one consistent version of the app.
self.addEventListener("fetch", (event) => {
  if (event.request.method !== "GET") return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const hit = await cache.match(event.request, { ignoreSearch: true }) ||
      (event.request.mode === "navigate" ? await cache.match("./") : undefined);
    return hit || fetch(event.request);
  })());
});
