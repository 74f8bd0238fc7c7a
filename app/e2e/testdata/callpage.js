// Runs callpage.wasm, the call engine's test page (app/e2e/callpage).
const go = new Go();
WebAssembly.instantiateStreaming(fetch("callpage.wasm"), go.importObject).then((result) => go.run(result.instance));
