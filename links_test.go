package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sigmagate/sigmagate/internal/steptest"
)

const linkTemplate = "https://app.example/agents/{agentId}/batches/{batchId}"

// TestLinksEverywhere: with batch-url-template, the summary, the report
// output, the annotation and the text and JSON reports of the command line
// link the batch run; an id that tries to change the URL is encoded.
func TestLinksEverywhere(t *testing.T) {
	t.Parallel()
	const id = "batch_x/../y?z#w) ]["
	const want = "https://app.example/agents/agent_x/batches/batch_x%2F..%2Fy%3Fz%23w%29%20%5D%5B"
	srv := steptest.NewFake(t, steptest.Run5(id, time.Now().Add(-time.Hour), 4, 1))
	s := runStep(t, map[string]string{"api-key": steptest.Key, "agent-id": "agent_x", "api-url": srv.URL, "batch-url-template": linkTemplate}, nil)
	s.CheckHygiene(t)
	steptest.CheckTables(t, s.Summary)
	if s.Exit != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", s.Exit, s.Stdout, s.Stderr)
	}
	if cell := `[batch\_x/../y?z\#w) \]\[](` + want + ")"; !strings.Contains(s.Summary, "| "+cell+" | gated |") {
		t.Errorf("the summary lacks the row starting with %q:\n%s", cell, s.Summary)
	}
	ann := s.Annotations("error")
	if len(ann) != 1 || !strings.HasSuffix(ann[0], "; see "+want) {
		t.Errorf("error annotations %q, want one ending in the batch run's URL", ann)
	}
	var rep struct {
		Batches []struct{ ID, URL string }
	}
	if err := json.Unmarshal(steptest.OnlyAgent(t, s.Outputs["report"]), &rep); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]struct{ ID, URL string }{{id, want}}, rep.Batches); diff != "" {
		t.Errorf("report output batches (-want +got):\n%s", diff)
	}

	for _, format := range []string{"text", "json"} {
		cmd := exec.Command(binary, "--agent-id", "agent_x", "--api-url", srv.URL, "--batch-url-template", linkTemplate, "--format", format)
		cmd.Env = []string{"HOME=" + t.TempDir(), "SIGMAMIND_API_KEY=" + steptest.Key}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		var ee *exec.ExitError
		if err := cmd.Run(); !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Fatalf("--format %s: %v, want exit 1\n%s%s", format, err, stdout.String(), stderr.String())
		}
		out := stdout.String()
		if format == "json" {
			want := `"url":"` + want + `"`
			if !strings.Contains(out, want) {
				t.Errorf("--format json lacks %s:\n%s", want, out)
			}
			continue
		}
		if !strings.Contains(out, "Link\n") || !strings.Contains(out, "  "+want+"\n") {
			t.Errorf("--format text lacks the Link column with %s:\n%s", want, out)
		}
		if strings.Contains(out, "](") || strings.Contains(out, `\_`) {
			t.Errorf("--format text holds markdown:\n%s", out)
		}
	}
}

// TestLinksRefusedBeforeAnyRequest: a template with an unknown placeholder
// or without https fails the step with exit 2, before any request.
func TestLinksRefusedBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	for template, want := range map[string]string{
		"https://app.example/{agent}/{batchId}": `input batch-url-template: "https://app.example/{agent}/{batchId}" has an unknown placeholder`,
		"http://app.example/{batchId}":          `input batch-url-template: "http://app.example/{batchId}": the scheme must be https`,
		"https://app.example/{batchId":          "unbalanced brace",
	} {
		srv := steptest.NewFake(t, steptest.Run5("batch_x", time.Now(), 5, 0))
		s := runStep(t, map[string]string{"api-key": steptest.Key, "agent-id": "agent_x", "api-url": srv.URL, "batch-url-template": template}, nil)
		s.CheckHygiene(t)
		if s.Exit != 2 || !strings.Contains(strings.Join(s.Annotations("error"), "\n"), want) {
			t.Errorf("%s: exit %d, annotations %q; want 2 and %q", template, s.Exit, s.Annotations("error"), want)
		}
		if n := len(srv.Requests()); n != 0 {
			t.Errorf("%s: %d requests before the input was refused", template, n)
		}
	}
}

// TestLinksNeverCarryTheKey: a batch run id that holds the key, as a buggy
// or hostile server might send, and a template the user wrote with it, link
// to a URL without the key in any form.
func TestLinksNeverCarryTheKey(t *testing.T) {
	t.Parallel()
	srv := steptest.NewFake(t, steptest.Run5("batch_"+steptest.Key+"/x y", time.Now().Add(-time.Hour), 4, 1))
	s := runStep(t, map[string]string{"api-key": steptest.Key, "agent-id": "agent_x", "api-url": srv.URL,
		"batch-url-template": "https://app.example/" + steptest.Key + "/{agentId}/{batchId}"}, nil)
	s.CheckHygiene(t)
	s.CheckNoKey(t, steptest.Key)
	if s.Exit != 1 || !strings.Contains(s.Summary, "](https://app.example/") {
		t.Errorf("exit %d, want 1 and a link in the summary:\n%s", s.Exit, s.Summary)
	}
}
