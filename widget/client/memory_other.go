//go:build !js

package client

// PageStorage is where a window keeps what outlives the page: in Go
// programs, which have no browser, the page's memory.
func PageStorage() (Memory, Locks) { return NewPageMemory(), processLocks }
