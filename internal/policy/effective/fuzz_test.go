package effective

import (
	"testing"
)

// FuzzParseCompute feeds management policy documents through Parse and
// merges each pair that parses, as a parent and its child, through
// Compute: bad input must be an error with a message, never a panic, and
// a merge that succeeds must give JSON that parses again.
func FuzzParseCompute(f *testing.F) {
	for _, s := range []string{tagA, tagB, tagC, tagD, tagE, tagF,
		`{"services":{"@@operators_allowed_for_child_policies":["@@none"],"default":{"@@operators_allowed_for_child_policies":["@@none"],"opt_out_policy":{"@@operators_allowed_for_child_policies":["@@none"],"@@assign":"optOut"}}}}`,
		`{"plans":{"p":{"regions":{"@@append":["us-east-1"]},"rules":{"r":{"schedule_expression":{"@@assign":"cron(0 5 ? * * *)"},"target_backup_vault_name":{"@@assign":"v"}}},"selections":{"tags":{"t":{"iam_role_arn":{"@@assign":"arn:aws:iam::$account:role/r"},"tag_key":{"@@assign":"k"},"tag_value":{"@@assign":["v"]}}}}}}}`,
		`{}`, `[]`, `{"tags":{}}`, `{"@@assign":1}`,
	} {
		f.Add(s, tagA, TypeTag)
		f.Add(tagB, s, TypeTag)
	}
	f.Add(`{"services":{"default":{"opt_out_policy":{"@@assign":"optIn"}}}}`, `{"services":{"s3":{"opt_out_policy":{"@@assign":"optOut"}}}}`, TypeAIServicesOptOut)
	f.Fuzz(func(t *testing.T, parent, child, policyType string) {
		var docs []*Document
		for _, content := range []string{parent, child} {
			doc, err := Parse(policyType, content)
			if err != nil {
				if err.Error() == "" {
					t.Fatalf("Parse(%q) failed with an empty message", content)
				}
				return
			}
			docs = append(docs, doc)
		}
		levels := []Level{
			{TargetID: "r-abcd", Policies: []Policy{{ID: "p-parent", Name: "parent", Doc: docs[0]}}},
			{TargetID: "ou-abcd-12345678", Policies: []Policy{{ID: "p-child", Name: "child", Doc: docs[1]}}},
		}
		res, err := Compute(policyType, levels)
		if err != nil {
			return
		}
		if res.Content != "" {
			if _, err := decode(res.Content); err != nil {
				t.Fatalf("Compute gave %q, which does not parse: %v", res.Content, err)
			}
		}
	})
}
