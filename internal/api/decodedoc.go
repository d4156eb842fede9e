package api

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
)

// DocDecoder is an input that sets itself from a JSON document already
// parsed (objects as map[string]any, numbers as json.Number) and validated
// against its shape, without a second parse. It sets what json.Unmarshal
// would set from the document's text, reading only members spelt as the
// model spells them (json.Unmarshal would also take other spellings).
// apigen writes the method of every input structure (decodedoc_gen.go).
type DocDecoder interface {
	DecodeDoc(doc map[string]any) error
}

func (*Empty) DecodeDoc(map[string]any) error { return nil }

// errDocMismatch is a document json.Unmarshal would refuse for the input
// type: a value of another type, an integer past int32, a null timestamp.
var errDocMismatch = errors.New("api: document does not match the input type")

// docInt32 is an integer member as json.Unmarshal sets an int32 from it.
func docInt32(x any) (int32, error) {
	n, ok := x.(json.Number)
	if !ok {
		return 0, errDocMismatch
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil || i < math.MinInt32 || i > math.MaxInt32 {
		return 0, errDocMismatch
	}
	return int32(i), nil
}

// docTime is a timestamp member as Time.UnmarshalJSON sets it.
func docTime(x any) (Time, error) {
	n, ok := x.(json.Number)
	if !ok {
		return Time{}, errDocMismatch
	}
	var t Time
	if err := t.parse(string(n)); err != nil {
		return Time{}, errDocMismatch
	}
	return t, nil
}
