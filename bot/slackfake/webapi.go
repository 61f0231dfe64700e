package slackfake

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// apiRequest is one Web API call as a method handler sees it.
type apiRequest struct {
	method string
	params map[string]string
	host   string // the Host the client used, for URLs handed back
}

func (r *apiRequest) param(name string) string { return r.params[name] }

// result is a successful Web API answer; "ok": true is added.
type result map[string]any

// apiHandler answers a call with a result, or with a Slack error code.
type apiHandler func(s *Server, r *apiRequest) (result, string)

// webAPI lists the methods the fake implements.
var webAPI = map[string]apiHandler{
	"auth.test":             (*Server).authTest,
	"chat.postMessage":      (*Server).chatPostMessage,
	"chat.update":           (*Server).chatUpdate,
	"chat.postEphemeral":    (*Server).chatPostEphemeral,
	"chat.delete":           (*Server).chatDelete,
	"views.open":            (*Server).viewsOpen,
	"views.push":            (*Server).viewsPush,
	"views.update":          (*Server).viewsUpdate,
	"users.info":            (*Server).usersInfo,
	"users.lookupByEmail":   (*Server).usersLookupByEmail,
	"conversations.open":    (*Server).conversationsOpen,
	"usergroups.list":       (*Server).usergroupsList,
	"usergroups.users.list": (*Server).usergroupsUsersList,
	"apps.connections.open": (*Server).appsConnectionsOpen,
}

const maxBody = 1 << 20

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	params, perr := parseParams(r, body)
	token := bearer(r)
	if token == "" {
		token = params["token"]
	}
	delete(params, "token")
	call := Call{Method: method, Params: params, Body: body, Token: token, Time: s.cfg.Now()}

	if fault := s.takeFault(method); fault != 0 {
		s.answerFault(w, r, call, fault)
		return
	}
	res, code := s.dispatch(method, token, &apiRequest{method: method, params: params, host: r.Host}, perr)
	call.Status, call.Error = http.StatusOK, code
	s.recordCall(call)
	writeAPI(w, res, code)
}

func (s *Server) dispatch(method, token string, r *apiRequest, perr error) (result, string) {
	want := s.cfg.BotToken
	if method == "apps.connections.open" {
		want = s.cfg.AppToken
	}
	switch {
	case token == "":
		return nil, "not_authed"
	case token != want:
		return nil, "invalid_auth"
	case perr != nil:
		return nil, "invalid_arguments"
	}
	h, ok := webAPI[method]
	if !ok {
		return nil, "unknown_method"
	}
	return h(s, r)
}

func (s *Server) answerFault(w http.ResponseWriter, r *http.Request, call Call, fault Fault) {
	call.Error = fault.String()
	switch fault {
	case RateLimited:
		call.Status = http.StatusTooManyRequests
		s.recordCall(call)
		w.Header().Set("Retry-After", "1")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"ok":false,"error":"ratelimited"}`)
	case ServerError:
		call.Status = http.StatusInternalServerError
		s.recordCall(call)
		http.Error(w, "<html><body>500 Internal Server Error</body></html>", http.StatusInternalServerError)
	case Timeout:
		call.Status = http.StatusGatewayTimeout
		s.recordCall(call)
		t := time.NewTimer(maxHang)
		defer t.Stop()
		select {
		case <-r.Context().Done():
		case <-s.closed:
		case <-t.C:
		}
		http.Error(w, "gateway timeout", http.StatusGatewayTimeout)
	}
}

func writeAPI(w http.ResponseWriter, res result, code string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if code != "" {
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": code})
		return
	}
	if res == nil {
		res = result{}
	}
	res["ok"] = true
	_ = json.NewEncoder(w).Encode(res)
}

func bearer(r *http.Request) string {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return ""
	}
	return strings.TrimSpace(token)
}

// parseParams merges the query string with a form or JSON body. JSON values
// that are not strings are kept as their JSON text.
func parseParams(r *http.Request, body []byte) (map[string]string, error) {
	params := make(map[string]string)
	for k, v := range r.URL.Query() {
		params[k] = v[0]
	}
	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ctype == "application/json" {
		var obj map[string]json.RawMessage
		if len(body) > 0 {
			if err := json.Unmarshal(body, &obj); err != nil {
				return params, err
			}
		}
		for k, raw := range obj {
			var str string
			if json.Unmarshal(raw, &str) == nil {
				params[k] = str
			} else {
				params[k] = string(raw)
			}
		}
		return params, nil
	}
	form, err := url.ParseQuery(string(body))
	for k, v := range form {
		params[k] = v[0]
	}
	return params, err
}
