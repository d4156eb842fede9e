// Package api is the Organizations API as Go types, generated from the model
// by ../apigen: one struct per input and output shape, one string type per
// enum, a constructor per exception, the shape registry for validation, the
// Handler interface with one method per operation, and Dispatch.
//
// The files whose names do not end in _gen.go are written by hand.
package api

//go:generate go run ../apigen -model ../apigen/model/organizations.json -out . -memo Account
