// Package sdktest holds what tests that call orgd through aws-sdk-go-v2
// share.
package sdktest

import (
	"errors"
	"net"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// OnlyClosedConnections is a retryer that retries nothing but a read on
// a connection Go's transport closed under the SDK (aws-sdk-go-v2 issue
// 2737, which the SDK's default retryer retries for the same reason; it
// shows as "use of closed network connection" on an answer whose status
// was 200). A test sees every API error as it came, and no spurious
// network failure.
func OnlyClosedConnections() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 3
		o.RateLimiter = ratelimit.None
		o.Retryables = []retry.IsErrorRetryable{retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
			return aws.BoolTernary(errors.Is(err, net.ErrClosed))
		})}
	})
}
