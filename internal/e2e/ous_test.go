package e2e

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgd/orgd/internal/org"
)

// OUs, the tree's listings and tags end to end (spec 1.1, 1.3, 8).

// createOU creates an OU and returns its ID.
func createOU(t testing.TB, mgmt *organizations.Client, parent, name string) string {
	t.Helper()
	out, err := mgmt.CreateOrganizationalUnit(ctx(t), &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(parent), Name: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateOrganizationalUnit %q under %s: %v", name, parent, err)
	}
	return aws.ToString(out.OrganizationalUnit.Id)
}

// tagMap turns tags into a map, failing on a nil Key or Value: the SDK
// decodes a Value "" as a pointer to "", and AWS never omits it.
func tagMap(t testing.TB, tags []types.Tag) map[string]string {
	t.Helper()
	m := make(map[string]string, len(tags))
	for _, tag := range tags {
		if tag.Key == nil || tag.Value == nil {
			t.Fatalf("tag with a nil member: Key %v Value %v", tag.Key, tag.Value)
		}
		if _, dup := m[*tag.Key]; dup {
			t.Fatalf("tag %q listed twice", *tag.Key)
		}
		m[*tag.Key] = *tag.Value
	}
	return m
}

// tagsOf lists a resource's tags through the SDK paginator.
func tagsOf(t testing.TB, c *organizations.Client, id string) (tags map[string]string, pages int) {
	t.Helper()
	p := organizations.NewListTagsForResourcePaginator(c, &organizations.ListTagsForResourceInput{ResourceId: aws.String(id)})
	var all []types.Tag
	for p.HasMorePages() {
		if pages++; pages > 20 {
			t.Fatal("ListTagsForResource paginator does not end")
		}
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatalf("ListTagsForResource %s: %v", id, err)
		}
		all = append(all, out.Tags...)
	}
	return tagMap(t, all), pages
}

// missingOU is a well-formed OU ID that no organization under rootID has.
func missingOU(rootID string) string {
	return "ou-" + strings.TrimPrefix(rootID, "r-") + "-zzzzzzzz"
}

