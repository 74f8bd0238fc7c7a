// Package browser drives Parley's widget in headless Chromium: the one
// harness of the browser tests (app/e2e), the benchmark (bench) and test
// authors.
//
// [Start] runs Debian's Chromium with the flags every run uses, a profile
// of its own, and a host resolver that reaches loopback only, so nothing
// leaves the machine. [NewTab] opens a tab that records every JavaScript
// exception of the targets it watches; a test fails on them. The chat
// window is a cross-site iframe, which Chromium runs in a process of its
// own, out of reach of the page's selectors: [Tab.Frame] attaches to it,
// and [OpenWindow] clicks the loader's [Launcher] and returns a [Window]
// that drives the chat window as a visitor does, by the data-testid
// attributes the README lists.
//
// Every call takes its deadline from its context and returns an error, so
// that a program (the benchmark) and a test alike can use it.
package browser
