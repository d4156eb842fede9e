package org

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/store"
	"github.com/orgd/orgd/internal/store/boltstore"
	"github.com/orgd/orgd/internal/store/memstore"
)

// filled returns a record of type T with every field set, so that a field
// the compact form forgets fails the round trip.
func filled[T any](t *testing.T) *T {
	t.Helper()
	v := new(T)
	rv := reflect.ValueOf(v).Elem()
	for i := range rv.NumField() {
		f := rv.Field(i)
		if !f.CanSet() {
			continue
		}
		switch f.Interface().(type) {
		case time.Time:
			f.Set(reflect.ValueOf(time.Date(2026, 1, 2, 3, 4, 5, 6+i, time.UTC)))
		case []api.Tag:
			f.Set(reflect.ValueOf([]api.Tag{{Key: "k", Value: "v"}, {Key: "ünï", Value: ""}}))
		default:
			if f.Kind() != reflect.String {
				t.Fatalf("%s.%s: a field of a type the test cannot fill", rv.Type(), rv.Type().Field(i).Name)
			}
			f.SetString("f" + rv.Type().Field(i).Name)
		}
	}
	return v
}

// recordKey is the key the record v points to is stored under.
func recordKey(v any) string {
	switch r := v.(type) {
	case *account:
		return keyAccount(r.ID)
	case *createStatus:
		return keyCreateStatus(r.ID)
	}
	panic("not a compact kind")
}

func roundTrip[T any](t *testing.T, in *T) {
	t.Helper()
	key := recordKey(in)
	b, err := encodeRecord(key, in)
	if err != nil {
		t.Fatal(err)
	}
	if !isCompact(b) {
		t.Fatalf("%T stored as %q, not compact", in, b)
	}
	var copied, shared T
	if err := decodeRecord(key, b, &copied); err != nil {
		t.Fatal(err)
	}
	if ok, err := decodeShared(key, b, &shared); !ok || err != nil {
		t.Fatalf("decodeShared: %v, %v", ok, err)
	}
	for _, out := range []*T{&copied, &shared} {
		if !reflect.DeepEqual(out, in) {
			t.Errorf("round trip of %T:\n got %+v\nwant %+v", in, out, in)
		}
	}
	// What JSON storage would hold, for export.
	want, _ := json.Marshal(in)
	if got, err := compactAsJSON(key, b); err != nil || !bytes.Equal(got, want) {
		t.Errorf("compactAsJSON = %s, %v; want %s", got, err, want)
	}
	// Every truncation is an error, never a panic or a partial record.
	for n := 1; n < len(b); n++ {
		var v T
		if err := decodeRecord(key, b[:n], &v); err == nil {
			t.Errorf("%T cut to %d of %d bytes decoded", in, n, len(b))
		}
	}
	if err := decodeRecord(key, append(b, 0), new(T)); err == nil {
		t.Errorf("%T with a byte after it decoded", in)
	}
}

// A record whose ID is not its key's stays JSON, where CheckInvariants
// sees the mismatch: the compact form takes the ID from the key.
func TestCompactNeedsItsKey(t *testing.T) {
	for _, v := range []any{&account{ID: "111111111111"}, &createStatus{ID: "car-1"}} {
		b, err := encodeRecord("acct/222222222222", v)
		if err != nil || isCompact(b) {
			t.Errorf("%T under another ID's key stored as %q, %v", v, b, err)
		}
	}
}

func TestCompactRoundTrip(t *testing.T) {
	roundTrip(t, filled[account](t))
	roundTrip(t, filled[createStatus](t))
	roundTrip(t, &account{ID: "111111111111", State: api.AccountStateActive})
	roundTrip(t, &createStatus{ID: "car-1", Tags: []api.Tag{}})
	plus := filled[account](t)
	plus.JoinedAt = plus.JoinedAt.In(time.FixedZone("", 3600))
	roundTrip(t, plus)
}

