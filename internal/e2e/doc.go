// Package e2e tests orgd end to end: the real HTTP handler on a loopback
// listener, driven by the unchanged aws-sdk-go-v2 Organizations client.
//
// Everything lives in _test.go files. harness_test.go has the harness:
// newHarness starts a server, h.client(t, id) returns an SDK client acting
// as account id, h.world builds the three kinds of caller (management,
// member, standalone), the admin helpers move the clock and register
// accounts, and wantAPIError checks an exception and its Reason as the SDK
// decoded them. Tests of one area go in a file of their own
// (organization_test.go, accounts_test.go, handshakes_test.go, ...).
package e2e