func TestOrganizationalUnits(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	w := h.world(t, false)
	orgID := aws.ToString(w.Org.Id)
	rootID := rootOf(t, w.Mgmt)
	ouIDRe := regexp.MustCompile(`^ou-` + strings.TrimPrefix(rootID, "r-") + `-[a-z0-9]{8,32}$`)

	out, err := w.Mgmt.CreateOrganizationalUnit(ctx(t), &organizations.CreateOrganizationalUnitInput{
		ParentId: aws.String(rootID), Name: aws.String("Engineering"),
		Tags: []types.Tag{{Key: aws.String("cost-center"), Value: aws.String("42")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	eng := out.OrganizationalUnit
	engID := aws.ToString(eng.Id)
	if !ouIDRe.MatchString(engID) || aws.ToString(eng.Name) != "Engineering" {
		t.Fatalf("OU %+v", eng)
	}
	if want := "arn:aws:organizations::" + mgmtID + ":ou/" + orgID + "/" + engID; aws.ToString(eng.Arn) != want {
		t.Errorf("Arn %s, want %s", aws.ToString(eng.Arn), want)
	}
	// Path, as the model has it: the IDs from the organization down to
	// and including the OU.
	if want := orgID + "/" + rootID + "/" + engID + "/"; aws.ToString(eng.Path) != want {
		t.Errorf("Path %q, want %q", aws.ToString(eng.Path), want)
	}
	if tags, _ := tagsOf(t, w.Mgmt, engID); len(tags) != 1 || tags["cost-center"] != "42" {
		t.Errorf("tags of the new OU %v", tags)
	}
	d, err := w.Mgmt.DescribeOrganizationalUnit(ctx(t), &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String(engID)})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.OrganizationalUnit; aws.ToString(got.Id) != engID || aws.ToString(got.Arn) != aws.ToString(eng.Arn) ||
		aws.ToString(got.Name) != "Engineering" || aws.ToString(got.Path) != aws.ToString(eng.Path) {
		t.Errorf("DescribeOrganizationalUnit %s, created %s", ouString(got), ouString(eng))
	}

	// Names are unique among siblings only.
	_, err = w.Mgmt.CreateOrganizationalUnit(ctx(t), &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(rootID), Name: aws.String("Engineering")})
	wantAPIError(t, err, "DuplicateOrganizationalUnitException", "")
	nested := createOU(t, w.Mgmt, engID, "Engineering")
	dn, err := w.Mgmt.DescribeOrganizationalUnit(ctx(t), &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String(nested)})
	if err != nil {
		t.Fatal(err)
	}
	if want := orgID + "/" + rootID + "/" + engID + "/" + nested + "/"; aws.ToString(dn.OrganizationalUnit.Path) != want {
		t.Errorf("nested OU Path %q, want %q", aws.ToString(dn.OrganizationalUnit.Path), want)
	}
	ops := createOU(t, w.Mgmt, rootID, "Operations")

	// Rename; to the current name is no change; to a sibling's is refused.
	up, err := w.Mgmt.UpdateOrganizationalUnit(ctx(t), &organizations.UpdateOrganizationalUnitInput{OrganizationalUnitId: aws.String(engID), Name: aws.String("Eng")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(up.OrganizationalUnit.Name) != "Eng" || aws.ToString(up.OrganizationalUnit.Id) != engID ||
		aws.ToString(up.OrganizationalUnit.Arn) != aws.ToString(eng.Arn) || aws.ToString(up.OrganizationalUnit.Path) != aws.ToString(eng.Path) {
		t.Errorf("UpdateOrganizationalUnit %s", ouString(up.OrganizationalUnit))
	}
	if _, err := w.Mgmt.UpdateOrganizationalUnit(ctx(t), &organizations.UpdateOrganizationalUnitInput{OrganizationalUnitId: aws.String(engID), Name: aws.String("Eng")}); err != nil {
		t.Errorf("rename to the same name: %v", err)
	}
	_, err = w.Mgmt.UpdateOrganizationalUnit(ctx(t), &organizations.UpdateOrganizationalUnitInput{OrganizationalUnitId: aws.String(ops), Name: aws.String("Eng")})
	wantAPIError(t, err, "DuplicateOrganizationalUnitException", "")
	// The old name is free again.
	engineering := createOU(t, w.Mgmt, rootID, "Engineering")
	d, err = w.Mgmt.DescribeOrganizationalUnit(ctx(t), &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String(engID)})
	if err != nil || aws.ToString(d.OrganizationalUnit.Name) != "Eng" {
		t.Fatalf("after the rename %+v, %v", d, err)
	}

	// Unknown IDs.
	missing := missingOU(rootID)
	_, err = w.Mgmt.CreateOrganizationalUnit(ctx(t), &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(missing), Name: aws.String("X")})
	wantAPIError(t, err, "ParentNotFoundException", "")
	_, err = w.Mgmt.DescribeOrganizationalUnit(ctx(t), &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String(missing)})
	wantAPIError(t, err, "OrganizationalUnitNotFoundException", "")
	_, err = w.Mgmt.UpdateOrganizationalUnit(ctx(t), &organizations.UpdateOrganizationalUnitInput{OrganizationalUnitId: aws.String(missing), Name: aws.String("X")})
	wantAPIError(t, err, "OrganizationalUnitNotFoundException", "")
	_, err = w.Mgmt.DeleteOrganizationalUnit(ctx(t), &organizations.DeleteOrganizationalUnitInput{OrganizationalUnitId: aws.String(missing)})
	wantAPIError(t, err, "OrganizationalUnitNotFoundException", "")

	// Not empty while it has an OU or an account.
	_, err = w.Mgmt.DeleteOrganizationalUnit(ctx(t), &organizations.DeleteOrganizationalUnitInput{OrganizationalUnitId: aws.String(engID)})
	wantAPIError(t, err, "OrganizationalUnitNotEmptyException", "")
	if _, err := w.Mgmt.DeleteOrganizationalUnit(ctx(t), &organizations.DeleteOrganizationalUnitInput{OrganizationalUnitId: aws.String(nested)}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Mgmt.MoveAccount(ctx(t), &organizations.MoveAccountInput{AccountId: aws.String(mgmtID), SourceParentId: aws.String(rootID), DestinationParentId: aws.String(engID)}); err != nil {
		t.Fatal(err)
	}
	_, err = w.Mgmt.DeleteOrganizationalUnit(ctx(t), &organizations.DeleteOrganizationalUnitInput{OrganizationalUnitId: aws.String(engID)})
	wantAPIError(t, err, "OrganizationalUnitNotEmptyException", "")
	if _, err := w.Mgmt.MoveAccount(ctx(t), &organizations.MoveAccountInput{AccountId: aws.String(mgmtID), SourceParentId: aws.String(engID), DestinationParentId: aws.String(rootID)}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Mgmt.DeleteOrganizationalUnit(ctx(t), &organizations.DeleteOrganizationalUnitInput{OrganizationalUnitId: aws.String(engID)}); err != nil {
		t.Fatal(err)
	}
	_, err = w.Mgmt.DescribeOrganizationalUnit(ctx(t), &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String(engID)})
	wantAPIError(t, err, "OrganizationalUnitNotFoundException", "")
	_, err = w.Mgmt.DeleteOrganizationalUnit(ctx(t), &organizations.DeleteOrganizationalUnitInput{OrganizationalUnitId: aws.String(engID)})
	wantAPIError(t, err, "OrganizationalUnitNotFoundException", "")
	_, err = w.Mgmt.ListTagsForResource(ctx(t), &organizations.ListTagsForResourceInput{ResourceId: aws.String(engID)})
	wantAPIError(t, err, "TargetNotFoundException", "")
	// Its name under the root is free, and the root has what is left.
	createOU(t, w.Mgmt, rootID, "Eng")
	got := childIDs(t, w.Mgmt, rootID, types.ChildTypeOrganizationalUnit, 20)
	if len(got) != 3 || !slices.Contains(got, ops) || !slices.Contains(got, engineering) {
		t.Errorf("root's OUs %v", got)
	}

	// Another organization's OUs are unknown here, and the other way round.
	h.newOrg(t, otherID, types.OrganizationFeatureSetAll)
	other := h.client(t, otherID)
	theirs := createOU(t, other, rootOf(t, other), "Theirs")
	_, err = w.Mgmt.DescribeOrganizationalUnit(ctx(t), &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String(theirs)})
	wantAPIError(t, err, "OrganizationalUnitNotFoundException", "")
	_, err = other.DeleteOrganizationalUnit(ctx(t), &organizations.DeleteOrganizationalUnitInput{OrganizationalUnitId: aws.String(ops)})
	wantAPIError(t, err, "OrganizationalUnitNotFoundException", "")
	_, err = w.Mgmt.CreateOrganizationalUnit(ctx(t), &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(theirs), Name: aws.String("X")})
	wantAPIError(t, err, "ParentNotFoundException", "")
}

