package slackfake

import (
	"bytes"
	"maps"
	"time"
)

// Call is one request the fake received: a Web API method, or "response_url"
// for a post to a response_url.
type Call struct {
	Method string
	// Params are the parsed parameters: form values, or the top-level fields
	// of a JSON body. Non-string JSON values (a view, blocks) are kept as JSON
	// text, so Params["blocks"] is the same whichever encoding the client used.
	Params map[string]string
	Body   []byte
	Token  string
	Time   time.Time
	Status int    // the HTTP status the fake answered
	Error  string // the Slack error the fake answered, "" when ok
}

// Param returns one parameter, "" when absent.
func (c Call) Param(name string) string { return c.Params[name] }

// Calls returns the calls of one method ("" for all), oldest first.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			c.Params = maps.Clone(c.Params)
			c.Body = bytes.Clone(c.Body)
			out = append(out, c)
		}
	}
	return out
}

func (s *Server) recordCall(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
	s.changedLocked()
}

// Fault is a failure the fake can answer a Web API call with.
type Fault int

const (
	// RateLimited answers HTTP 429 with Retry-After: 1 and
	// {"ok":false,"error":"ratelimited"}; slack-go returns *slack.RateLimitedError.
	RateLimited Fault = iota + 1
	// ServerError answers HTTP 500; slack-go returns slack.StatusCodeError.
	ServerError
	// Timeout answers nothing until the client gives up (its request context
	// ends), at most 30 seconds, then HTTP 504.
	Timeout
)

func (f Fault) String() string {
	switch f {
	case RateLimited:
		return "ratelimited"
	case ServerError:
		return "server_error"
	case Timeout:
		return "timeout"
	}
	return "no_fault"
}

// maxHang bounds a Timeout fault for a client that never gives up.
const maxHang = 30 * time.Second

// FailNext makes the next n calls of method fail with kind, after which the
// method works again. Calls again for the same method queue behind the
// earlier ones. Faulted calls are recorded with Error set to the fault.
func (s *Server) FailNext(method string, n int, kind Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[method] = append(s.faults[method], kind)
	}
}

func (s *Server) takeFault(method string) Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.faults[method]
	if len(q) == 0 {
		return 0
	}
	s.faults[method] = q[1:]
	return q[0]
}
