package org

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/api"
)

// createOU creates an OU as mgmt and returns its ID.
func (f *fixture) createOU(mgmt, parent, name string) string {
	f.t.Helper()
	out, err := f.svc.CreateOrganizationalUnit(as(mgmt), &api.CreateOrganizationalUnitRequest{ParentId: parent, Name: name})
	if err != nil {
		f.t.Fatalf("CreateOrganizationalUnit %s in %s: %v", name, parent, err)
	}
	return out.OrganizationalUnit.Id
}

// ousIn returns the IDs of the OUs in parent, all pages.
func (f *fixture) ousIn(mgmt, parent string) []string {
	f.t.Helper()
	var ids []string
	in := &api.ListOrganizationalUnitsForParentRequest{ParentId: parent}
	for {
		out, err := f.svc.ListOrganizationalUnitsForParent(as(mgmt), in)
		if err != nil {
			f.t.Fatalf("ListOrganizationalUnitsForParent: %v", err)
		}
		for _, u := range out.OrganizationalUnits {
			ids = append(ids, u.Id)
		}
		if out.NextToken == "" {
			return ids
		}
		in.NextToken = out.NextToken
	}
}

func TestCreateOrganizationalUnit(t *testing.T) {
	f := newFixture(t)
	org := f.newOrg(mgmtID, "")
	root := f.rootID(mgmtID)
	out := must[*api.CreateOrganizationalUnitResponse](t)(f.svc.CreateOrganizationalUnit(as(mgmtID), &api.CreateOrganizationalUnitRequest{
		ParentId: root, Name: "Prod", Tags: []api.Tag{{Key: "team", Value: "core"}, {Key: "empty", Value: ""}},
	}))
	u := out.OrganizationalUnit
	if want := `^ou-` + strings.TrimPrefix(root, "r-") + `-[a-z0-9]{8}$`; !regexp.MustCompile(want).MatchString(u.Id) {
		t.Errorf("Id %q does not match %s", u.Id, want)
	}
	if want := "arn:aws:organizations::" + mgmtID + ":ou/" + org.Id + "/" + u.Id; u.Arn != want || u.Name != "Prod" {
		t.Errorf("got %+v, want Arn %s Name Prod", u, want)
	}
	d := must[*api.DescribeOrganizationalUnitResponse](t)(f.svc.DescribeOrganizationalUnit(as(mgmtID), &api.DescribeOrganizationalUnitRequest{OrganizationalUnitId: u.Id}))
	if *d.OrganizationalUnit != *u {
		t.Errorf("Describe %+v, Create %+v", d.OrganizationalUnit, u)
	}
	tags := must[*api.ListTagsForResourceResponse](t)(f.svc.ListTagsForResource(as(mgmtID), &api.ListTagsForResourceRequest{ResourceId: u.Id}))
	if want := []api.Tag{{Key: "empty"}, {Key: "team", Value: "core"}}; !slices.Equal(tags.Tags, want) {
		t.Errorf("tags %v, want %v", tags.Tags, want)
	}
	if got := f.ousIn(mgmtID, root); !slices.Equal(got, []string{u.Id}) {
		t.Errorf("OUs in root %v", got)
	}
	// The same name is fine under another parent, and the OU ID's first
	// segment stays the root's at any depth.
	child := f.createOU(mgmtID, u.Id, "Prod")
	if !strings.HasPrefix(child, "ou-"+strings.TrimPrefix(root, "r-")+"-") {
		t.Errorf("nested Id %q", child)
	}
}

