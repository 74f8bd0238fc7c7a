// Package e2e holds Parley's end-to-end tests: the real widget in headless
// Chromium, embedded in the demo website, against the real server on
// loopback. It has no code of its own besides its tests.
//
// The tests need Debian's Chromium at /usr/bin/chromium (./build.sh test
// installs it) and build web/app.wasm when it is older than its sources.
// Screenshots land in the artifacts directory beside this file, or in
// $PARLEY_ARTIFACTS.
package e2e