// OUs nest 5 levels below the root and no deeper (spec 8).
func TestOUDepthLimit(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	w := h.world(t, false)
	orgID := aws.ToString(w.Org.Id)
	rootID := rootOf(t, w.Mgmt)
	parent, path := rootID, orgID+"/"+rootID+"/"
	var chain []string
	for depth := 1; depth <= 5; depth++ {
		id := createOU(t, w.Mgmt, parent, fmt.Sprintf("Level %d", depth))
		chain = append(chain, id)
		parent, path = id, path+id+"/"
	}
	_, err := w.Mgmt.CreateOrganizationalUnit(ctx(t), &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(parent), Name: aws.String("Level 6")})
	wantAPIError(t, err, "ConstraintViolationException", "OU_DEPTH_LIMIT_EXCEEDED")
	// The deepest OU holds accounts, whose path runs through every level.
	if _, err := w.Mgmt.MoveAccount(ctx(t), &organizations.MoveAccountInput{AccountId: aws.String(mgmtID), SourceParentId: aws.String(rootID), DestinationParentId: aws.String(parent)}); err != nil {
		t.Fatal(err)
	}
	if a := describeAccount(t, w.Mgmt, mgmtID); !slices.Equal(a.Paths, []string{path + mgmtID + "/"}) {
		t.Errorf("Paths %v, want %s%s/", a.Paths, path, mgmtID)
	}
	// ListParents walks back up.
	for i := len(chain) - 1; i >= 0; i-- {
		want, typ := rootID, types.ParentTypeRoot
		if i > 0 {
			want, typ = chain[i-1], types.ParentTypeOrganizationalUnit
		}
		out, err := w.Mgmt.ListParents(ctx(t), &organizations.ListParentsInput{ChildId: aws.String(chain[i])})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Parents) != 1 || aws.ToString(out.Parents[0].Id) != want || out.Parents[0].Type != typ || out.NextToken != nil {
			t.Fatalf("parents of level %d: %+v", i+1, out.Parents)
		}
	}

	// With a configured depth of 2, the third level is refused.
	h2 := newHarness(t, func(c *org.Config) { c.Quotas.OUDepth = 2 })
	w2 := h2.world(t, false)
	r2 := rootOf(t, w2.Mgmt)
	l2 := createOU(t, w2.Mgmt, createOU(t, w2.Mgmt, r2, "1"), "2")
	_, err = w2.Mgmt.CreateOrganizationalUnit(ctx(t), &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(l2), Name: aws.String("3")})
	wantAPIError(t, err, "ConstraintViolationException", "OU_DEPTH_LIMIT_EXCEEDED")
}

// childIDs lists a parent's children of one type with the SDK paginator.
func childIDs(t testing.TB, c *organizations.Client, parent string, typ types.ChildType, pageSize int32) []string {
	t.Helper()
	p := organizations.NewListChildrenPaginator(c, &organizations.ListChildrenInput{ParentId: aws.String(parent), ChildType: typ, MaxResults: aws.Int32(pageSize)})
	var ids []string
	for pages := 0; p.HasMorePages(); pages++ {
		if pages > 50 {
			t.Fatal("ListChildren paginator does not end")
		}
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatalf("ListChildren %s %s: %v", parent, typ, err)
		}
		if len(out.Children) > int(pageSize) {
			t.Fatalf("%d children in a page of %d", len(out.Children), pageSize)
		}
		for _, ch := range out.Children {
			if ch.Type != typ {
				t.Fatalf("ListChildren %s returned a %s", typ, ch.Type)
			}
			ids = append(ids, aws.ToString(ch.Id))
		}
	}
	return sorted(ids)
}

