// Package server is Parley's HTTP face: the Bright Pattern Mobile/Web API v2
// methods under /clientweb/api/v2/, a WebSocket per chat carrying event
// envelopes both ways, the widget's document (go-app, prerendered) under
// /widget/, the loader at /widget.js, and the browser files with their
// precompressed copies.
//
// [Server] is the program: tests start it on a loopback listener with
// [Server.Serve]. [DemoSite] serves the demo host page from another origin,
// as a website that embeds the widget would.
package server
