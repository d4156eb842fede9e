package store

import "sync/atomic"

// retried is the function ConflictRetried calls; nil until metrics set it.
var retried atomic.Pointer[func()]

// OnConflictRetry makes fn hear of every transaction a backend runs again
// because it lost a serialization conflict (package metrics counts them).
// A nil fn stops it.
func OnConflictRetry(fn func()) {
	if fn == nil {
		retried.Store(nil)
		return
	}
	retried.Store(&fn)
}

// ConflictRetried is what a backend calls when it runs a transaction again
// after a serialization conflict.
func ConflictRetried() {
	if fn := retried.Load(); fn != nil {
		(*fn)()
	}
}
