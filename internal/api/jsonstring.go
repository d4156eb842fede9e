package api

// AppendJSONString appends s as a JSON string, byte for byte as
// encoding/json's Marshal encodes it, for other packages that encode
// without reflection (org's stored records).
func AppendJSONString(b []byte, s string) []byte { return appendString(b, s) }
