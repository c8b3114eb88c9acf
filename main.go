// Command sigmagate blocks a merge when an AI agent's SigmaMind simulations
// fail too often. It runs as a GitHub Action (inputs from INPUT_*) and as a
// command anywhere else (flags); see README.md. The application is package
// internal/action; this is only its connection to the process.
package main

import (
	"context"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/sigmagate/sigmagate/internal/action"
)

// version is set when building a release: -ldflags "-X main.version=v1.2.3".
// Without it, a binary installed with go install knows its module version.
var version = "dev"

func main() {
	if bi, ok := debug.ReadBuildInfo(); ok && version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		version = bi.Main.Version
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := action.Main(ctx, os.Args[1:], action.Env{
		Getenv:  os.Getenv,
		Stdout:  os.Stdout,
		Stderr:  os.Stderr,
		Now:     time.Now,
		HTTP:    &http.Client{Transport: http.DefaultTransport},
		Version: version,
		// A terminal is a character device; a pipe or a file is not. Not
		// exact (/dev/null is one too), but it needs no dependency, and a
		// wrong guess only colours or not.
		IsTerminal: func() bool {
			fi, err := os.Stdout.Stat()
			return err == nil && fi.Mode()&os.ModeCharDevice != 0
		},
	})
	stop()
	os.Exit(code)
}