// Records stored as JSON, as versions before the compact form wrote them,
// read as they always did, through the cache and through decodeRecord.
func TestRecordsStoredAsJSON(t *testing.T) {
	joined := time.Date(2026, 12, 1, 11, 38, 47, 919762512, time.UTC)
	for _, tc := range []struct {
		raw  string
		want any
	}{
		{`{"ID":"578405329512","Email":"member-0@example.com","Name":"member 0","Org":"o-js21uqta02","Parent":"r-7rp9","Joined":"CREATED","JoinedAt":"2026-12-01T11:38:47.919762512Z","State":"ACTIVE","Closed":"0001-01-01T00:00:00Z","RoleName":"OrganizationAccountAccessRole"}`,
			&account{ID: "578405329512", Email: "member-0@example.com", Name: "member 0", Org: "o-js21uqta02", Parent: "r-7rp9",
				Joined: api.AccountJoinedMethodCreated, JoinedAt: joined, State: api.AccountStateActive, RoleName: "OrganizationAccountAccessRole"}},
		{`{"ID":"car-15628cc2b7e00ec06522ea2b90ac375b","Org":"o-js21uqta02","AccountName":"member 0","Email":"member-0@example.com","RoleName":"OrganizationAccountAccessRole","IamBilling":"ALLOW","Tags":null,"State":"SUCCEEDED","Requested":"2026-12-01T11:38:47.919762512Z","Completed":"2026-12-01T11:38:47.919762512Z","AccountID":"578405329512","FailureReason":""}`,
			&createStatus{ID: "car-15628cc2b7e00ec06522ea2b90ac375b", Org: "o-js21uqta02", AccountName: "member 0", Email: "member-0@example.com",
				RoleName: "OrganizationAccountAccessRole", IamBilling: api.IAMUserAccessToBilling("ALLOW"), State: api.CreateAccountStateSucceeded,
				Requested: joined, Completed: joined, AccountID: "578405329512"}},
	} {
		c := newRecordCache()
		for range 2 { // decoded, then from the cache
			got := reflect.New(reflect.TypeOf(tc.want).Elem()).Interface()
			if err := c.decode("k", []byte(tc.raw), got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("cache decode of %s:\n got %+v\nwant %+v", tc.raw, got, tc.want)
			}
		}
		got := reflect.New(reflect.TypeOf(tc.want).Elem()).Interface()
		key := recordKey(tc.want)
		if err := c.decode(key, []byte(tc.raw), got); err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("cache decode under %s = %+v, %v", key, got, err)
		}
		got = reflect.New(reflect.TypeOf(tc.want).Elem()).Interface()
		if err := decodeRecord(key, []byte(tc.raw), got); err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("decodeRecord(%s) = %+v, %v", tc.raw, got, err)
		}
		// Written again, the record is compact and exports as it was.
		b, _ := encodeRecord(key, got)
		if !isCompact(b) {
			t.Errorf("%s written again as %s", key, b)
		}
		if j, err := compactAsJSON(key, b); err != nil || string(j) != tc.raw {
			t.Errorf("exported as %s, %v; want %s", j, err, tc.raw)
		}
	}
}

