package org

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/api"
)

// TestEncodeRecordIsJSONMarshal checks that the records encoded without
// reflection come out byte for byte as json.Marshal encodes them, for
// edge values and random ones: strings with escapes, HTML characters,
// other scripts and invalid UTF-8; times zero, zoned and out of range.
func TestEncodeRecordIsJSONMarshal(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	str := func() string {
		pieces := []string{"", "a", "ou-abcd-12345678", `"`, `\`, "<", ">", "&", "\n", "\x00", "\x7f", "é", "日本", "\u2028", "\xff", "\xc3", "💼"}
		var s string
		for range r.IntN(5) {
			s += pieces[r.IntN(len(pieces))]
		}
		return s
	}
	num := func() int { return []int{0, 1, -1, 2000, 1 << 40, -1 << 40}[r.IntN(6)] }
	when := func() time.Time {
		return []time.Time{
			{},
			time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC),
			time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("", -7*3600)),
			time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("", 5*3600+1800)),
			time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
			time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
			time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600)),
			time.Now(),
		}[r.IntN(8)]
	}
	var records []any
	for range 500 {
		records = append(records,
			&organization{ID: str(), Management: str(), FeatureSet: api.OrganizationFeatureSet(str()), Root: str(), Created: when(),
				Members: num(), OUs: num(), CreatesInProgress: num(), OpenInvitations: num(), ClosuresInProgress: num()},
			&ou{ID: str(), Org: str(), Parent: str(), Name: str(), Depth: num()})
		var tags []api.Tag
		if r.IntN(4) > 0 {
			tags = []api.Tag{}
			for range r.IntN(4) {
				tags = append(tags, api.Tag{Key: str(), Value: str()})
			}
		}
		records = append(records, &tags)
	}
	for _, v := range records {
		want, wantErr := json.Marshal(v)
		got, ok := recordJSON(v)
		if wantErr != nil {
			if ok {
				t.Errorf("recordJSON(%+v) = %s; json.Marshal fails: %v", v, got, wantErr)
			}
			continue
		}
		if !ok || !bytes.Equal(got, want) {
			t.Errorf("recordJSON(%+v) = %s, %v\njson.Marshal gives %s", v, got, ok, want)
		}
	}
	if _, ok := recordJSON(&root{}); ok {
		t.Error("encodeRecord encoded a root, which it has no encoder for")
	}
}
