#!/usr/bin/env bash
# build.sh is the one entry for building, running and testing Parley.
#
#   ./build.sh run    build everything and start the demo: a website on
#                     http://localhost:$PORT (8080) that embeds the widget,
#                     served by the chat server on http://127.0.0.1:$PORT+1,
#                     another site, as a customer's chat server would be
#   ./build.sh test   install what is missing (Chromium, PostgreSQL, axe-core)
#                     and run every test, browser and PostgreSQL tests
#                     included, with vet and staticcheck for both targets
#   ./build.sh bench  install what is missing (Chromium, PostgreSQL), build
#                     the widget and the server and measure them next to their
#                     references: a table, a scaling table, and
#                     bench/results.json; flags go to the benchmark
#                     (go run ./bench -h; -repeat 3 runs it three times)
#
# It needs Go; it fetches the pinned modules through the module proxy.
set -euo pipefail
cd "$(dirname "$0")"

say() { printf '\n==> %s\n' "$*"; }

require_go() {
	if ! command -v go >/dev/null; then
		echo "build.sh: Go is required (https://go.dev/dl/), version $(sed -n 's/^go //p' go.mod) or newer" >&2
		exit 1
	fi
}

modules() {
	say "Fetching the Go modules pinned in go.mod"
	go mod download
}

build_widget() {
	say "Building the widget: web/app.wasm (GOOS=js GOARCH=wasm, -trimpath -ldflags='-s -w')"
	# go build -o rewrites its output every time: an unchanged wasm keeps
	# its file, so its compressed copies, minutes of brotli, stay good.
	local built
	built="$(mktemp web/.app.wasm.XXXXXX)"
	if ! GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' -o "$built" ./app/parley; then
		rm -f "$built"
		return 1
	fi
	if cmp -s "$built" web/app.wasm; then
		rm -f "$built"
	else
		chmod 644 "$built"
		mv "$built" web/app.wasm
	fi
	say "Minifying the loader: web/widget.js from app/loader/widget.js (esbuild)"
	go run ./app/loader web
	say "Precompressing web/ (brotli 11, gzip 9); unchanged files are skipped"
	go run ./app/precompress web
	printf 'web/app.wasm: %s bytes, %s brotli, %s gzip\n' \
		"$(wc -c <web/app.wasm)" "$(wc -c <web/app.wasm.br)" "$(wc -c <web/app.wasm.gz)"
	printf 'web/widget.js: %s bytes, %s brotli, %s gzip\n' \
		"$(wc -c <web/widget.js)" "$(wc -c <web/widget.js.br)" "$(wc -c <web/widget.js.gz)"
}

# apt_install installs Debian packages, as root or through sudo; apt-get
# update runs once per build.sh run.
apt_updated=""
apt_install() {
	local sudo=""
	if [ "$(id -u)" -ne 0 ]; then
		sudo="sudo"
	fi
	if [ -z "$apt_updated" ]; then
		$sudo apt-get update
		apt_updated=1
	fi
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "$@"
}

install_chromium() {
	if [ -x /usr/bin/chromium ]; then
		return
	fi
	say "Installing Debian's Chromium for the browser tests (apt-get)"
	apt_install chromium
}

# The PostgreSQL tests and the benchmark start throwaway clusters of their own
# (app/postgres/pgcluster): a temporary data directory, a free loopback port,
# stopped when they end, run as the postgres user when build.sh runs as root.
install_postgresql() {
	if compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
		return
	fi
	say "Installing Debian's PostgreSQL server for the scale-out tests (apt-get)"
	apt_install postgresql
}

cmd_run() {
	local port="${PORT:-8080}"
	require_go
	modules
	build_widget
	# go run keeps the program in Go's build cache: nothing is left behind,
	# and a restart with nothing changed does not build again.
	say "Building and starting Parley (Ctrl-C stops it)"
	exec go run -trimpath ./app/parley -addr "127.0.0.1:$((port + 1))" -demo-addr "localhost:$port" -web web
}

# install_axe brings axe-core, at the version app/e2e/axe pins, for the
# browser tests' accessibility checks.
install_axe() {
	if ! command -v npm >/dev/null; then
		echo "build.sh: npm is required for the browser tests' accessibility checks (apt-get install npm)" >&2
		exit 1
	fi
	say "Installing axe-core for the accessibility checks (npm ci in app/e2e/axe)"
	npm ci --prefix app/e2e/axe --no-audit --no-fund
}

cmd_test() {
	require_go
	install_chromium
	install_postgresql
	install_axe
	modules
	say "Checking formatting (gofmt)"
	local unformatted
	unformatted="$(gofmt -l protocol widget app bench)"
	if [ -n "$unformatted" ]; then
		echo "These files need gofmt:" >&2
		echo "$unformatted" >&2
		exit 1
	fi
	say "go vet, native"
	go vet ./...
	say "go vet, js/wasm"
	GOOS=js GOARCH=wasm go vet ./protocol/... ./widget/... ./app/parley ./app/e2e/callpage
	# staticcheck is a tool of go.mod (pinned there); built for this machine
	# once, it checks the wasm build too.
	say "staticcheck, native and js/wasm"
	local staticcheck
	staticcheck="$(mktemp -d)/staticcheck"
	go build -o "$staticcheck" honnef.co/go/tools/cmd/staticcheck
	"$staticcheck" ./...
	GOOS=js GOARCH=wasm "$staticcheck" ./protocol/... ./widget/... ./app/parley ./app/e2e/callpage
	rm -r "$(dirname "$staticcheck")"
	build_widget
	# The browser tests take minutes under the race detector: more than go
	# test's ten a package on a busy machine.
	say "Running every test with the race detector, browser tests included; the PostgreSQL tests start throwaway clusters on loopback"
	go test -race -count=1 -timeout 30m ./...
	# A count, not a duration: Go 1.26's fuzz coordinator can fail a target
	# with "context deadline exceeded" when a duration runs out (go.dev/issue/75804).
	# The decoders (./protocol, ./app/upstream) take tens of thousands of
	# inputs a second; the targets of the other packages run a server's
	# handler per input, hundreds a second, and get a count of their own, so
	# CI stays within minutes.
	say "Fuzzing every target: the decoders (./protocol, ./app/upstream) ${FUZZTIME:=200000x} inputs each, the handlers ${HANDLER_FUZZTIME:=2000x}"
	local dir target count
	for dir in $(grep -rl --include='*_test.go' '^func Fuzz' protocol widget app | xargs -n1 dirname | sort -u); do
		case "$dir" in
		protocol | app/upstream) count="$FUZZTIME" ;;
		*) count="$HANDLER_FUZZTIME" ;;
		esac
		for target in $(go test -list '^Fuzz' "./$dir" | grep '^Fuzz'); do
			go test "./$dir" -run '^$' -fuzz "^${target}\$" -fuzztime "$count"
		done
	done
	say "All tests passed"
}

cmd_bench() {
	require_go
	install_chromium
	install_postgresql
	modules
	build_widget
	say "Building the server"
	bench_bin="$(mktemp -d)"
	trap 'rm -rf "$bench_bin"' EXIT
	go build -trimpath -o "$bench_bin/parley" ./app/parley
	say "Measuring (about 20 minutes; progress on stderr, the tables on stdout)"
	go run ./bench -parley "$bench_bin/parley" -web web "$@"
}

case "${1:-}" in
run) cmd_run ;;
test) cmd_test ;;
bench)
	shift
	cmd_bench "$@"
	;;
*)
	sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
	;;
esac
