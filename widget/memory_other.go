//go:build !js

package widget

// pageStorage is where a window keeps what outlives the page: in Go
// programs, which have no browser, the page's memory.
func pageStorage() (Memory, Locks) { return NewPageMemory(), processLocks }