func TestCreateOrganizationalUnitErrors(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Quotas.TagsPerResource = 2 })
	f.newOrg(mgmtID, "")
	root := f.rootID(mgmtID)
	prod := f.createOU(mgmtID, root, "Prod")
	f.newOrg(otherID, "")
	otherRoot := f.rootID(otherID)
	otherOU := f.createOU(otherID, otherRoot, "Theirs")

	for _, tc := range []struct {
		name         string
		parent, ou   string
		tags         []api.Tag
		typ, reason  string
		wantParentIn string // a parent that must still lack an OU of that name
	}{
		{"unknown OU parent", "ou-" + root[2:] + "-zzzzzzzz", "A", nil, api.ErrParentNotFound, "", ""},
		{"unknown root", "r-zzzz", "A", nil, api.ErrParentNotFound, "", ""},
		{"another organization's root", otherRoot, "A", nil, api.ErrParentNotFound, "", ""},
		{"another organization's OU", otherOU, "A", nil, api.ErrParentNotFound, "", ""},
		{"duplicate name", root, "Prod", nil, api.ErrDuplicateOrganizationalUnit, "", ""},
		{"system tag", root, "Tagged", []api.Tag{{Key: "aws:x", Value: "1"}}, api.ErrInvalidInput, string(api.InvalidInputExceptionReasonInvalidSystemTagsParameter), root},
		{"system tag any case", root, "Tagged", []api.Tag{{Key: "AWS:x", Value: "1"}}, api.ErrInvalidInput, string(api.InvalidInputExceptionReasonInvalidSystemTagsParameter), root},
		{"duplicate tag key", root, "Tagged", []api.Tag{{Key: "k", Value: "1"}, {Key: "k", Value: "2"}}, api.ErrInvalidInput, string(api.InvalidInputExceptionReasonDuplicateTagKey), root},
		{"too many tags", root, "Tagged", []api.Tag{{Key: "a"}, {Key: "b"}, {Key: "c"}}, api.ErrConstraintViolation, string(api.ConstraintViolationExceptionReasonMaxTagLimitExceeded), root},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.CreateOrganizationalUnit(as(mgmtID), &api.CreateOrganizationalUnitRequest{ParentId: tc.parent, Name: tc.ou, Tags: tc.tags})
			wantErr(t, err, tc.typ, tc.reason)
		})
	}
	// No failed request left an OU behind.
	if got := f.ousIn(mgmtID, root); !slices.Equal(got, []string{prod}) {
		t.Errorf("OUs in root %v, want [%s]", got, prod)
	}
	if got := f.ousIn(otherID, otherOU); len(got) != 0 {
		t.Errorf("OUs in the other organization's OU %v", got)
	}
}

func TestOUDepthLimit(t *testing.T) {
	for _, tc := range []struct {
		name  string
		limit int // 0: the default
		ok    int
	}{
		{"default: 5 levels", 0, 5},
		{"configured: 2 levels", 2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(c *Config) {
				if tc.limit > 0 {
					c.Quotas.OUDepth = tc.limit
				}
			})
			f.newOrg(mgmtID, "")
			parent := f.rootID(mgmtID)
			for range tc.ok {
				parent = f.createOU(mgmtID, parent, "Level")
			}
			_, err := f.svc.CreateOrganizationalUnit(as(mgmtID), &api.CreateOrganizationalUnitRequest{ParentId: parent, Name: "TooDeep"})
			wantErr(t, err, api.ErrConstraintViolation, string(api.ConstraintViolationExceptionReasonOuDepthLimitExceeded))
		})
	}
}

func TestOUNumberLimit(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Quotas.OUsPerOrganization = 2 })
	f.newOrg(mgmtID, "")
	root := f.rootID(mgmtID)
	a := f.createOU(mgmtID, root, "A")
	f.createOU(mgmtID, a, "B") // nested OUs count too
	_, err := f.svc.CreateOrganizationalUnit(as(mgmtID), &api.CreateOrganizationalUnitRequest{ParentId: root, Name: "C"})
	wantErr(t, err, api.ErrConstraintViolation, string(api.ConstraintViolationExceptionReasonOuNumberLimitExceeded))
	// The quota is per organization.
	f.newOrg(otherID, "")
	f.createOU(otherID, f.rootID(otherID), "C")
	// Deleting an OU frees its place.
	b := f.ousIn(mgmtID, a)[0]
	must[*api.Empty](t)(f.svc.DeleteOrganizationalUnit(as(mgmtID), &api.DeleteOrganizationalUnitRequest{OrganizationalUnitId: b}))
	f.createOU(mgmtID, root, "C")
}

