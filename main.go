// Command sigmagate blocks a merge when an AI agent's SigmaMind simulations
// fail too often. It runs as a GitHub Action (inputs from INPUT_*) and as a
// command anywhere else (flags); see README.md.
package main

import (
	"context"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"
)

// version is set when building a release: -ldflags "-X main.version=v1.2.3".
// Without it, a binary installed with go install knows its module version.
var version = "dev"

func main() {
	if bi, ok := debug.ReadBuildInfo(); ok && version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		version = bi.Main.Version
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], env{
		getenv: os.Getenv,
		stdout: os.Stdout,
		stderr: os.Stderr,
		now:    time.Now,
		http:   &http.Client{Transport: http.DefaultTransport},
	})
	stop()
	os.Exit(exitCode(err))
}
