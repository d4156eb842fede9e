package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/orgd/orgd/internal/org"
)

// authorizeBody is the request of POST /_orgd/authorize: org.AuthorizeRequest
// except that a context value may be one string as well as a list, as
// people write them by hand.
type authorizeBody struct {
	Account   string                     `json:"account"`
	Action    string                     `json:"action"`
	Resource  string                     `json:"resource"`
	Principal string                     `json:"principal"`
	Context   map[string]json.RawMessage `json:"context"`
}

const authorizeUsage = `body must be {"account", "action", "resource", "principal", "context": {"key": "value" or ["values"]}}`

// authorize answers whether the SCPs in force allow a request, and why,
// without making it.
func (a *admin) authorize(w http.ResponseWriter, r *http.Request) {
	var body authorizeBody
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	// An unknown field is most likely a misspelt one that would silently
	// change the question.
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, adminError{Error: authorizeUsage + ": " + err.Error()})
		return
	}
	req := org.AuthorizeRequest{Account: body.Account, Action: body.Action, Resource: body.Resource, Principal: body.Principal}
	for k, raw := range body.Context {
		vals, err := contextValues(raw)
		if err != nil {
			writeError(w, http.StatusBadRequest, adminError{Error: fmt.Sprintf("context %q: %v", k, err)})
			return
		}
		if req.Context == nil {
			req.Context = map[string][]string{}
		}
		req.Context[k] = vals
	}
	res, err := a.svc.Authorize(r.Context(), req)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// contextValues reads a context value: a string or a list of strings.
func contextValues(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		err := json.Unmarshal(raw, &s)
		return []string{s}, err
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil || list == nil {
		return nil, errors.New("must be a string or a list of strings")
	}
	return list, nil
}
