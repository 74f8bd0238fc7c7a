package server

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
)

// consoleCSP is the agent console's Content-Security-Policy: its own
// script, style and API, nothing inline, no eval, never framed.
const consoleCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// widgetCSP is the Content-Security-Policy of the widget's document: go-app's
// scripts and the widget's files from the server itself, the one inline
// script (boot.js) by its hash, WebAssembly compiled but no eval, the API
// and the chat socket on the server itself (shared files and profile photos
// are images from there too). The window is framed by the websites that
// embed it, so it sets no frame-ancestors.
func widgetCSP(inline ...[]byte) string {
	scripts := "script-src 'self' 'wasm-unsafe-eval'"
	for _, s := range inline {
		sum := sha256.Sum256(s)
		scripts += " 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	return "default-src 'none'; " + scripts + "; style-src 'self'; img-src 'self'; connect-src 'self'; " +
		"font-src 'self'; manifest-src 'self'; worker-src 'self'; base-uri 'none'; form-action 'none'"
}

// withCSP serves next with the Content-Security-Policy policy.
func withCSP(policy string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", policy)
		next.ServeHTTP(w, r)
	})
}