func TestTreeListings(t *testing.T) {
	t.Parallel()
	h := accountsHarness(t)
	w := h.world(t, true)
	rootID := rootOf(t, w.Mgmt)
	var ous []string
	for i := range 7 {
		ous = append(ous, createOU(t, w.Mgmt, rootID, fmt.Sprintf("OU %d", i)))
	}
	ous = sorted(ous)
	sub := createOU(t, w.Mgmt, ous[0], "Sub")
	acct := newAccount(t, h, w.Mgmt, "tree@example.com", "Tree")
	accounts := sorted([]string{mgmtID, memberID, acct})

	for _, size := range []int32{1, 2, 3, 20} {
		if got := childIDs(t, w.Mgmt, rootID, types.ChildTypeOrganizationalUnit, size); !slices.Equal(got, ous) {
			t.Errorf("OUs of the root, pages of %d: %v, want %v", size, got, ous)
		}
		if got := childIDs(t, w.Mgmt, rootID, types.ChildTypeAccount, size); !slices.Equal(got, accounts) {
			t.Errorf("accounts of the root, pages of %d: %v, want %v", size, got, accounts)
		}
	}
	if got := childIDs(t, w.Mgmt, ous[0], types.ChildTypeOrganizationalUnit, 5); !slices.Equal(got, []string{sub}) {
		t.Errorf("OUs of %s: %v", ous[0], got)
	}
	if got := childIDs(t, w.Mgmt, sub, types.ChildTypeAccount, 5); len(got) != 0 {
		t.Errorf("accounts of an empty OU: %v", got)
	}

	// ListOrganizationalUnitsForParent, with the full OU shape.
	p := organizations.NewListOrganizationalUnitsForParentPaginator(w.Mgmt, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(rootID), MaxResults: aws.Int32(3)})
	var listed []string
	pages := 0
	for p.HasMorePages() {
		if pages++; pages > 10 {
			t.Fatal("paginator does not end")
		}
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range out.OrganizationalUnits {
			id := aws.ToString(u.Id)
			if aws.ToString(u.Arn) != "arn:aws:organizations::"+mgmtID+":ou/"+aws.ToString(w.Org.Id)+"/"+id || !strings.HasPrefix(aws.ToString(u.Name), "OU ") ||
				aws.ToString(u.Path) != aws.ToString(w.Org.Id)+"/"+rootID+"/"+id+"/" {
				t.Errorf("listed OU %s", ouString(&u))
			}
			listed = append(listed, id)
		}
	}
	if !slices.Equal(sorted(listed), ous) || pages != 3 {
		t.Errorf("ListOrganizationalUnitsForParent: %d pages, %v", pages, listed)
	}

	// ListParents of accounts and OUs.
	for _, tc := range []struct {
		child, parent string
		typ           types.ParentType
	}{
		{acct, rootID, types.ParentTypeRoot},
		{memberID, rootID, types.ParentTypeRoot},
		{ous[3], rootID, types.ParentTypeRoot},
		{sub, ous[0], types.ParentTypeOrganizationalUnit},
	} {
		pp := organizations.NewListParentsPaginator(w.Mgmt, &organizations.ListParentsInput{ChildId: aws.String(tc.child), MaxResults: aws.Int32(1)})
		var got []types.Parent
		for n := 0; pp.HasMorePages(); n++ {
			if n > 5 {
				t.Fatal("ListParents paginator does not end")
			}
			out, err := pp.NextPage(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, out.Parents...)
		}
		if len(got) != 1 || aws.ToString(got[0].Id) != tc.parent || got[0].Type != tc.typ {
			t.Errorf("parents of %s: %+v, want %s %s", tc.child, got, tc.parent, tc.typ)
		}
	}

	// Not found, and tokens.
	missing := missingOU(rootID)
	_, err := w.Mgmt.ListParents(ctx(t), &organizations.ListParentsInput{ChildId: aws.String(missing)})
	wantAPIError(t, err, "ChildNotFoundException", "")
	_, err = w.Mgmt.ListParents(ctx(t), &organizations.ListParentsInput{ChildId: aws.String(standaloneID)})
	wantAPIError(t, err, "ChildNotFoundException", "")
	_, err = w.Mgmt.ListChildren(ctx(t), &organizations.ListChildrenInput{ParentId: aws.String(missing), ChildType: types.ChildTypeAccount})
	wantAPIError(t, err, "ParentNotFoundException", "")
	_, err = w.Mgmt.ListOrganizationalUnitsForParent(ctx(t), &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(missing)})
	wantAPIError(t, err, "ParentNotFoundException", "")
	_, err = w.Mgmt.ListChildren(ctx(t), &organizations.ListChildrenInput{ParentId: aws.String(rootID), ChildType: "POLICY"})
	wantAPIError(t, err, "InvalidInputException", "INVALID_ENUM")
	first, err := w.Mgmt.ListChildren(ctx(t), &organizations.ListChildrenInput{ParentId: aws.String(rootID), ChildType: types.ChildTypeOrganizationalUnit, MaxResults: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.Mgmt.ListChildren(ctx(t), &organizations.ListChildrenInput{ParentId: aws.String(rootID), ChildType: types.ChildTypeOrganizationalUnit, NextToken: editToken(t, first.NextToken)})
	wantAPIError(t, err, "InvalidInputException", "INVALID_NEXT_TOKEN")
	// A token for OUs is none for accounts, nor for the OU listing.
	_, err = w.Mgmt.ListChildren(ctx(t), &organizations.ListChildrenInput{ParentId: aws.String(rootID), ChildType: types.ChildTypeAccount, NextToken: first.NextToken})
	wantAPIError(t, err, "InvalidInputException", "INVALID_NEXT_TOKEN")
	_, err = w.Mgmt.ListOrganizationalUnitsForParent(ctx(t), &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(rootID), NextToken: first.NextToken})
	wantAPIError(t, err, "InvalidInputException", "INVALID_NEXT_TOKEN")
	ouPage, err := w.Mgmt.ListOrganizationalUnitsForParent(ctx(t), &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(rootID), MaxResults: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.Mgmt.ListOrganizationalUnitsForParent(ctx(t), &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(rootID), NextToken: editToken(t, ouPage.NextToken)})
	wantAPIError(t, err, "InvalidInputException", "INVALID_NEXT_TOKEN")
}

