package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// debianBinary finds the Debian package pkg's program name, which
// scripts/test installs; the test fails, never skips, without it.
func debianBinary(t *testing.T, name, pkg string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if p := "/usr/bin/" + name; fileExists(p) {
		return p
	}
	t.Fatalf("%s is not installed: scripts/test installs it (apt-get install %s)", name, pkg)
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// startDaemon runs bin with the flags args gives for a free loopback
// address and a fresh data directory, waits up to ready for its
// /-/ready endpoint (as Prometheus and Alertmanager have), and stops it
// when the test ends. A daemon that exits or is not ready is tried again
// on another port, three times in all. It returns the base URL.
func startDaemon(t *testing.T, bin string, ready time.Duration, args func(addr, data string) []string) string {
	t.Helper()
	name := filepath.Base(bin)
	dir := t.TempDir()
	for attempt := range 3 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		out := &lockedBuffer{}
		cmd := exec.Command(bin, args(addr, filepath.Join(dir, fmt.Sprintf("data%d", attempt)))...)
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatalf("start %s: %v", bin, err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		stop := func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
				<-exited
			}
		}
		base := "http://" + addr
		problem := fmt.Sprintf("not ready after %s", ready)
		for deadline := time.Now().Add(ready); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			select {
			case <-exited:
				problem = "exited early"
			default:
			}
			if problem == "exited early" {
				break
			}
			resp, err := http.Get(base + "/-/ready")
			if err != nil {
				continue
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				t.Cleanup(func() {
					stop()
					if t.Failed() {
						t.Logf("%s output:\n%s", name, out.String())
					}
				})
				return base
			}
		}
		stop()
		t.Logf("%s on %s (attempt %d): %s:\n%s", name, addr, attempt+1, problem, out.String())
	}
	t.Fatalf("%s did not start", name)
	return ""
}

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
