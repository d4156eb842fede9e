package org

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/store"
)

func export(t testing.TB, s *Service) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := s.Export(context.Background(), &b); err != nil {
		t.Fatalf("Export: %v", err)
	}
	return b.Bytes()
}

func tokenSecret(t testing.TB, s *Service) []byte {
	t.Helper()
	var secret []byte
	err := s.store.View(context.Background(), func(tx store.Tx) error {
		v, _, err := tx.Get(keyTokenSecret)
		secret = append([]byte(nil), v...)
		return err
	})
	if err != nil || len(secret) == 0 {
		t.Fatalf("token secret: %q %v", secret, err)
	}
	return secret
}

func TestExportImportRoundTrip(t *testing.T) {
	b := buildState(t)
	s := b.f.svc
	first := export(t, s)

	var doc stateDoc
	if err := json.Unmarshal(first, &doc); err != nil {
		t.Fatalf("the export is not JSON: %v\n%s", err, first)
	}
	if doc.Format != StateFormat || doc.Version != StateVersion || len(doc.Records) == 0 {
		t.Fatalf("header %q %d, %d records", doc.Format, doc.Version, len(doc.Records))
	}
	if now := b.f.now(); doc.ServerTime != epochSeconds(now.UnixMilli()) {
		t.Errorf("serverTime %v, want %v", doc.ServerTime, epochSeconds(now.UnixMilli()))
	}
	for i, r := range doc.Records {
		if r.Key == keyTokenSecret {
			t.Fatal("the token secret was exported")
		}
		if i > 0 && r.Key <= doc.Records[i-1].Key {
			t.Fatalf("record %d %q is not after %q", i, r.Key, doc.Records[i-1].Key)
		}
	}
	// Every kind of value is there: records, valued and empty indexes.
	for _, want := range []string{
		`{"key":"` + keyOU(b.ou2) + `","value":{"ID":"` + b.ou2 + `",`,
		`{"key":"` + keyEmail("alpha@example.net") + `","value":"` + b.alpha + `"}`,
		`{"key":"` + keyMigration(b.cbOrg) + `","value":"` + b.migration + `"}`,
		`{"key":"` + keyMember(b.org, b.moved) + `","value":null}`,
		`{"key":"` + keyClock + `","value":"`,
	} {
		if !bytes.Contains(first, []byte(want)) {
			t.Errorf("the export lacks %s", want)
		}
	}

	secret := tokenSecret(t, s)
	if err := s.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DescribeOrganization(as(mgmtID), &api.Empty{}); err == nil {
		t.Fatal("the organization survived Reset")
	}
	if err := s.Import(context.Background(), bytes.NewReader(first)); err != nil {
		t.Fatalf("Import: %v", err)
	}
	if second := export(t, s); !bytes.Equal(first, second) {
		t.Fatalf("export after import differs:\n%s\nvs\n%s", first, second)
	}
	if !bytes.Equal(secret, tokenSecret(t, s)) {
		t.Error("Import changed the token secret")
	}
	if err := s.CheckInvariants(context.Background()); err != nil {
		t.Fatal(err)
	}

	// The imported state works: the moved account is where it was moved,
	// and the pending request completes.
	acct := b.f.describeAccount(mgmtID, b.moved)
	if want := b.org + "/" + b.root + "/" + b.ou1 + "/" + b.ou2 + "/" + b.moved + "/"; len(acct.Paths) != 1 || acct.Paths[0] != want {
		t.Errorf("paths %v, want %s", acct.Paths, want)
	}
	b.f.advance(s.cfg.CreateAccountDelay)
	st, err := s.DescribeCreateAccountStatus(as(mgmtID), &api.DescribeCreateAccountStatusRequest{CreateAccountRequestId: b.creating})
	if err != nil || st.CreateAccountStatus.State != api.CreateAccountStateSucceeded {
		t.Fatalf("pending creation after import: %+v %v", st, err)
	}
	if _, err := s.AcceptHandshake(as(cbMemberID), &api.AcceptHandshakeRequest{HandshakeId: b.approval}); err != nil {
		t.Fatalf("approving the imported migration: %v", err)
	}

	// Another server, with its own secret, takes the same document.
	other := newFixture(t)
	if err := other.svc.Import(context.Background(), bytes.NewReader(first)); err != nil {
		t.Fatal(err)
	}
	if again := export(t, other.svc); !bytes.Equal(first, again) {
		t.Fatal("another server's export of the import differs")
	}
	if bytes.Equal(secret, tokenSecret(t, other.svc)) {
		t.Fatal("two servers share a token secret")
	}
}