func TestOUCallers(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	root := f.rootID(mgmtID)
	ou := f.createOU(mgmtID, root, "Prod")
	f.join(mgmtID, root, api.AccountJoinedMethodInvited, otherID)
	const daID = "444444444444"
	f.join(mgmtID, root, api.AccountJoinedMethodInvited, daID)
	f.plantDelegatedAdmin(mgmtID, daID)
	const standaloneID = "555555555555"

	writes := map[string]func(caller string) error{
		"CreateOrganizationalUnit": func(c string) error {
			_, err := f.svc.CreateOrganizationalUnit(as(c), &api.CreateOrganizationalUnitRequest{ParentId: root, Name: "New"})
			return err
		},
		"UpdateOrganizationalUnit": func(c string) error {
			_, err := f.svc.UpdateOrganizationalUnit(as(c), &api.UpdateOrganizationalUnitRequest{OrganizationalUnitId: ou, Name: "Renamed"})
			return err
		},
		"DeleteOrganizationalUnit": func(c string) error {
			_, err := f.svc.DeleteOrganizationalUnit(as(c), &api.DeleteOrganizationalUnitRequest{OrganizationalUnitId: ou})
			return err
		},
	}
	reads := map[string]func(caller string) error{
		"DescribeOrganizationalUnit": func(c string) error {
			_, err := f.svc.DescribeOrganizationalUnit(as(c), &api.DescribeOrganizationalUnitRequest{OrganizationalUnitId: ou})
			return err
		},
		"ListOrganizationalUnitsForParent": func(c string) error {
			_, err := f.svc.ListOrganizationalUnitsForParent(as(c), &api.ListOrganizationalUnitsForParentRequest{ParentId: root})
			return err
		},
		"ListChildren": func(c string) error {
			_, err := f.svc.ListChildren(as(c), &api.ListChildrenRequest{ParentId: root, ChildType: api.ChildTypeAccount})
			return err
		},
		"ListParents": func(c string) error {
			_, err := f.svc.ListParents(as(c), &api.ListParentsRequest{ChildId: ou})
			return err
		},
	}
	for name, call := range writes {
		t.Run(name, func(t *testing.T) {
			wantErr(t, call(standaloneID), api.ErrAWSOrganizationsNotInUse, "")
			wantErr(t, call(otherID), api.ErrAccessDenied, "")
			wantErr(t, call(daID), api.ErrAccessDenied, "")
		})
	}
	for name, call := range reads {
		t.Run(name, func(t *testing.T) {
			wantErr(t, call(standaloneID), api.ErrAWSOrganizationsNotInUse, "")
			wantErr(t, call(otherID), api.ErrAccessDenied, "")
			if err := call(daID); err != nil {
				t.Errorf("delegated administrator: %v", err)
			}
		})
	}
	// The OU survived every refused write.
	if got := f.ousIn(mgmtID, root); !slices.Equal(got, []string{ou}) {
		t.Errorf("OUs in root %v", got)
	}
}

func TestUpdateOrganizationalUnit(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	root := f.rootID(mgmtID)
	prod := f.createOU(mgmtID, root, "Prod")
	dev := f.createOU(mgmtID, root, "Dev")
	f.newOrg(otherID, "")
	otherOU := f.createOU(otherID, f.rootID(otherID), "Theirs")

	before := must[*api.DescribeOrganizationalUnitResponse](t)(f.svc.DescribeOrganizationalUnit(as(mgmtID), &api.DescribeOrganizationalUnitRequest{OrganizationalUnitId: prod})).OrganizationalUnit
	out := must[*api.UpdateOrganizationalUnitResponse](t)(f.svc.UpdateOrganizationalUnit(as(mgmtID), &api.UpdateOrganizationalUnitRequest{OrganizationalUnitId: prod, Name: "Production"}))
	if u := out.OrganizationalUnit; u.Id != prod || u.Arn != before.Arn || u.Name != "Production" {
		t.Errorf("renamed %+v, before %+v", u, before)
	}
	after := must[*api.DescribeOrganizationalUnitResponse](t)(f.svc.DescribeOrganizationalUnit(as(mgmtID), &api.DescribeOrganizationalUnitRequest{OrganizationalUnitId: prod})).OrganizationalUnit
	if after.Name != "Production" {
		t.Errorf("Describe after rename: %+v", after)
	}
	// The old name is free again; renaming to the current name is a no-op.
	f.createOU(mgmtID, root, "Prod")
	must[*api.UpdateOrganizationalUnitResponse](t)(f.svc.UpdateOrganizationalUnit(as(mgmtID), &api.UpdateOrganizationalUnitRequest{OrganizationalUnitId: dev, Name: "Dev"}))

	for _, tc := range []struct {
		name, id, newName string
		typ               string
	}{
		{"duplicate name", dev, "Production", api.ErrDuplicateOrganizationalUnit},
		{"unknown OU", "ou-" + root[2:] + "-zzzzzzzz", "X", api.ErrOrganizationalUnitNotFound},
		{"another organization's OU", otherOU, "X", api.ErrOrganizationalUnitNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.UpdateOrganizationalUnit(as(mgmtID), &api.UpdateOrganizationalUnitRequest{OrganizationalUnitId: tc.id, Name: tc.newName})
			wantErr(t, err, tc.typ, "")
		})
	}
	d := must[*api.DescribeOrganizationalUnitResponse](t)(f.svc.DescribeOrganizationalUnit(as(otherID), &api.DescribeOrganizationalUnitRequest{OrganizationalUnitId: otherOU}))
	if d.OrganizationalUnit.Name != "Theirs" {
		t.Errorf("the other organization's OU was renamed: %+v", d.OrganizationalUnit)
	}
}