// --- tags -----------------------------------------------------------------------

func TestTags(t *testing.T) {
	t.Parallel()
	h := accountsHarness(t)
	w := h.world(t, true)
	rootID := rootOf(t, w.Mgmt)
	ou := createOU(t, w.Mgmt, rootID, "Tagged")
	acct := newAccount(t, h, w.Mgmt, "tagged@example.com", "Tagged")
	tag := func(id string, tags ...string) error {
		var in []types.Tag
		for i := 0; i+1 < len(tags); i += 2 {
			in = append(in, types.Tag{Key: aws.String(tags[i]), Value: aws.String(tags[i+1])})
		}
		_, err := w.Mgmt.TagResource(ctx(t), &organizations.TagResourceInput{ResourceId: aws.String(id), Tags: in})
		return err
	}
	untag := func(id string, keys ...string) error {
		_, err := w.Mgmt.UntagResource(ctx(t), &organizations.UntagResourceInput{ResourceId: aws.String(id), TagKeys: keys})
		return err
	}

	for _, id := range []string{rootID, ou, acct, mgmtID, memberID} {
		t.Run(id, func(t *testing.T) {
			if got, _ := tagsOf(t, w.Mgmt, id); len(got) != 0 {
				t.Fatalf("untagged resource has %v", got)
			}
			if err := tag(id, "env", "prod", "empty", "", "owner", "alice"); err != nil {
				t.Fatal(err)
			}
			// An empty Value comes back as "", not as a missing member.
			raw, err := w.Mgmt.ListTagsForResource(ctx(t), &organizations.ListTagsForResourceInput{ResourceId: aws.String(id)})
			if err != nil {
				t.Fatal(err)
			}
			for _, tg := range raw.Tags {
				if aws.ToString(tg.Key) == "empty" && (tg.Value == nil || *tg.Value != "") {
					t.Fatalf("empty tag Value %v", tg.Value)
				}
			}
			if got, _ := tagsOf(t, w.Mgmt, id); len(got) != 3 || got["env"] != "prod" || got["empty"] != "" || got["owner"] != "alice" {
				t.Fatalf("tags %v", got)
			}
			// Tagging again overwrites values and adds keys.
			if err := tag(id, "env", "dev", "new", "x"); err != nil {
				t.Fatal(err)
			}
			if got, _ := tagsOf(t, w.Mgmt, id); len(got) != 4 || got["env"] != "dev" || got["new"] != "x" || got["owner"] != "alice" {
				t.Fatalf("after retagging %v", got)
			}
			// Untagging ignores keys the resource lacks.
			if err := untag(id, "owner", "empty", "never-there"); err != nil {
				t.Fatal(err)
			}
			if got, _ := tagsOf(t, w.Mgmt, id); len(got) != 2 || got["env"] != "dev" || got["new"] != "x" {
				t.Fatalf("after untagging %v", got)
			}
			if err := untag(id, "env", "new"); err != nil {
				t.Fatal(err)
			}
			if got, _ := tagsOf(t, w.Mgmt, id); len(got) != 0 {
				t.Fatalf("after untagging all %v", got)
			}
		})
	}

	// 50 tags per resource; the SDK paginator walks them.
	var fifty []string
	for i := range 50 {
		fifty = append(fifty, fmt.Sprintf("key-%02d", i), fmt.Sprintf("value %d", i))
	}
	if err := tag(ou, fifty[:60]...); err != nil {
		t.Fatal(err)
	}
	if err := tag(ou, fifty[60:]...); err != nil {
		t.Fatal(err)
	}
	got, pages := tagsOf(t, w.Mgmt, ou)
	if len(got) != 50 || got["key-00"] != "value 0" || got["key-49"] != "value 49" {
		t.Fatalf("%d tags: %v", len(got), got)
	}
	if pages < 1 {
		t.Fatalf("%d pages", pages)
	}
	first, err := w.Mgmt.ListTagsForResource(ctx(t), &organizations.ListTagsForResourceInput{ResourceId: aws.String(ou)})
	if err != nil {
		t.Fatal(err)
	}
	if first.NextToken != nil {
		_, err = w.Mgmt.ListTagsForResource(ctx(t), &organizations.ListTagsForResourceInput{ResourceId: aws.String(ou), NextToken: editToken(t, first.NextToken)})
		wantAPIError(t, err, "InvalidInputException", "INVALID_NEXT_TOKEN")
		_, err = w.Mgmt.ListTagsForResource(ctx(t), &organizations.ListTagsForResourceInput{ResourceId: aws.String(rootID), NextToken: first.NextToken})
		wantAPIError(t, err, "InvalidInputException", "INVALID_NEXT_TOKEN")
	}
	// Overwriting keeps the count; a 51st key is one too many, in one call
	// or across calls, and the refusal changes nothing.
	if err := tag(ou, "key-00", "changed"); err != nil {
		t.Fatalf("overwriting at the limit: %v", err)
	}
	wantAPIError(t, tag(ou, "key-50", "v"), "ConstraintViolationException", "MAX_TAG_LIMIT_EXCEEDED")
	wantAPIError(t, tag(ou, "key-00", "again", "key-50", "v"), "ConstraintViolationException", "MAX_TAG_LIMIT_EXCEEDED")
	if got, _ := tagsOf(t, w.Mgmt, ou); len(got) != 50 || got["key-00"] != "changed" {
		t.Fatalf("after the refusals: %d tags, key-00 %q", len(got), got["key-00"])
	}
	var fiftyOne []string
	for i := range 51 {
		fiftyOne = append(fiftyOne, fmt.Sprintf("k%d", i), "v")
	}
	wantAPIError(t, tag(acct, fiftyOne...), "ConstraintViolationException", "MAX_TAG_LIMIT_EXCEEDED")
	_, err = w.Mgmt.CreateOrganizationalUnit(ctx(t), &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(rootID), Name: aws.String("Too many"), Tags: tagList(fiftyOne...)})
	wantAPIError(t, err, "ConstraintViolationException", "MAX_TAG_LIMIT_EXCEEDED")

	// Input the model or AWS refuses.
	wantAPIError(t, tag(acct, "aws:createdBy", "me"), "InvalidInputException", "INVALID_SYSTEM_TAGS_PARAMETER")
	wantAPIError(t, tag(acct, "AWS:createdBy", "me"), "InvalidInputException", "INVALID_SYSTEM_TAGS_PARAMETER")
	wantAPIError(t, tag(acct, "dup", "1", "dup", "2"), "InvalidInputException", "DUPLICATE_TAG_KEY")
	wantAPIError(t, tag(acct, strings.Repeat("k", 129), "v"), "InvalidInputException", "MAX_LENGTH_EXCEEDED")
	wantAPIError(t, tag(acct, "k", strings.Repeat("v", 257)), "InvalidInputException", "MAX_LENGTH_EXCEEDED")
	_, err = w.Mgmt.CreateOrganizationalUnit(ctx(t), &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(rootID), Name: aws.String("System"), Tags: tagList("aws:x", "v")})
	wantAPIError(t, err, "InvalidInputException", "INVALID_SYSTEM_TAGS_PARAMETER")
	if got, _ := tagsOf(t, w.Mgmt, acct); len(got) != 0 {
		t.Fatalf("refused tags stuck: %v", got)
	}

	// Resources that are not this organization's.
	h.newOrg(t, otherID, types.OrganizationFeatureSetAll)
	other := h.client(t, otherID)
	otherRoot := rootOf(t, other)
	theirOU := createOU(t, other, otherRoot, "Theirs")
	for _, id := range []string{"999999999999", standaloneID, otherID, missingOU(rootID), theirOU, otherRoot, "r-zzzz"} {
		wantAPIError(t, tag(id, "k", "v"), "TargetNotFoundException", "")
		wantAPIError(t, untag(id, "k"), "TargetNotFoundException", "")
		_, err := w.Mgmt.ListTagsForResource(ctx(t), &organizations.ListTagsForResourceInput{ResourceId: aws.String(id)})
		wantAPIError(t, err, "TargetNotFoundException", "")
	}
	if got, _ := tagsOf(t, other, theirOU); len(got) != 0 {
		t.Fatalf("the other organization's OU was tagged: %v", got)
	}
	// Not a taggable ID at all (the reason the wire layer gives for
	// TaggableResourceId; AWS documents none per field, spec 7.7).
	wantAPIError(t, tag("o-abcdefghij", "k", "v"), "InvalidInputException", "INVALID_PATTERN_TARGET_ID")

	// Who may tag: the management account; not a member, nor a
	// standalone account.
	callers := []struct {
		name string
		call func(c *organizations.Client) error
	}{
		{"TagResource", func(c *organizations.Client) error {
			_, err := c.TagResource(ctx(t), &organizations.TagResourceInput{ResourceId: aws.String(memberID), Tags: tagList("k", "v")})
			return err
		}},
		{"UntagResource", func(c *organizations.Client) error {
			_, err := c.UntagResource(ctx(t), &organizations.UntagResourceInput{ResourceId: aws.String(memberID), TagKeys: []string{"k"}})
			return err
		}},
		{"ListTagsForResource", func(c *organizations.Client) error {
			_, err := c.ListTagsForResource(ctx(t), &organizations.ListTagsForResourceInput{ResourceId: aws.String(memberID)})
			return err
		}},
	}
	for _, op := range callers {
		wantAPIError(t, op.call(w.Member), "AccessDeniedException", "")
		wantAPIError(t, op.call(w.Standalone), "AWSOrganizationsNotInUseException", "")
	}
	if got, _ := tagsOf(t, w.Mgmt, memberID); len(got) != 0 {
		t.Fatalf("refused callers tagged the member: %v", got)
	}
}