// editDoc decodes a document, lets fn change it and encodes it again.
func editDoc(t testing.TB, doc []byte, fn func(d map[string]any, recs []any) []any) []byte {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	d["records"] = fn(d, d["records"].([]any))
	out, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// setRecord changes the value of key in recs, or adds it in key order.
func setRecord(recs []any, key string, value any) []any {
	for i, r := range recs {
		rk := r.(map[string]any)["key"].(string)
		if rk == key {
			recs[i] = map[string]any{"key": key, "value": value}
			return recs
		}
		if rk > key {
			return append(recs[:i], append([]any{map[string]any{"key": key, "value": value}}, recs[i:]...)...)
		}
	}
	return append(recs, map[string]any{"key": key, "value": value})
}

func dropRecord(recs []any, key string) []any {
	for i, r := range recs {
		if r.(map[string]any)["key"] == key {
			return append(recs[:i], recs[i+1:]...)
		}
	}
	panic("no record " + key)
}

// TestImportRefusesBadDocuments checks that each kind of bad document is
// refused with ErrInvalidState and leaves the state exactly as it was.
func TestImportRefusesBadDocuments(t *testing.T) {
	b := buildState(t)
	s := b.f.svc
	good := export(t, s)
	// The state in place is another one, so that a partial import would
	// show.
	f := newFixture(t)
	f.newOrg(thirdID, "")
	before := export(t, f.svc)

	for _, tc := range []struct {
		name string
		doc  []byte
		want string
	}{
		{"not JSON", []byte("{"), "not a JSON object"},
		{"another format", editDoc(t, good, func(d map[string]any, r []any) []any { d["format"] = "other"; return r }), `format is "other"`},
		{"wrong version", editDoc(t, good, func(d map[string]any, r []any) []any { d["version"] = 2; return r }), "version 2 is not supported"},
		{"no version", editDoc(t, good, func(d map[string]any, r []any) []any { delete(d, "version"); return r }), "version  is not supported"},
		{"unknown field", editDoc(t, good, func(d map[string]any, r []any) []any { d["extra"] = true; return r }), `unknown field "extra"`},
		{"unknown key prefix", editDoc(t, good, func(_ map[string]any, r []any) []any {
			return setRecord(r, "zzz/1", nil)
		}), `"zzz/1"): unknown key prefix`},
		{"key without a prefix", editDoc(t, good, func(_ map[string]any, r []any) []any {
			return setRecord(r, "aaa", nil)
		}), `"aaa"): unknown key prefix`},
		{"keys out of order", editDoc(t, good, func(_ map[string]any, r []any) []any {
			r[0], r[1] = r[1], r[0]
			return r
		}), "keys must be unique and in order"},
		{"token secret", editDoc(t, good, func(_ map[string]any, r []any) []any {
			return setRecord(r, keyTokenSecret, "c2VjcmV0")
		}), "the token secret is per deployment"},
		{"malformed record: unknown field", editDoc(t, good, func(_ map[string]any, r []any) []any {
			return setRecord(r, keyOU(b.ou1), map[string]any{"ID": b.ou1, "Colour": "red"})
		}), `malformed record: json: unknown field "Colour"`},
		{"malformed record: wrong type", editDoc(t, good, func(_ map[string]any, r []any) []any {
			return setRecord(r, keyOrg(b.org), map[string]any{"ID": b.org, "Members": "many"})
		}), "malformed record"},
		{"malformed record: a string", editDoc(t, good, func(_ map[string]any, r []any) []any {
			return setRecord(r, keyAccount(b.moved), "222222222222")
		}), "malformed record"},
		{"null record", editDoc(t, good, func(_ map[string]any, r []any) []any {
			return setRecord(r, keyAccount(b.moved), nil)
		}), "a record can't be null"},
		{"index key with a value", editDoc(t, good, func(_ map[string]any, r []any) []any {
			return setRecord(r, keyMember(b.org, b.moved), "x")
		}), "an index key has a null value"},
		{"valued index without a string", editDoc(t, good, func(_ map[string]any, r []any) []any {
			return setRecord(r, keyMigration(b.cbOrg), nil)
		}), "value must be a string"},
		{"clock offset not a number", editDoc(t, good, func(_ map[string]any, r []any) []any {
			return setRecord(r, keyClock, "soon")
		}), "the clock offset must be an integer"},
		{"broken invariant: child entry lost", editDoc(t, good, func(_ map[string]any, r []any) []any {
			return dropRecord(r, keyChildAccount(b.ou2, b.moved))
		}), "index key " + keyChildAccount(b.ou2, b.moved) + " is missing"},
		{"broken invariant: counter", editDoc(t, good, func(_ map[string]any, r []any) []any {
			for _, rec := range r {
				if m := rec.(map[string]any); m["key"] == keyOrg(b.org) {
					m["value"].(map[string]any)["OUs"] = 7
				}
			}
			return r
		}), "counter OUs is 7 but the records say 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := f.svc.Import(context.Background(), bytes.NewReader(tc.doc))
			if !errors.Is(err, ErrInvalidState) {
				t.Fatalf("got %v, want ErrInvalidState", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not say %q", err, tc.want)
			}
			if after := export(t, f.svc); !bytes.Equal(before, after) {
				t.Fatalf("a refused import changed the state:\n%s\nvs\n%s", before, after)
			}
		})
	}
	// The good document goes in.
	if err := f.svc.Import(context.Background(), bytes.NewReader(good)); err != nil {
		t.Fatal(err)
	}
	if after := export(t, f.svc); !bytes.Equal(good, after) {
		t.Fatal("the good document did not go in whole")
	}
}

// TestExportOfOddValues: values that are not what their kind says are
// still exported, as text, so that a broken state can be looked at; Import
// refuses them.
func TestExportOfOddValues(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	raw(t, f.svc, map[string]string{"bogus/1": "not json", "member/o-x/1": "v", "ou/ou-x": "{"})
	doc := export(t, f.svc)
	for _, want := range []string{`{"key":"bogus/1","value":"not json"}`, `{"key":"member/o-x/1","value":"v"}`, `{"key":"ou/ou-x","value":"{"}`} {
		if !bytes.Contains(doc, []byte(want)) {
			t.Errorf("export lacks %s", want)
		}
	}
	if err := f.svc.Import(context.Background(), bytes.NewReader(doc)); !errors.Is(err, ErrInvalidState) {
		t.Fatalf("Import of a broken export: %v", err)
	}
}

// TestEveryKeyHasAKind reads the package's key and prefix functions
// (keyX, prefixX, dueKey) and checks that Import knows the kind of every
// key they make: a new key family that is not added to stateKinds fails
// here rather than in the first import of a state that has one.
func TestEveryKeyHasAKind(t *testing.T) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi fs.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		t.Fatal(err)
	}
	// first returns the string literal a key expression starts with.
	var first func(e ast.Expr) (string, bool)
	first = func(e ast.Expr) (string, bool) {
		switch e := e.(type) {
		case *ast.BasicLit:
			s, err := strconv.Unquote(e.Value)
			return s, err == nil && e.Kind == token.STRING
		case *ast.BinaryExpr:
			return first(e.X)
		case *ast.CallExpr:
			if sel, ok := e.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Sprintf" && len(e.Args) > 0 {
				return first(e.Args[0])
			}
		}
		return "", false // another key function, checked on its own
	}
	found := 0
	for _, pkg := range pkgs {
		for _, file := range pkg.Files {
			for _, d := range file.Decls {
				fn, ok := d.(*ast.FuncDecl)
				if !ok || fn.Recv != nil || fn.Body == nil || !(strings.HasPrefix(fn.Name.Name, "key") || strings.HasPrefix(fn.Name.Name, "prefix") || fn.Name.Name == "dueKey") {
					continue
				}
				ast.Inspect(fn.Body, func(n ast.Node) bool {
					ret, ok := n.(*ast.ReturnStmt)
					if !ok || len(ret.Results) != 1 {
						return true
					}
					lit, ok := first(ret.Results[0])
					if !ok {
						return true
					}
					found++
					seg, _, _ := strings.Cut(lit, "/")
					if _, known := kindOf(seg + "/x"); !known && seg+"/" != "meta/" {
						t.Errorf("%s makes keys under %q, which stateKinds lacks", fn.Name.Name, seg+"/")
					}
					return true
				})
			}
		}
	}
	if found < 30 {
		t.Fatalf("found only %d key functions: the test reads the wrong thing", found)
	}
}

