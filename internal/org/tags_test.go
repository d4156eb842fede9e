package org

import (
	"fmt"
	"slices"
	"testing"

	"github.com/orgd/orgd/internal/api"
)

// allTags returns a resource's tags as caller sees them, all pages.
func (f *fixture) allTags(caller, id string) []api.Tag {
	f.t.Helper()
	var tags []api.Tag
	in := &api.ListTagsForResourceRequest{ResourceId: id}
	for {
		out, err := f.svc.ListTagsForResource(as(caller), in)
		if err != nil {
			f.t.Fatalf("ListTagsForResource %s: %v", id, err)
		}
		if out.Tags == nil {
			f.t.Fatalf("ListTagsForResource %s: Tags absent", id)
		}
		tags = append(tags, out.Tags...)
		if out.NextToken == "" {
			return tags
		}
		in.NextToken = out.NextToken
	}
}

func TestTagResource(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Quotas.TagsPerResource = 3 })
	f.newOrg(mgmtID, "")
	root := f.rootID(mgmtID)
	ou := f.createOU(mgmtID, root, "Prod")
	f.join(mgmtID, ou, api.AccountJoinedMethodInvited, otherID)

	for _, id := range []string{root, ou, otherID, mgmtID} {
		t.Run(id, func(t *testing.T) {
			if got := f.allTags(mgmtID, id); len(got) != 0 {
				t.Fatalf("untagged resource has %v", got)
			}
			tag := func(tags ...api.Tag) error {
				_, err := f.svc.TagResource(as(mgmtID), &api.TagResourceRequest{ResourceId: id, Tags: tags})
				return err
			}
			if err := tag(api.Tag{Key: "b", Value: "1"}, api.Tag{Key: "a", Value: "2"}); err != nil {
				t.Fatal(err)
			}
			// One new key over the limit of 3 is refused, whole.
			err := tag(api.Tag{Key: "c", Value: "3"}, api.Tag{Key: "d", Value: "4"})
			wantErr(t, err, api.ErrConstraintViolation, string(api.ConstraintViolationExceptionReasonMaxTagLimitExceeded))
			// Overwriting a key does not count against the limit.
			if err := tag(api.Tag{Key: "a", Value: "new"}, api.Tag{Key: "c", Value: ""}); err != nil {
				t.Fatal(err)
			}
			want := []api.Tag{{Key: "a", Value: "new"}, {Key: "b", Value: "1"}, {Key: "c"}}
			if got := f.allTags(mgmtID, id); !slices.Equal(got, want) {
				t.Fatalf("tags %v, want %v", got, want)
			}
			for _, tc := range []struct {
				name        string
				tags        []api.Tag
				typ, reason string
			}{
				{"system key", []api.Tag{{Key: "aws:createdBy", Value: "x"}}, api.ErrInvalidInput, string(api.InvalidInputExceptionReasonInvalidSystemTagsParameter)},
				{"duplicate key", []api.Tag{{Key: "a", Value: "1"}, {Key: "a", Value: "2"}}, api.ErrInvalidInput, string(api.InvalidInputExceptionReasonDuplicateTagKey)},
				{"more than the limit in one request", []api.Tag{{Key: "a"}, {Key: "b"}, {Key: "c"}, {Key: "d"}}, api.ErrConstraintViolation, string(api.ConstraintViolationExceptionReasonMaxTagLimitExceeded)},
			} {
				wantErr(t, tag(tc.tags...), tc.typ, tc.reason)
			}
			if got := f.allTags(mgmtID, id); !slices.Equal(got, want) {
				t.Fatalf("refused requests changed the tags: %v", got)
			}

			// Untagging ignores keys the resource lacks.
			must[*api.Empty](t)(f.svc.UntagResource(as(mgmtID), &api.UntagResourceRequest{ResourceId: id, TagKeys: []string{"b", "missing"}}))
			if got := f.allTags(mgmtID, id); !slices.Equal(got, []api.Tag{{Key: "a", Value: "new"}, {Key: "c"}}) {
				t.Fatalf("after untag %v", got)
			}
			must[*api.Empty](t)(f.svc.UntagResource(as(mgmtID), &api.UntagResourceRequest{ResourceId: id, TagKeys: []string{"missing"}}))
			must[*api.Empty](t)(f.svc.UntagResource(as(mgmtID), &api.UntagResourceRequest{ResourceId: id, TagKeys: []string{"a", "c"}}))
			if got := f.allTags(mgmtID, id); len(got) != 0 {
				t.Fatalf("after untagging all %v", got)
			}
		})
	}
}

