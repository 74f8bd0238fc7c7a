// The widget's service worker, in place of go-app's: it keeps the widget's
// own files (the wasm above all) for the next open, and leaves every other
// request to the browser. go-app's worker makes every request itself, the
// chat API's too, so an upload the visitor cancels goes on to the end and
// reports no progress.
const cacheName = "app-" + "{{.Version}}";
const resourcesToCache = {{.ResourcesToCache}};
const cached = new Set(resourcesToCache.map((path) => new URL(path, self.location).href));

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(cacheName)
      .then((cache) => cache.addAll(resourcesToCache))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== cacheName).map((key) => caches.delete(key))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || !cached.has(request.url)) {
    return;
  }
  event.respondWith(caches.match(request).then((response) => response || fetch(request)));
});
