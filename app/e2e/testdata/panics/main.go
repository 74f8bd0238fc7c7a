// Command panics is a widget whose Go program panics as it starts, before
// go-app mounts anything: the wasm arrives whole and runs, then exits.
package main

func main() {
	panic("the window cannot start")
}