func TestTagTargets(t *testing.T) {
	f := newFixture(t)
	org := f.newOrg(mgmtID, "")
	root := f.rootID(mgmtID)
	f.newOrg(otherID, "")
	otherRoot := f.rootID(otherID)
	otherOU := f.createOU(otherID, otherRoot, "Theirs")

	// A resolver a feature registers decides for its prefix.
	const prefix = "xt-"
	taggableResources[prefix] = func(t *txn, o *organization, id string) (bool, error) {
		return id == prefix+o.ID, nil
	}
	defer delete(taggableResources, prefix)
	mine := prefix + org.Id
	must[*api.Empty](t)(f.svc.TagResource(as(mgmtID), &api.TagResourceRequest{ResourceId: mine, Tags: []api.Tag{{Key: "k", Value: "v"}}}))
	if got := f.allTags(mgmtID, mine); !slices.Equal(got, []api.Tag{{Key: "k", Value: "v"}}) {
		t.Errorf("registered resource tags %v", got)
	}

	for _, tc := range []struct{ name, id string }{
		{"standalone account", "555555555555"},
		{"another organization's management account", otherID},
		{"another organization's root", otherRoot},
		{"another organization's OU", otherOU},
		{"unknown OU", "ou-" + root[2:] + "-zzzzzzzz"},
		{"unknown root", "r-zzzz"},
		{"policy that does not exist", "p-0123456789"},
		{"resource policy that does not exist", "rp-0123"},
		{"prefix without a resolver", "rt-01234567"},
		{"registered prefix, resolver says no", prefix + "o-zzzzzzzzzz"},
		{"account ID inside a longer string", "x111111111111"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.TagResource(as(mgmtID), &api.TagResourceRequest{ResourceId: tc.id, Tags: []api.Tag{{Key: "k", Value: "v"}}})
			wantErr(t, err, api.ErrTargetNotFound, "")
			_, err = f.svc.UntagResource(as(mgmtID), &api.UntagResourceRequest{ResourceId: tc.id, TagKeys: []string{"k"}})
			wantErr(t, err, api.ErrTargetNotFound, "")
			_, err = f.svc.ListTagsForResource(as(mgmtID), &api.ListTagsForResourceRequest{ResourceId: tc.id})
			wantErr(t, err, api.ErrTargetNotFound, "")
		})
	}
}