// todaysState is an organization with two created members as stored
// before records were compact: every record JSON.
var todaysState = map[string]string{
	"acct/111111111111": `{"ID":"111111111111","Email":"account-111111111111@example.com","Name":"Account 111111111111","Org":"o-js21uqta02","Parent":"r-7rp9","Joined":"INVITED","JoinedAt":"2026-12-01T11:38:47.919315123Z","State":"ACTIVE","Closed":"0001-01-01T00:00:00Z"}`,
	"acct/578405329512": `{"ID":"578405329512","Email":"member-0@example.com","Name":"member 0","Org":"o-js21uqta02","Parent":"r-7rp9","Joined":"CREATED","JoinedAt":"2026-12-01T11:38:47.919762512Z","State":"ACTIVE","Closed":"0001-01-01T00:00:00Z","RoleName":"OrganizationAccountAccessRole"}`,
	"acct/909641976916": `{"ID":"909641976916","Email":"member-1@example.com","Name":"member 1","Org":"o-js21uqta02","Parent":"r-7rp9","Joined":"CREATED","JoinedAt":"2026-12-01T11:38:47.919881495Z","State":"ACTIVE","Closed":"0001-01-01T00:00:00Z","RoleName":"OrganizationAccountAccessRole"}`,
	"attach/o-js21uqta02/111111111111/SERVICE_CONTROL_POLICY/p-FullAWSAccess":            "01796125127919315123",
	"attach/o-js21uqta02/578405329512/SERVICE_CONTROL_POLICY/p-FullAWSAccess":            "01796125127919881495",
	"attach/o-js21uqta02/909641976916/SERVICE_CONTROL_POLICY/p-FullAWSAccess":            "01796125127919997462",
	"attach/o-js21uqta02/r-7rp9/SERVICE_CONTROL_POLICY/p-FullAWSAccess":                  "01796125127919315123",
	"attached/o-js21uqta02/p-FullAWSAccess/111111111111":                                 "",
	"attached/o-js21uqta02/p-FullAWSAccess/578405329512":                                 "",
	"attached/o-js21uqta02/p-FullAWSAccess/909641976916":                                 "",
	"attached/o-js21uqta02/p-FullAWSAccess/r-7rp9":                                       "",
	"car/car-15628cc2b7e00ec06522ea2b90ac375b":                                           `{"ID":"car-15628cc2b7e00ec06522ea2b90ac375b","Org":"o-js21uqta02","AccountName":"member 0","Email":"member-0@example.com","RoleName":"OrganizationAccountAccessRole","IamBilling":"ALLOW","Tags":null,"State":"SUCCEEDED","Requested":"2026-12-01T11:38:47.919762512Z","Completed":"2026-12-01T11:38:47.919762512Z","AccountID":"578405329512","FailureReason":""}`,
	"car/car-edf819c144062e70a9dbbd70b449a89b":                                           `{"ID":"car-edf819c144062e70a9dbbd70b449a89b","Org":"o-js21uqta02","AccountName":"member 1","Email":"member-1@example.com","RoleName":"OrganizationAccountAccessRole","IamBilling":"ALLOW","Tags":null,"State":"SUCCEEDED","Requested":"2026-12-01T11:38:47.919881495Z","Completed":"2026-12-01T11:38:47.919881495Z","AccountID":"909641976916","FailureReason":""}`,
	"child/r-7rp9/a/111111111111":                                                        "",
	"child/r-7rp9/a/578405329512":                                                        "",
	"child/r-7rp9/a/909641976916":                                                        "",
	"email/account-111111111111@example.com":                                             "111111111111",
	"email/member-0@example.com":                                                         "578405329512",
	"email/member-1@example.com":                                                         "909641976916",
	"member/o-js21uqta02/111111111111":                                                   "",
	"member/o-js21uqta02/578405329512":                                                   "",
	"member/o-js21uqta02/909641976916":                                                   "",
	"meta/clock-offset":                                                                  "0",
	"org/o-js21uqta02":                                                                   `{"ID":"o-js21uqta02","Management":"111111111111","FeatureSet":"ALL","Root":"r-7rp9","Created":"2026-12-01T11:38:47.919315123Z","Members":3,"OUs":0,"CreatesInProgress":0,"OpenInvitations":0,"ClosuresInProgress":0}`,
	"orgcar/o-js21uqta02/20261201T113847.919762512/car-15628cc2b7e00ec06522ea2b90ac375b": "",
	"orgcar/o-js21uqta02/20261201T113847.919881495/car-edf819c144062e70a9dbbd70b449a89b": "",
	"orgpolicy/o-js21uqta02/RESOURCE_CONTROL_POLICY/0/p-RCPFullAWSAccess":                "",
	"orgpolicy/o-js21uqta02/SERVICE_CONTROL_POLICY/0/p-FullAWSAccess":                    "",
	"root/r-7rp9": `{"ID":"r-7rp9","Org":"o-js21uqta02","Name":"Root","PolicyTypes":[{"Type":"SERVICE_CONTROL_POLICY","Status":"ENABLED"}]}`,
}

