//go:build !js

package main_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parleychat/parley/app/parleytest"
)

// TestBuildShRun starts the demo as the README gives it: the demo website
// embeds the widget from another site (the same host with another port is
// the same site, and never behaves like a customer's embed), and the run
// leaves nothing behind in the temporary folder.
func TestBuildShRun(t *testing.T) {
	// Minutes, not seconds: after a change to the widget, build.sh builds
	// it and compresses it again (brotli 11 of 8 MB) before it starts.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	port := freePort(t)
	tmp := t.TempDir()
	root := filepath.Dir(parleytest.WebDir())
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "build.sh"), "run")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port), "TMPDIR="+tmp, "PARLEY_DATA="+t.TempDir())
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) // Ctrl-C, to the whole group
			_ = cmd.Wait()
		}
	}
	t.Cleanup(stop)
	var demo, chatServer string
	lines := bufio.NewScanner(stdout)
	for lines.Scan() && (demo == "" || chatServer == "") {
		line := strings.TrimSpace(lines.Text())
		if v, ok := strings.CutPrefix(line, "Demo website:"); ok {
			demo = strings.Fields(v)[0]
		}
		if v, ok := strings.CutPrefix(line, "Chat server:"); ok {
			chatServer = strings.TrimSpace(v)
		}
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	if demo == "" || chatServer == "" {
		t.Fatalf("build.sh run never said where the demo runs: %v", lines.Err())
	}

	page := get(t, demo)
	src := regexp.MustCompile(`<script src="([^"]+)/widget\.js"`).FindStringSubmatch(page)
	if src == nil || src[1] != chatServer {
		t.Fatalf("the demo page embeds %v, want the loader of %s", src, chatServer)
	}
	demoURL, _ := url.Parse(demo)
	serverURL, _ := url.Parse(chatServer)
	if demoURL.Hostname() == serverURL.Hostname() {
		t.Errorf("the demo website %s and the chat server %s are one site", demo, chatServer)
	}
	if !strings.Contains(get(t, chatServer+"/widget.js"), "Parley") {
		t.Error("the chat server does not serve the loader")
	}

	stop()
	left, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		t.Errorf("build.sh run left %s in the temporary folder", e.Name())
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	// Both the port and the next one must be free: the chat server takes
	// PORT+1.
	for {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if next, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+1)); err == nil {
			next.Close()
			return port
		}
	}
}

func get(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v", u, resp.Status, err)
	}
	return string(body)
}