func TestTagCallers(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	root := f.rootID(mgmtID)
	f.join(mgmtID, root, api.AccountJoinedMethodInvited, otherID)
	const daID = "444444444444"
	f.join(mgmtID, root, api.AccountJoinedMethodInvited, daID)
	f.plantDelegatedAdmin(mgmtID, daID)
	calls := map[string]func(caller string) error{
		"TagResource": func(c string) error {
			_, err := f.svc.TagResource(as(c), &api.TagResourceRequest{ResourceId: root, Tags: []api.Tag{{Key: "k", Value: c}}})
			return err
		},
		"UntagResource": func(c string) error {
			_, err := f.svc.UntagResource(as(c), &api.UntagResourceRequest{ResourceId: root, TagKeys: []string{"k"}})
			return err
		},
		"ListTagsForResource": func(c string) error {
			_, err := f.svc.ListTagsForResource(as(c), &api.ListTagsForResourceRequest{ResourceId: root})
			return err
		},
	}
	// Tag rules are input validation, checked before the caller (spec 6.3).
	sysTag := []api.Tag{{Key: "aws:k", Value: "v"}}
	_, err := f.svc.TagResource(as("555555555555"), &api.TagResourceRequest{ResourceId: root, Tags: sysTag})
	wantErr(t, err, api.ErrInvalidInput, string(api.InvalidInputExceptionReasonInvalidSystemTagsParameter))
	_, err = f.svc.CreateOrganizationalUnit(as(otherID), &api.CreateOrganizationalUnitRequest{ParentId: root, Name: "X", Tags: sysTag})
	wantErr(t, err, api.ErrInvalidInput, string(api.InvalidInputExceptionReasonInvalidSystemTagsParameter))

	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			wantErr(t, call("555555555555"), api.ErrAWSOrganizationsNotInUse, "")
			wantErr(t, call(otherID), api.ErrAccessDenied, "")
			// A delegated administrator reads tags; writing them needs a
			// grant in the resource-based delegation policy.
			if err := call(daID); name == "ListTagsForResource" && err != nil {
				t.Errorf("delegated administrator: %v", err)
			} else if name != "ListTagsForResource" {
				wantErr(t, err, api.ErrAccessDenied, "")
			}
			if err := call(mgmtID); err != nil {
				t.Errorf("management account: %v", err)
			}
		})
	}
}

func TestListTagsForResourcePagination(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	root := f.rootID(mgmtID)
	ou := f.createOU(mgmtID, root, "Prod")
	var want []api.Tag
	for i := range 45 {
		want = append(want, api.Tag{Key: fmt.Sprintf("key%02d", i), Value: fmt.Sprint(i)})
	}
	must[*api.Empty](t)(f.svc.TagResource(as(mgmtID), &api.TagResourceRequest{ResourceId: root, Tags: want}))
	must[*api.Empty](t)(f.svc.TagResource(as(mgmtID), &api.TagResourceRequest{ResourceId: ou, Tags: want}))

	var sizes []int
	var got []api.Tag
	var firstToken string
	in := &api.ListTagsForResourceRequest{ResourceId: root}
	for {
		out := must[*api.ListTagsForResourceResponse](t)(f.svc.ListTagsForResource(as(mgmtID), in))
		sizes = append(sizes, len(out.Tags))
		got = append(got, out.Tags...)
		if out.NextToken == "" {
			break
		}
		if firstToken == "" {
			firstToken = out.NextToken
		}
		in.NextToken = out.NextToken
	}
	if !slices.Equal(sizes, []int{20, 20, 5}) || !slices.Equal(got, want) {
		t.Fatalf("pages of %v gave %v", sizes, got)
	}

	// A token resumes after its key even when that key was removed since.
	must[*api.Empty](t)(f.svc.UntagResource(as(mgmtID), &api.UntagResourceRequest{ResourceId: root, TagKeys: []string{"key19"}}))
	out := must[*api.ListTagsForResourceResponse](t)(f.svc.ListTagsForResource(as(mgmtID), &api.ListTagsForResourceRequest{ResourceId: root, NextToken: firstToken}))
	if len(out.Tags) != 20 || out.Tags[0].Key != "key20" {
		t.Errorf("resumed page starts %v", out.Tags[:1])
	}

	bad := string(api.InvalidInputExceptionReasonInvalidNextToken)
	for _, tc := range []struct{ name, id, token string }{
		{"garbage", root, "garbage"},
		{"edited", root, firstToken + "A"},
		{"another resource's", ou, firstToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.ListTagsForResource(as(mgmtID), &api.ListTagsForResourceRequest{ResourceId: tc.id, NextToken: tc.token})
			wantErr(t, err, api.ErrInvalidInput, bad)
		})
	}
	// A listing's token is not valid for another caller.
	const daID = "444444444444"
	f.join(mgmtID, root, api.AccountJoinedMethodInvited, daID)
	f.plantDelegatedAdmin(mgmtID, daID)
	_, err := f.svc.ListTagsForResource(as(daID), &api.ListTagsForResourceRequest{ResourceId: root, NextToken: firstToken})
	wantErr(t, err, api.ErrInvalidInput, bad)
}