func TestDeleteOrganizationalUnit(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	root := f.rootID(mgmtID)
	parent := f.createOU(mgmtID, root, "Parent")
	child := f.createOU(mgmtID, parent, "Child")
	holder := f.createOU(mgmtID, root, "Holder")
	f.join(mgmtID, holder, api.AccountJoinedMethodInvited, otherID)
	f.newOrg(thirdID, "")
	otherOU := f.createOU(thirdID, f.rootID(thirdID), "Theirs")
	must[*api.Empty](t)(f.svc.TagResource(as(mgmtID), &api.TagResourceRequest{ResourceId: child, Tags: []api.Tag{{Key: "k", Value: "v"}}}))

	for _, tc := range []struct {
		name, id, typ string
	}{
		{"has an OU", parent, api.ErrOrganizationalUnitNotEmpty},
		{"has an account", holder, api.ErrOrganizationalUnitNotEmpty},
		{"unknown OU", "ou-" + root[2:] + "-zzzzzzzz", api.ErrOrganizationalUnitNotFound},
		{"another organization's OU", otherOU, api.ErrOrganizationalUnitNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.DeleteOrganizationalUnit(as(mgmtID), &api.DeleteOrganizationalUnitRequest{OrganizationalUnitId: tc.id})
			wantErr(t, err, tc.typ, "")
		})
	}

	var hooked []string
	defer func(saved []func(*txn, *organization, *ou) error) { beforeOUDeleted = saved }(beforeOUDeleted)
	beforeOUDeleted = append(beforeOUDeleted[:len(beforeOUDeleted):len(beforeOUDeleted)], func(t *txn, o *organization, u *ou) error {
		// The OU is still there when the hook runs.
		if _, ok, err := t.ou(u.ID); err != nil || !ok {
			return err
		}
		hooked = append(hooked, u.ID)
		return nil
	})
	must[*api.Empty](t)(f.svc.DeleteOrganizationalUnit(as(mgmtID), &api.DeleteOrganizationalUnitRequest{OrganizationalUnitId: child}))
	must[*api.Empty](t)(f.svc.DeleteOrganizationalUnit(as(mgmtID), &api.DeleteOrganizationalUnitRequest{OrganizationalUnitId: parent}))
	if !slices.Equal(hooked, []string{child, parent}) {
		t.Errorf("beforeOUDeleted ran for %v", hooked)
	}
	_, err := f.svc.DescribeOrganizationalUnit(as(mgmtID), &api.DescribeOrganizationalUnitRequest{OrganizationalUnitId: child})
	wantErr(t, err, api.ErrOrganizationalUnitNotFound, "")
	_, err = f.svc.DeleteOrganizationalUnit(as(mgmtID), &api.DeleteOrganizationalUnitRequest{OrganizationalUnitId: child})
	wantErr(t, err, api.ErrOrganizationalUnitNotFound, "")
	if got := f.ousIn(mgmtID, root); !slices.Equal(got, []string{holder}) {
		t.Errorf("OUs in root %v", got)
	}
	// Tags, name index and counter went with the OUs.
	err = f.svc.read(as(mgmtID), func(t *txn) error {
		for _, k := range []string{keyTags(child), keyOUName(parent, "Child"), keyOUName(root, "Parent"), keyOU(parent)} {
			if ok, err := t.has(k); err != nil || ok {
				f.t.Errorf("key %s still present (err %v)", k, err)
			}
		}
		o, err := mgmtOrg(t, mgmtID)
		if err == nil && o.OUs != 1 {
			f.t.Errorf("OU counter %d, want 1", o.OUs)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	f.createOU(mgmtID, root, "Parent")
}

func TestOnOUCreatedHook(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	root := f.rootID(mgmtID)
	var hooked []*ou
	defer func(saved []func(*txn, *organization, *ou) error) { onOUCreated = saved }(onOUCreated)
	onOUCreated = append(onOUCreated[:len(onOUCreated):len(onOUCreated)], func(t *txn, o *organization, u *ou) error {
		hooked = append(hooked, u)
		if u.Name == "Refused" {
			return api.NewConstraintViolation(api.ConstraintViolationExceptionReasonPolicyNumberLimitExceeded, "refused by a hook")
		}
		return nil
	})
	id := f.createOU(mgmtID, root, "Fine")
	if len(hooked) != 1 || hooked[0].ID != id || hooked[0].Parent != root || hooked[0].Depth != 1 {
		t.Fatalf("hook saw %+v", hooked)
	}
	// A hook's error undoes the creation.
	_, err := f.svc.CreateOrganizationalUnit(as(mgmtID), &api.CreateOrganizationalUnitRequest{ParentId: root, Name: "Refused"})
	wantErr(t, err, api.ErrConstraintViolation, string(api.ConstraintViolationExceptionReasonPolicyNumberLimitExceeded))
	if got := f.ousIn(mgmtID, root); !slices.Equal(got, []string{id}) {
		t.Errorf("OUs in root %v", got)
	}
}

func TestListChildrenAndOUs(t *testing.T) {
	f := newFixture(t)
	org := f.newOrg(mgmtID, "")
	root := f.rootID(mgmtID)
	var ous []string
	for _, name := range []string{"A", "B", "C", "D", "E"} {
		ous = append(ous, f.createOU(mgmtID, root, name))
	}
	slices.Sort(ous)
	f.join(mgmtID, ous[0], api.AccountJoinedMethodInvited, otherID)
	f.newOrg(thirdID, "")
	otherRoot := f.rootID(thirdID)

	children := func(parent string, typ api.ChildType) []api.Child {
		out := must[*api.ListChildrenResponse](t)(f.svc.ListChildren(as(mgmtID), &api.ListChildrenRequest{ParentId: parent, ChildType: typ}))
		if out.Children == nil || out.NextToken != "" {
			t.Fatalf("ListChildren %s %s: %+v", parent, typ, out)
		}
		return out.Children
	}
	if got := children(root, api.ChildTypeAccount); !slices.Equal(got, []api.Child{{Id: mgmtID, Type: api.ChildTypeAccount}}) {
		t.Errorf("accounts in root %v", got)
	}
	if got := children(ous[0], api.ChildTypeAccount); !slices.Equal(got, []api.Child{{Id: otherID, Type: api.ChildTypeAccount}}) {
		t.Errorf("accounts in %s %v", ous[0], got)
	}
	if got := children(ous[1], api.ChildTypeAccount); len(got) != 0 {
		t.Errorf("accounts in %s %v", ous[1], got)
	}
	if got := children(ous[0], api.ChildTypeOrganizationalUnit); len(got) != 0 {
		t.Errorf("OUs in %s %v", ous[0], got)
	}
	var want []api.Child
	for _, id := range ous {
		want = append(want, api.Child{Id: id, Type: api.ChildTypeOrganizationalUnit})
	}
	if got := children(root, api.ChildTypeOrganizationalUnit); !slices.Equal(got, want) {
		t.Errorf("OUs in root %v, want %v", got, want)
	}

	// OUs for parent: the views, and an empty parent gives [].
	list := must[*api.ListOrganizationalUnitsForParentResponse](t)(f.svc.ListOrganizationalUnitsForParent(as(mgmtID), &api.ListOrganizationalUnitsForParentRequest{ParentId: root}))
	if len(list.OrganizationalUnits) != 5 || list.OrganizationalUnits[0].Id != ous[0] ||
		list.OrganizationalUnits[0].Arn != "arn:aws:organizations::"+mgmtID+":ou/"+org.Id+"/"+ous[0] {
		t.Errorf("OUs for root %+v", list.OrganizationalUnits)
	}
	empty := must[*api.ListOrganizationalUnitsForParentResponse](t)(f.svc.ListOrganizationalUnitsForParent(as(mgmtID), &api.ListOrganizationalUnitsForParentRequest{ParentId: ous[1]}))
	if empty.OrganizationalUnits == nil || len(empty.OrganizationalUnits) != 0 || empty.NextToken != "" {
		t.Errorf("OUs for an empty OU %+v", empty)
	}

	for _, parent := range []string{"r-zzzz", otherRoot, "ou-" + root[2:] + "-zzzzzzzz"} {
		_, err := f.svc.ListChildren(as(mgmtID), &api.ListChildrenRequest{ParentId: parent, ChildType: api.ChildTypeAccount})
		wantErr(t, err, api.ErrParentNotFound, "")
		_, err = f.svc.ListOrganizationalUnitsForParent(as(mgmtID), &api.ListOrganizationalUnitsForParentRequest{ParentId: parent})
		wantErr(t, err, api.ErrParentNotFound, "")
	}
}

func TestListPagination(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	root := f.rootID(mgmtID)
	var ous []string
	for _, name := range []string{"A", "B", "C", "D", "E"} {
		ous = append(ous, f.createOU(mgmtID, root, name))
	}
	slices.Sort(ous)
	bad := string(api.InvalidInputExceptionReasonInvalidNextToken)

	t.Run("ListChildren", func(t *testing.T) {
		var got []string
		var tokens []string
		in := &api.ListChildrenRequest{ParentId: root, ChildType: api.ChildTypeOrganizationalUnit, MaxResults: 2}
		for {
			out := must[*api.ListChildrenResponse](t)(f.svc.ListChildren(as(mgmtID), in))
			if len(out.Children) > 2 {
				t.Fatalf("page of %d", len(out.Children))
			}
			for _, c := range out.Children {
				got = append(got, c.Id)
			}
			if out.NextToken == "" {
				break
			}
			tokens = append(tokens, out.NextToken)
			in.NextToken = out.NextToken
		}
		if !slices.Equal(got, ous) || len(tokens) != 2 {
			t.Fatalf("pages gave %v with %d tokens, want %v", got, len(tokens), ous)
		}
		// A token is bound to its parent and child type.
		_, err := f.svc.ListChildren(as(mgmtID), &api.ListChildrenRequest{ParentId: root, ChildType: api.ChildTypeAccount, NextToken: tokens[0]})
		wantErr(t, err, api.ErrInvalidInput, bad)
		_, err = f.svc.ListChildren(as(mgmtID), &api.ListChildrenRequest{ParentId: root, ChildType: api.ChildTypeOrganizationalUnit, NextToken: "garbage"})
		wantErr(t, err, api.ErrInvalidInput, bad)
		_, err = f.svc.ListOrganizationalUnitsForParent(as(mgmtID), &api.ListOrganizationalUnitsForParentRequest{ParentId: root, NextToken: tokens[0]})
		wantErr(t, err, api.ErrInvalidInput, bad)
	})
	t.Run("ListOrganizationalUnitsForParent", func(t *testing.T) {
		in := &api.ListOrganizationalUnitsForParentRequest{ParentId: root, MaxResults: 3}
		first := must[*api.ListOrganizationalUnitsForParentResponse](t)(f.svc.ListOrganizationalUnitsForParent(as(mgmtID), in))
		if len(first.OrganizationalUnits) != 3 || first.NextToken == "" {
			t.Fatalf("first page %+v", first)
		}
		in.NextToken = first.NextToken
		second := must[*api.ListOrganizationalUnitsForParentResponse](t)(f.svc.ListOrganizationalUnitsForParent(as(mgmtID), in))
		if len(second.OrganizationalUnits) != 2 || second.NextToken != "" || second.OrganizationalUnits[0].Id != ous[3] {
			t.Fatalf("second page %+v", second)
		}
		_, err := f.svc.ListOrganizationalUnitsForParent(as(mgmtID), &api.ListOrganizationalUnitsForParentRequest{ParentId: ous[0], NextToken: first.NextToken})
		wantErr(t, err, api.ErrInvalidInput, bad)
		_, err = f.svc.ListOrganizationalUnitsForParent(as(mgmtID), &api.ListOrganizationalUnitsForParentRequest{ParentId: root, NextToken: first.NextToken + "x"})
		wantErr(t, err, api.ErrInvalidInput, bad)
	})
	t.Run("ListParents", func(t *testing.T) {
		_, err := f.svc.ListParents(as(mgmtID), &api.ListParentsRequest{ChildId: ous[0], NextToken: "garbage"})
		wantErr(t, err, api.ErrInvalidInput, bad)
	})
}

func TestListParents(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	root := f.rootID(mgmtID)
	top := f.createOU(mgmtID, root, "Top")
	nested := f.createOU(mgmtID, top, "Nested")
	f.join(mgmtID, nested, api.AccountJoinedMethodInvited, otherID)
	f.newOrg(thirdID, "")
	otherOU := f.createOU(thirdID, f.rootID(thirdID), "Theirs")

	for _, tc := range []struct {
		name, child string
		want        api.Parent
	}{
		{"management account in the root", mgmtID, api.Parent{Id: root, Type: api.ParentTypeRoot}},
		{"member in a nested OU", otherID, api.Parent{Id: nested, Type: api.ParentTypeOrganizationalUnit}},
		{"OU in the root", top, api.Parent{Id: root, Type: api.ParentTypeRoot}},
		{"OU in an OU", nested, api.Parent{Id: top, Type: api.ParentTypeOrganizationalUnit}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := must[*api.ListParentsResponse](t)(f.svc.ListParents(as(mgmtID), &api.ListParentsRequest{ChildId: tc.child, MaxResults: 1}))
			if !slices.Equal(out.Parents, []api.Parent{tc.want}) || out.NextToken != "" {
				t.Errorf("got %+v, want [%+v]", out, tc.want)
			}
		})
	}
	for _, tc := range []struct{ name, child string }{
		{"standalone account", "555555555555"},
		{"another organization's management account", thirdID},
		{"another organization's OU", otherOU},
		{"unknown OU", "ou-" + root[2:] + "-zzzzzzzz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.ListParents(as(mgmtID), &api.ListParentsRequest{ChildId: tc.child})
			wantErr(t, err, api.ErrChildNotFound, "")
		})
	}
}