func ouString(u *types.OrganizationalUnit) string {
	return fmt.Sprintf("{Id:%s Arn:%s Name:%s Path:%s}", aws.ToString(u.Id), aws.ToString(u.Arn), aws.ToString(u.Name), aws.ToString(u.Path))
}

func tagList(kv ...string) []types.Tag {
	var tags []types.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		tags = append(tags, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return tags
}

// --- callers ------------------------------------------------------------------------

func TestOUCallers(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	w := h.world(t, true)
	rootID := rootOf(t, w.Mgmt)
	ou := createOU(t, w.Mgmt, rootID, "Keep")
	ops := []struct {
		name string
		call func(c *organizations.Client) error
	}{
		{"CreateOrganizationalUnit", func(c *organizations.Client) error {
			_, err := c.CreateOrganizationalUnit(ctx(t), &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(rootID), Name: aws.String("New")})
			return err
		}},
		{"UpdateOrganizationalUnit", func(c *organizations.Client) error {
			_, err := c.UpdateOrganizationalUnit(ctx(t), &organizations.UpdateOrganizationalUnitInput{OrganizationalUnitId: aws.String(ou), Name: aws.String("Renamed")})
			return err
		}},
		{"DeleteOrganizationalUnit", func(c *organizations.Client) error {
			_, err := c.DeleteOrganizationalUnit(ctx(t), &organizations.DeleteOrganizationalUnitInput{OrganizationalUnitId: aws.String(ou)})
			return err
		}},
		{"DescribeOrganizationalUnit", func(c *organizations.Client) error {
			_, err := c.DescribeOrganizationalUnit(ctx(t), &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String(ou)})
			return err
		}},
		{"ListOrganizationalUnitsForParent", func(c *organizations.Client) error {
			_, err := c.ListOrganizationalUnitsForParent(ctx(t), &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(rootID)})
			return err
		}},
		{"ListChildren", func(c *organizations.Client) error {
			_, err := c.ListChildren(ctx(t), &organizations.ListChildrenInput{ParentId: aws.String(rootID), ChildType: types.ChildTypeAccount})
			return err
		}},
		{"ListParents", func(c *organizations.Client) error {
			_, err := c.ListParents(ctx(t), &organizations.ListParentsInput{ChildId: aws.String(memberID)})
			return err
		}},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			err := op.call(w.Member)
			wantAPIError(t, err, "AccessDeniedException", "")
			if msg := apiMessage(err); msg != "You don't have permissions to access this resource." {
				t.Errorf("message %q", msg)
			}
			wantAPIError(t, op.call(w.Standalone), "AWSOrganizationsNotInUseException", "")
		})
	}
	// Nothing changed.
	got := childIDs(t, w.Mgmt, rootID, types.ChildTypeOrganizationalUnit, 20)
	d, err := w.Mgmt.DescribeOrganizationalUnit(ctx(t), &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String(ou)})
	if err != nil || !slices.Equal(got, []string{ou}) || aws.ToString(d.OrganizationalUnit.Name) != "Keep" {
		t.Fatalf("after the refused calls: %v, %+v, %v", got, d, err)
	}
}

