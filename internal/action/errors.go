package action

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/sigmagate/sigmagate/internal/batches"
	"github.com/sigmagate/sigmagate/internal/config"
	"github.com/sigmagate/sigmagate/sigmamind"
)

// outage reports whether err is what an outage explains and re-running may
// cure: the network failed or timed out, or SigmaMind limited the rate or
// failed (429, 5xx) through every retry. It is the one rule for on-error:
// warn. Everything else fails the step whatever on-error says, since
// re-running will not change it: a refused key, an unknown agent or
// batch-id, a redirect, an answer that is not the API's, impossible data, a
// certificate the runner does not trust, an answer that is no HTTP, an
// api-url whose host does not exist or does not speak https. An error it
// does not know is no outage.
func outage(err error) bool {
	ok, _ := classify(err)
	return ok
}

// classify walks err, through wrapping and joining, down to the errors that
// say what failed. It reports whether every one of them is an outage, and the
// first that is not: what is wrong anywhere in err is wrong, whatever else
// failed with it.
func classify(err error) (outage bool, culprit error) {
	switch e := err.(type) {
	case nil:
		return false, nil
	case *batches.NotFoundError, *sigmamind.ResponseError, *sigmamind.DataError, *noTestCasesError:
		return false, err
	case *sigmamind.UncertainCreateError:
		// Never an outage, whatever it met: a batch run may exist, running
		// and costing simulated attempts, and re-running would start
		// another. Someone must look first.
		return false, err
	case *sigmamind.APIError:
		return e.StatusCode == http.StatusTooManyRequests || serverFailure(e.StatusCode), err
	case *sigmamind.TransportError:
		// Canceled is the gate stopped from outside, not the network.
		return !errors.Is(e, context.Canceled) && !e.Certificate() && !e.Malformed() && !notTLS(e) && !noSuchHost(e), err
	case interface{ Unwrap() []error }:
		errs := e.Unwrap()
		for _, sub := range errs {
			if ok, c := classify(sub); !ok {
				return false, c
			}
		}
		return len(errs) > 0, nil
	case interface{ Unwrap() error }:
		return classify(e.Unwrap())
	}
	return errors.Is(err, context.DeadlineExceeded), err
}

// serverFailure reports a 5xx status that says the server failed, not that
// the request or the network in between is wrong: 501 (not implemented),
// 505 (HTTP version) and 511 (a proxy asks to sign in) stay as they are
// however often the job is re-run.
func serverFailure(code int) bool {
	switch code {
	case http.StatusNotImplemented, http.StatusHTTPVersionNotSupported, http.StatusNetworkAuthenticationRequired:
		return false
	}
	return code >= 500 && code <= 599
}

// notTLS reports an https api-url whose server does not speak TLS.
func notTLS(err error) bool {
	var rec tls.RecordHeaderError
	return errors.Is(err, http.ErrSchemeMismatch) || errors.As(err, &rec)
}

// noSuchHost reports a host that DNS says does not exist: a typo in api-url,
// not a resolver that is down.
func noSuchHost(err error) bool {
	var dns *net.DNSError
	return errors.As(err, &dns) && dns.IsNotFound
}

// hint says what to do about an error reading the API. It never advises
// re-running for what outage says re-running will not cure.
func hint(err error, cfg config.Config) string {
	if ok, culprit := classify(err); !ok && culprit != nil {
		err = culprit // the reason the step fails
	}
	var api *sigmamind.APIError
	var data *sigmamind.DataError
	var resp *sigmamind.ResponseError
	var tr *sigmamind.TransportError
	var uncertain *sigmamind.UncertainCreateError
	switch {
	case errors.As(err, &uncertain):
		what := "a batch run"
		if len(uncertain.Candidates) > 0 {
			what = "batch run " + strings.Join(uncertain.Candidates, " or ")
		}
		return "SigmaMind may have started " + what + " for this request, which runs and costs simulated attempts: check the agent's batch runs in SigmaMind before re-running the job, which would start another; to judge one of them, run the gate with batch-id instead of run-test-cases"
	case errors.As(err, &data):
		return "the gate does not judge data that cannot be true: report the batch run to SigmaMind; the gate fails on it until its data is fixed"
	case errors.As(err, &resp):
		return "what answered is not SigmaMind's API as expected: check api-url (a proxy or a login page answering?), and report it to SigmaMind if api-url is right"
	case errors.As(err, &api):
		switch code := api.StatusCode; {
		case code == http.StatusUnauthorized:
			return "SigmaMind rejected the API key: check the api-key secret (SigmaMind Dashboard → API Keys)"
		case code == http.StatusForbidden:
			return "the API key may not read this agent: check that api-key belongs to the workspace of agent-id"
		case code == http.StatusNotFound:
			return "check agent-id against the agent's page in SigmaMind, and that api-url is the API's base URL (" + sigmamind.DefaultBaseURL + ", without /v1)"
		case code == http.StatusBadRequest:
			return "SigmaMind rejected the request: check agent-id"
		case code >= 300 && code < 400:
			return "the API answered with a redirect; the gate follows none away from api-url's host, where the key would go along: set api-url to the API's base URL, " + sigmamind.DefaultBaseURL
		case code == http.StatusTooManyRequests:
			return "SigmaMind is limiting the rate of requests: re-run the job later, or raise retries and timeout"
		case code == http.StatusNetworkAuthenticationRequired:
			return "a proxy on the runner's network asks to sign in: let the runner reach api-url without it"
		case serverFailure(code) && api.Retryable():
			return "SigmaMind failed to answer: re-run the job later; raising retries rides out short outages"
		case serverFailure(code):
			return "SigmaMind failed to answer: re-run the job later"
		case code >= 400 && code < 500:
			return "SigmaMind refused the request: check agent-id, and that api-url is the API's base URL (" + sigmamind.DefaultBaseURL + ")"
		}
		return "SigmaMind's API documents no such answer: check that api-url is the API's base URL, " + sigmamind.DefaultBaseURL
	case errors.Is(err, context.Canceled):
		return "the gate was stopped before the API answered"
	case errors.As(err, &tr) && tr.Certificate():
		return "the certificate of api-url's host could not be verified: check api-url; behind a proxy that inspects TLS, the runner must trust the proxy's certificate authority"
	case notTLS(err):
		return "the server at api-url does not speak https: check the scheme and port of api-url"
	case noSuchHost(err):
		return "the host of api-url does not exist: check api-url for a typo (the API is " + sigmamind.DefaultBaseURL + ")"
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("no complete answer within timeout %v (each of the %d tries may take %v): re-run the job later, or raise timeout",
			cfg.Timeout, cfg.Retries+1, requestTimeout(cfg.Timeout, cfg.Retries))
	case errors.As(err, &tr) && tr.Malformed():
		return "the server at api-url answered, but not with HTTP the gate can read: check api-url (its scheme and port), and any proxy between the runner and it"
	case errors.As(err, &tr) && (tr.Answered || tr.Status != 0):
		return "SigmaMind answered, but the response broke off before its end: re-run the job later; raising retries rides out short outages"
	case errors.As(err, &tr):
		return "could not reach " + cfg.APIURL + ": check api-url and the runner's network, or re-run the job later"
	}
	return ""
}
