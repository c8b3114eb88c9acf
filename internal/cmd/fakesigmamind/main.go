// Command fakesigmamind serves the fake SigmaMind API of package sigmamindtest
// for container and workflow tests.
//
//	go run ./internal/cmd/fakesigmamind -addr 127.0.0.1:8089 [-key test-key] [-max-page-size 0] [-data FILE]
//
// Without -data it serves sample batch runs for agent_demo_pass,
// agent_demo_fail, agent_demo_running, agent_demo_empty (no batches) and
// sigmamindtest.SampleAgentID. With -data it serves the agents of a JSON file
// shaped {"agentId": [BatchRun, ...], ...} instead.
//
// When ready it prints "fakesigmamind: serving on http://ADDR" on stdout.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "fakesigmamind:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fakesigmamind", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8089", "loopback `address` to listen on")
	key := fs.String("key", sigmamindtest.DefaultAPIKey, "the accepted X-API-Key")
	maxPage := fs.Int("max-page-size", 0, "clamp page sizes to `n` (0: no limit)")
	data := fs.String("data", "", "seed from a JSON `file` {\"agentId\": [BatchRun, ...]} instead of sample data")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	// The fake accepts a well-known key, so it must not be reachable from
	// other machines.
	if err := checkLoopback(*addr); err != nil {
		return err
	}

	fake := sigmamindtest.NewHandler(sigmamindtest.WithAPIKey(*key), sigmamindtest.WithMaxPageSize(*maxPage))
	defer fake.Close()
	if *data != "" {
		if err := seedFile(fake, *data); err != nil {
			return err
		}
	} else {
		fake.SeedSamples(time.Now())
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: fake.Handler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	// The actual address, so that -addr 127.0.0.1:0 is usable by scripts.
	fmt.Fprintf(stdout, "fakesigmamind: serving on http://%s\n", ln.Addr())

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Release hung requests first: Shutdown waits for active ones.
	fake.Close()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	return nil
}

func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("invalid -addr %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("refusing -addr %q: listen on a loopback address (127.0.0.0/8, ::1 or localhost)", addr)
}

func seedFile(fake *sigmamindtest.Server, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read -data: %w", err)
	}
	var agents map[string][]sigmamind.BatchRun
	if err := json.Unmarshal(b, &agents); err != nil {
		return fmt.Errorf("parse -data %s: %w", path, err)
	}
	for id, runs := range agents {
		fake.AddAgent(id)
		fake.AddBatchRuns(id, runs...)
	}
	return nil
}