// A store written before records were compact (a bolt file, PostgreSQL
// rows: to the domain both are these bytes) reads and exports as it did,
// and records rewritten compact export the same.
func TestStateStoredAsJSON(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) store.Store{
		"memory": func(*testing.T) store.Store { return memstore.New() },
		"bolt": func(t *testing.T) store.Store {
			st, err := boltstore.Open(filepath.Join(t.TempDir(), "orgd.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		},
	} {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			err := st.Update(context.Background(), func(tx store.Tx) error {
				for k, v := range todaysState {
					if err := tx.Put(k, []byte(v)); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			cfg := DefaultConfig()
			cfg.Now = func() time.Time { return time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC) }
			s, err := New(context.Background(), st, cfg)
			if err != nil {
				t.Fatal(err)
			}
			acct, err := s.DescribeAccount(as(mgmtID), &api.DescribeAccountRequest{AccountId: "578405329512"})
			if err != nil || acct.Account.Email != "member-0@example.com" || acct.Account.JoinedTimestamp.UnixMilli() != 1796125127919 {
				t.Errorf("DescribeAccount = %+v, %v", acct.Account, err)
			}
			status, err := s.DescribeCreateAccountStatus(as(mgmtID), &api.DescribeCreateAccountStatusRequest{CreateAccountRequestId: "car-edf819c144062e70a9dbbd70b449a89b"})
			if err != nil || status.CreateAccountStatus.AccountId != "909641976916" {
				t.Errorf("DescribeCreateAccountStatus = %+v, %v", status, err)
			}
			if err := s.CheckInvariants(context.Background()); err != nil {
				t.Error(err)
			}
			checkExport := func(when string) {
				var doc stateDoc
				if err := json.Unmarshal(export(t, s), &doc); err != nil {
					t.Fatal(err)
				}
				for _, r := range doc.Records {
					if want := todaysState[r.Key]; strings.HasPrefix(want, "{") && string(r.Value) != want {
						t.Errorf("%s: exported %s as %s, want %s", when, r.Key, r.Value, want)
					}
				}
			}
			checkExport("stored as JSON")
			for k := range todaysState {
				switch {
				case strings.HasPrefix(k, "acct/"):
					editRecord(t, s, k, func(*account) {})
				case strings.HasPrefix(k, "car/"):
					editRecord(t, s, k, func(*createStatus) {})
				}
			}
			st.View(context.Background(), func(tx store.Tx) error {
				v, _, _ := tx.Get("acct/578405329512")
				if !isCompact(v) {
					t.Errorf("rewritten account stored as %q", v)
				}
				return nil
			})
			checkExport("rewritten compact")
			if err := s.CheckInvariants(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
}

// BenchmarkDecodeAccount decodes a member account as each account of a
// ListAccounts page is, its strings sharing the stored bytes.
func BenchmarkDecodeAccount(b *testing.B) {
	in := &account{ID: "200000000007", Email: "member-200000000007@example.com", Name: "member-200000000007",
		Org: "o-abcdefghij", Parent: "r-ab12", Joined: api.AccountJoinedMethodCreated,
		JoinedAt: time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC), State: api.AccountStateActive, RoleName: defaultRoleName}
	key := keyAccount(in.ID)
	stored, err := encodeRecord(key, in)
	if err != nil {
		b.Fatal(err)
	}
	var a account
	for b.Loop() {
		if ok, err := decodeShared(key, stored, &a); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
	if !reflect.DeepEqual(&a, in) {
		b.Fatalf("decoded %+v, want %+v", a, in)
	}
}