// STS sessions hold live credentials: an export leaves them, and their
// expiry work, out unless asked for them (issue 10, item 7).
func TestExportSessions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.CreateOrganization(as(mgmtID), &api.CreateOrganizationRequest{}); err != nil {
		t.Fatal(err)
	}
	sess := identity.Session{
		AccessKeyID: "ASIAEXPORTTEST000001", SecretAccessKey: "export-test-secret-key", SessionToken: "export-test-session-token",
		Expiration: f.now().Add(time.Hour), AccountID: mgmtID, RoleName: "Admin", RoleARN: "arn:aws:iam::" + mgmtID + ":role/Admin",
		SessionName: "s", Principal: "arn:aws:sts::" + mgmtID + ":assumed-role/Admin/s", Source: "arn:aws:iam::" + mgmtID + ":root",
	}
	if err := f.svc.PutSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	exportWith := func(opts ExportOptions) []byte {
		var b bytes.Buffer
		if err := f.svc.ExportWith(ctx, &b, opts); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	secrets := []string{sess.SecretAccessKey, sess.SessionToken, sess.AccessKeyID, dueSessionExpired}
	for name, doc := range map[string][]byte{"Export": export(t, f.svc), "ExportWith{}": exportWith(ExportOptions{})} {
		for _, s := range secrets {
			if bytes.Contains(doc, []byte(s)) {
				t.Errorf("%s holds %q", name, s)
			}
		}
	}
	with := exportWith(ExportOptions{Sessions: true})
	for _, s := range secrets {
		if !bytes.Contains(with, []byte(s)) {
			t.Errorf("ExportWith{Sessions: true} lacks %q", s)
		}
	}

	// An import of the default export has the organization and no session;
	// of the full one, the session too. Both pass the invariants.
	for _, tc := range []struct {
		doc  []byte
		live bool
	}{{export(t, f.svc), false}, {with, true}} {
		g := newFixture(t)
		if err := g.svc.Import(ctx, bytes.NewReader(tc.doc)); err != nil {
			t.Fatalf("Import: %v", err)
		}
		if _, err := g.svc.DescribeOrganization(as(mgmtID), &api.Empty{}); err != nil {
			t.Errorf("the imported organization: %v", err)
		}
		got, ok, err := g.svc.Session(ctx, sess.AccessKeyID)
		if err != nil || ok != tc.live || (ok && got.SecretAccessKey != sess.SecretAccessKey) {
			t.Errorf("imported session (want live %v): %+v %v %v", tc.live, got, ok, err)
		}
		if err := g.svc.CheckInvariants(ctx); err != nil {
			t.Errorf("invariants after import: %v", err)
		}
	}
}

func TestIsSessionKey(t *testing.T) {
	for key, want := range map[string]bool{
		keySession("ASIA1"): true,
		dueKey(time.Unix(1, 0), dueSessionExpired, "ASIA1"): true,
		dueKey(time.Unix(1, 0), "handshake-expired", "h-1"): false,
		"due/garbage":       false,
		"sessions/x":        false,
		"acct/111111111111": false,
	} {
		if got := isSessionKey(key); got != want {
			t.Errorf("isSessionKey(%q) = %v, want %v", key, got, want)
		}
	}
}
