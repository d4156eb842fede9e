// Package crashtest checks that orgd keeps every write it acknowledged
// when its process dies at any moment: it builds the real binary, drives
// it with the unchanged aws-sdk-go-v2 client, kills it with SIGKILL under
// load, restarts it on the same store and checks what the client saw
// acknowledged, and the state's invariants. Everything is in _test.go
// files; traffic stays on 127.0.0.1.
//
// ORGD_CRASH_CYCLES (or -crash.cycles) raises the number of kill/restart
// cycles from its default of 5; the PostgreSQL variant needs
// ORGD_TEST_POSTGRES_URL (scripts/ci-postgres.sh prints one).
package crashtest