// Nothing about OUs, listings or tags needs all features (spec 2.2).
func TestOUsInConsolidatedBillingOrg(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, api.OrganizationFeatureSetConsolidatedBilling)
	root := f.rootID(mgmtID)
	ou := f.createOU(mgmtID, root, "Prod")
	f.join(mgmtID, ou, api.AccountJoinedMethodInvited, otherID)
	mustOK := func(name string, err error) {
		t.Helper()
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	_, err := f.svc.UpdateOrganizationalUnit(as(mgmtID), &api.UpdateOrganizationalUnitRequest{OrganizationalUnitId: ou, Name: "Production"})
	mustOK("UpdateOrganizationalUnit", err)
	_, err = f.svc.DescribeOrganizationalUnit(as(mgmtID), &api.DescribeOrganizationalUnitRequest{OrganizationalUnitId: ou})
	mustOK("DescribeOrganizationalUnit", err)
	_, err = f.svc.ListOrganizationalUnitsForParent(as(mgmtID), &api.ListOrganizationalUnitsForParentRequest{ParentId: root})
	mustOK("ListOrganizationalUnitsForParent", err)
	_, err = f.svc.ListChildren(as(mgmtID), &api.ListChildrenRequest{ParentId: ou, ChildType: api.ChildTypeAccount})
	mustOK("ListChildren", err)
	_, err = f.svc.ListParents(as(mgmtID), &api.ListParentsRequest{ChildId: otherID})
	mustOK("ListParents", err)
	for _, id := range []string{root, ou, otherID} {
		_, err = f.svc.TagResource(as(mgmtID), &api.TagResourceRequest{ResourceId: id, Tags: []api.Tag{{Key: "k", Value: "v"}}})
		mustOK("TagResource "+id, err)
		_, err = f.svc.ListTagsForResource(as(mgmtID), &api.ListTagsForResourceRequest{ResourceId: id})
		mustOK("ListTagsForResource "+id, err)
		_, err = f.svc.UntagResource(as(mgmtID), &api.UntagResourceRequest{ResourceId: id, TagKeys: []string{"k"}})
		mustOK("UntagResource "+id, err)
	}
	_, err = f.svc.DeleteOrganizationalUnit(as(mgmtID), &api.DeleteOrganizationalUnitRequest{OrganizationalUnitId: f.createOU(mgmtID, root, "Empty")})
	mustOK("DeleteOrganizationalUnit", err)
}
