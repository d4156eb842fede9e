package api

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

// TestAppendEpochMillis checks the integer formatting against the float
// formatting it replaces, byte for byte, at the edges and at random.
func TestAppendEpochMillis(t *testing.T) {
	ms := []int64{0, 1, -1, 10, 100, 999, 1000, 1001, 1010, 1100, -500, -1000, -1001,
		1764590400000, 1764590400123, 1764590400120, 1764590400100,
		time.Time{}.UnixMilli(), 1e15 - 1, 1e15, -1e15 + 1, -1e15, 1e15 + 7, math.MaxInt64, math.MinInt64}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		ms = append(ms, r.Int64N(2e15)-1e15, r.Int64N(4e12), r.Int64())
	}
	for _, m := range ms {
		want := strconv.AppendFloat(nil, float64(m)/1000, 'f', -1, 64)
		if got := appendEpochMillis(nil, m); string(got) != string(want) {
			t.Fatalf("appendEpochMillis(%d) = %s, want %s", m, got, want)
		}
	}
}
