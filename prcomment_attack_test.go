package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sigmagate/sigmagate/internal/prcomment"
	"github.com/sigmagate/sigmagate/internal/prcomment/prcommenttest"
	"github.com/sigmagate/sigmagate/internal/steptest"
	"github.com/sigmagate/sigmagate/sigmamind"
)

// TestPRCommentFitsWithTheLongestMarker: 50 agents whose ids make the
// longest marker, each failing with a long error, still get their comment,
// under GitHub's limit in characters, saying what it left out.
func TestPRCommentFitsWithTheLongestMarker(t *testing.T) {
	t.Parallel()
	gh := prcommenttest.NewServer()
	t.Cleanup(gh.Close)
	srv := steptest.NewFake(t)
	ids := make([]string, 50)
	for i := range ids {
		// Every '-' after another is written %2D in the marker: 128
		// characters of id become about 380 of marker.
		ids[i] = fmt.Sprintf("a%02d", i) + strings.Repeat("-", 125)
		// A name that escaping makes four times as long, and four
		// broken rules each.
		run := steptest.Run5("batch_"+fmt.Sprint(i), time.Now().Add(-time.Hour), 3, 2)
		run.Agent = &sigmamind.Agent{Name: strings.Repeat("<", 100), AgentID: ids[i], Status: "Live"}
		srv.AddBatchRuns(ids[i], run)
	}
	s := runStep(t, with(srv, "pr-comment", "always", "agent-id", strings.Join(ids, ","),
		"min-success-rate", "99%", "max-failed-attempts", "0", "min-attempts", "100"), prEnv(t, gh, "pull_request"))
	s.CheckHygiene(t)
	if s.Exit != 1 {
		t.Errorf("exit %d, want 1", s.Exit)
	}
	if w := s.Annotations("warning"); len(w) != 0 {
		t.Errorf("warnings %q, want none", w)
	}
	comments := gh.Comments("octo", "repo", 7)
	if len(comments) != 1 {
		t.Fatalf("%d comments, want 1\n%s", len(comments), s.Stdout)
	}
	body := comments[0].Body
	t.Logf("comment: %d characters, %d bytes, %d of marker", utf8.RuneCountInString(body), len(body), len(prcomment.Marker(ids)))
	if n := utf8.RuneCountInString(body); n >= 65536 {
		t.Errorf("the comment is %d characters, GitHub takes fewer than 65,536", n)
	}
	if !strings.HasPrefix(body, prcomment.Marker(ids)+"\n") || !strings.Contains(body, "left out of this comment") {
		t.Errorf("the comment lacks its marker or the line that says what it left out:\n%s", body[len(prcomment.Marker(ids)):])
	}
	steptest.CheckTables(t, body)
}