// --- consolidated billing -----------------------------------------------------------

// An organization with only consolidated billing has OUs, accounts, moves
// and tags like any other (spec 2.2).
func TestConsolidatedBillingTree(t *testing.T) {
	t.Parallel()
	h := accountsHarness(t)
	o := h.newOrg(t, mgmtID, types.OrganizationFeatureSetConsolidatedBilling)
	if o.FeatureSet != types.OrganizationFeatureSetConsolidatedBilling {
		t.Fatalf("FeatureSet %s", o.FeatureSet)
	}
	mgmt := h.client(t, mgmtID)
	rootID := rootOf(t, mgmt)
	parent := createOU(t, mgmt, rootID, "Parent")
	ou := createOU(t, mgmt, parent, "Child")
	if _, err := mgmt.UpdateOrganizationalUnit(ctx(t), &organizations.UpdateOrganizationalUnitInput{OrganizationalUnitId: aws.String(ou), Name: aws.String("Renamed")}); err != nil {
		t.Fatal(err)
	}
	acct := newAccount(t, h, mgmt, "cb-tree@example.com", "CB Tree")
	h.join(t, mgmtID, memberID)
	for _, id := range []string{acct, memberID} {
		if _, err := mgmt.MoveAccount(ctx(t), &organizations.MoveAccountInput{AccountId: aws.String(id), SourceParentId: aws.String(rootID), DestinationParentId: aws.String(ou)}); err != nil {
			t.Fatal(err)
		}
	}
	if got := childIDs(t, mgmt, ou, types.ChildTypeAccount, 1); !slices.Equal(got, sorted([]string{acct, memberID})) {
		t.Errorf("accounts of the OU: %v", got)
	}
	a := describeAccount(t, mgmt, acct)
	if want := aws.ToString(o.Id) + "/" + rootID + "/" + parent + "/" + ou + "/" + acct + "/"; !slices.Equal(a.Paths, []string{want}) || a.JoinedMethod != types.AccountJoinedMethodCreated {
		t.Errorf("account %+v", a)
	}
	out, err := mgmt.ListParents(ctx(t), &organizations.ListParentsInput{ChildId: aws.String(ou)})
	if err != nil || len(out.Parents) != 1 || aws.ToString(out.Parents[0].Id) != parent {
		t.Fatalf("ListParents %+v, %v", out, err)
	}
	ous, err := mgmt.ListOrganizationalUnitsForParent(ctx(t), &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(parent)})
	if err != nil || len(ous.OrganizationalUnits) != 1 || aws.ToString(ous.OrganizationalUnits[0].Name) != "Renamed" {
		t.Fatalf("ListOrganizationalUnitsForParent %+v, %v", ous, err)
	}
	for _, id := range []string{rootID, ou, acct, mgmtID} {
		if _, err := mgmt.TagResource(ctx(t), &organizations.TagResourceInput{ResourceId: aws.String(id), Tags: tagList("billing", "")}); err != nil {
			t.Fatalf("TagResource %s: %v", id, err)
		}
		if got, _ := tagsOf(t, mgmt, id); len(got) != 1 || got["billing"] != "" {
			t.Fatalf("tags of %s: %v", id, got)
		}
		if _, err := mgmt.UntagResource(ctx(t), &organizations.UntagResourceInput{ResourceId: aws.String(id), TagKeys: []string{"billing"}}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = mgmt.TagResource(ctx(t), &organizations.TagResourceInput{ResourceId: aws.String(ou), Tags: tagList("aws:x", "v")})
	wantAPIError(t, err, "InvalidInputException", "INVALID_SYSTEM_TAGS_PARAMETER")
	if ids, _ := accountIDs(t, mgmt, 2); len(ids) != 3 {
		t.Fatalf("ListAccounts %v", ids)
	}
	_, err = mgmt.DeleteOrganizationalUnit(ctx(t), &organizations.DeleteOrganizationalUnitInput{OrganizationalUnitId: aws.String(ou)})
	wantAPIError(t, err, "OrganizationalUnitNotEmptyException", "")
	if _, err := mgmt.RemoveAccountFromOrganization(ctx(t), &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(memberID)}); err != nil {
		t.Fatal(err)
	}
	if _, err := mgmt.MoveAccount(ctx(t), &organizations.MoveAccountInput{AccountId: aws.String(acct), SourceParentId: aws.String(ou), DestinationParentId: aws.String(rootID)}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{ou, parent} {
		if _, err := mgmt.DeleteOrganizationalUnit(ctx(t), &organizations.DeleteOrganizationalUnitInput{OrganizationalUnitId: aws.String(id)}); err != nil {
			t.Fatalf("DeleteOrganizationalUnit %s: %v", id, err)
		}
	}
	// The depth limit holds here too.
	p := rootID
	for i := range 5 {
		p = createOU(t, mgmt, p, fmt.Sprintf("L%d", i+1))
	}
	_, err = mgmt.CreateOrganizationalUnit(ctx(t), &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(p), Name: aws.String("L6")})
	wantAPIError(t, err, "ConstraintViolationException", "OU_DEPTH_LIMIT_EXCEEDED")
}
