package sigmamind

import (
	"context"
	"fmt"
	"github.com/sigmagate/sigmagate/internal/untrusted"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// BatchRun reads one of the agent's batch runs. It is checked as
// ListBatchRuns checks each row (its numbers, its agent, its createdDate),
// and it must be the batch run asked for: any other answer is a *DataError.
// A batch run SigmaMind does not know is an *APIError with status 404.
func (c *Client) BatchRun(ctx context.Context, agentID, batchID string) (*BatchRun, error) {
	if err := c.requestable("batch id", batchID); err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Set("agentId", agentID)
	var b BatchRun
	err := c.get(ctx, batchRunPath(batchID), q, func(d *decoder) error {
		b = BatchRun{} // a retry starts afresh
		return d.document(true, func() { d.batchRun(&b) })
	})
	if err != nil {
		return nil, err
	}
	scrub(&b, c.apiKey)
	if de := c.check(agentID, &b); de != nil {
		return nil, de
	}
	if b.BatchID != batchID {
		// A cache or a router that mixes up answers would otherwise have
		// another batch run judged as this one.
		return nil, &DataError{BatchID: b.BatchID, Created: b.CreatedDate,
			Problem: fmt.Sprintf("it was answered when batch run %s was asked for", shortID(untrusted.Redact(batchID, c.apiKey)))}
	}
	return &b, nil
}

// batchRunPath is the escaped path of one batch run.
func batchRunPath(batchID string) string {
	return batchRunsPath + "/" + url.PathEscape(batchID)
}

// requestable refuses an id that cannot be sent as it is: empty, longer than
// any id, with a control character, or a path step ("." or "..") that URL
// cleaning would turn into another endpoint.
func (c *Client) requestable(what, id string) error {
	switch {
	case id == "":
		return fmt.Errorf("the %s is empty", what)
	case len(id) > MaxIDLength:
		return fmt.Errorf("the %s is %d bytes long, more than any id (%d)", what, len(id), MaxIDLength)
	case !utf8.ValidString(id):
		// JSON would carry it as another id.
		return fmt.Errorf("the %s is not valid UTF-8", what)
	case strings.ContainsFunc(id, unicode.IsControl):
		return fmt.Errorf("the %s %s contains a control character", what, shortID(untrusted.Redact(id, c.apiKey)))
	case id == "." || id == "..":
		return fmt.Errorf("the %s %q is no id", what, id)
	}
	return nil
}
