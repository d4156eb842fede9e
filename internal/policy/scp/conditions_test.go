package scp

import (
	"slices"
	"testing"
)

func TestParseConditions(t *testing.T) {
	cs, err := ParseConditions([]byte(`{"StringEquals":{"aws:ResourceTag/owner":"${aws:PrincipalAccount}-${aws:PrincipalTag/team, 'x'}"},"StringNotEqualsIfExists":{"organizations:PolicyType":"TAG_POLICY"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 {
		t.Fatalf("%d conditions", len(cs))
	}
	byKey := map[string]*Cond{}
	for i := range cs {
		byKey[cs[i].Condition().Key] = &cs[i]
	}
	owner, pt := byKey["aws:ResourceTag/owner"], byKey["organizations:PolicyType"]
	if owner == nil || pt == nil {
		t.Fatalf("keys %v", byKey)
	}
	if got := owner.Variables(); !slices.Equal(got, []string{"aws:principalaccount", "aws:principaltag/team"}) {
		t.Errorf("Variables = %v", got)
	}
	if pt.Variables() != nil {
		t.Errorf("Variables of a plain value = %v", pt.Variables())
	}
	for _, tc := range []struct {
		c    *Cond
		ctx  map[string][]string
		want bool
	}{
		{owner, map[string][]string{"aws:resourcetag/owner": {"1-x"}, "aws:principalaccount": {"1"}}, true},
		{owner, map[string][]string{"aws:resourcetag/owner": {"1-y"}, "aws:principalaccount": {"1"}}, false},
		{owner, map[string][]string{"aws:principalaccount": {"1"}}, false},
		{pt, map[string][]string{"organizations:policytype": {"TAG_POLICY"}}, false},
		{pt, map[string][]string{"organizations:policytype": {"BACKUP_POLICY"}}, true},
		{pt, nil, true},
	} {
		if got := tc.c.Eval(tc.ctx); got != tc.want {
			t.Errorf("%+v Eval(%v) = %v, want %v", tc.c.Condition(), tc.ctx, got, tc.want)
		}
	}
	if _, err := ParseConditions([]byte(`{"StringFoo":{"k":"v"}}`)); err == nil {
		t.Error("an unknown operator parsed")
	}
}
