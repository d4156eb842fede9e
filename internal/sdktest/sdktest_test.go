package sdktest

import (
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/aws/smithy-go"
)

func TestOnlyClosedConnectionsRetries(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"a read on a closed connection", &net.OpError{Op: "read", Net: "tcp", Err: net.ErrClosed}, true},
		{"wrapped, as the SDK hands it over", fmt.Errorf("deserialization failed: %w", &net.OpError{Op: "read", Net: "tcp", Err: net.ErrClosed}), true},
		{"throttling", &smithy.GenericAPIError{Code: "TooManyRequestsException", Message: "Rate exceeded"}, false},
		{"a server error", &smithy.GenericAPIError{Code: "ServiceException", Message: "boom", Fault: smithy.FaultServer}, false},
		{"a reset connection", errors.New("read tcp 127.0.0.1:1->127.0.0.1:2: connection reset by peer"), false},
	} {
		if got := OnlyClosedConnections().IsErrorRetryable(tc.err); got != tc.want {
			t.Errorf("%s: retryable %v, want %v", tc.name, got, tc.want)
		}
	}
}
