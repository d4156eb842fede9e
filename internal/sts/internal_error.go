package sts

import (
	"net/http"

	"github.com/orgd/orgd/internal/wire"
)

// WriteInternalError answers an STS request the server failed inside
// with STS's InternalFailure, in its XML shape; a recovered panic ends
// this way.
func WriteInternalError(w http.ResponseWriter) {
	id := w.Header().Get("x-amzn-RequestId")
	if id == "" {
		id = wire.NewRequestID()
		w.Header().Set("x-amzn-RequestId", id)
	}
	(&Handler{}).writeError(w, &wire.Exchange{RequestID: id}, &stsError{http.StatusInternalServerError, "InternalFailure", "The request failed because of an internal error."})
}
