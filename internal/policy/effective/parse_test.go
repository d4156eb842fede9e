package effective

import (
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	cases := []struct {
		name, typ, content string
		path, msg          string
	}{
		{"bad JSON", TypeTag, `{"tags":`, "tags", "not valid JSON"},
		{"trailing text", TypeTag, tagA + `{}`, "", "single JSON object"},
		{"array", TypeTag, `[]`, "", "must be a JSON object"},
		{"empty object", TypeTag, `{}`, "", "no settings"},
		{"duplicate key", TypeTag, `{"tags":{"a":{"tag_value":{"@@assign":["x"]}},"a":{}}}`, "tags", "duplicate key"},
		{"folded duplicate key", TypeTag, `{"tags":{"CostCenter":{},"costcenter":{}}}`, "tags/costcenter", "duplicate key"},
		{"wrong root", TypeTag, `{"plans":{}}`, "plans", "unsupported top-level key"},
		{"operator at top", TypeS3, `{"@@assign":"x"}`, "@@assign", "top level"},
		{"unknown operator", TypeChatbot, `{"chatbot":{"x":{"@@assing":"y"}}}`, "chatbot/x/@@assing", "unknown inheritance operator"},
		{"bare value", TypeChatbot, `{"chatbot":{"x":"y"}}`, "chatbot/x", "must be an object"},
		{"operators mixed with settings", TypeChatbot, `{"chatbot":{"x":{"@@assign":"y","z":{}}}}`, "chatbot/x", "both value operators and further settings"},
		{"guide's policy D as printed", TypeTag, `{"tags":{"costcenter":{"tag_key":{"@@assign":"CostCenter"},"tag_value":{"@@remove":["Development"],"enforced_for":{"@@remove":["redshift:*"]}}}}}`, "tags/costcenter/tag_value", "both value operators"},
		{"append not array", TypeChatbot, `{"chatbot":{"x":{"@@append":"y"}}}`, "chatbot/x/@@append", "takes an array"},
		{"remove not array", TypeChatbot, `{"chatbot":{"x":{"@@remove":{"a":1}}}}`, "chatbot/x/@@remove", "takes an array"},
		{"assign object", TypeChatbot, `{"chatbot":{"x":{"@@assign":{"a":1}}}}`, "chatbot/x/@@assign", "@@assign takes"},
		{"assign null", TypeChatbot, `{"chatbot":{"x":{"@@assign":null}}}`, "chatbot/x/@@assign", "@@assign takes"},
		{"assign nested list", TypeChatbot, `{"chatbot":{"x":{"@@assign":[["a"]]}}}`, "chatbot/x/@@assign", "@@assign takes"},
		{"child control not list", TypeChatbot, `{"chatbot":{"x":{"@@operators_allowed_for_child_policies":"@@none"}}}`, "chatbot/x/@@operators_allowed_for_child_policies", "non-empty array"},
		{"child control empty", TypeChatbot, `{"chatbot":{"x":{"@@operators_allowed_for_child_policies":[]}}}`, "chatbot/x/@@operators_allowed_for_child_policies", "non-empty array"},
		{"child control none with others", TypeChatbot, `{"chatbot":{"x":{"@@operators_allowed_for_child_policies":["@@none","@@append"]}}}`, "chatbot/x/@@operators_allowed_for_child_policies", "only value"},
		{"child control unknown", TypeChatbot, `{"chatbot":{"x":{"@@operators_allowed_for_child_policies":["@@merge"]}}}`, "chatbot/x/@@operators_allowed_for_child_policies", "unknown value"},
		{"tag key differs from policy key", TypeTag, `{"tags":{"costcenter":{"tag_key":{"@@assign":"Owner"}}}}`, "tags/costcenter/tag_key", "must be the policy key"},
		{"tag key appended", TypeTag, `{"tags":{"env":{"tag_key":{"@@append":["Env"]}}}}`, "tags/env/tag_key", "single-valued"},
		{"unknown tag setting", TypeTag, `{"tags":{"env":{"tag_values":{"@@assign":["a"]}}}}`, "tags/env/tag_values", "unsupported tag policy setting"},
		{"AI append", TypeAIServicesOptOut, `{"services":{"lex":{"opt_out_policy":{"@@append":["optIn"]}}}}`, "services/lex/opt_out_policy/@@append", "not supported"},
		{"AI child control append", TypeAIServicesOptOut, `{"services":{"@@operators_allowed_for_child_policies":["@@append"]}}`, "services/@@operators_allowed_for_child_policies", "not supported"},
		{"AI bad value", TypeAIServicesOptOut, `{"services":{"lex":{"opt_out_policy":{"@@assign":"optout"}}}}`, "services/lex/opt_out_policy", "optIn or optOut"},
		{"AI extra key", TypeAIServicesOptOut, `{"services":{"lex":{"policy":{"@@assign":"optIn"}}}}`, "services/lex/policy", "only opt_out_policy"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Validate(c.typ, c.content)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error = %v, want *ValidationError", err)
			}
			if ve.Path != c.path || !strings.Contains(ve.Message, c.msg) || !strings.HasSuffix(ve.Error(), ve.Message) {
				t.Fatalf("got %q at %q, want %q at %q", ve.Message, ve.Path, c.msg, c.path)
			}
		})
	}
}

func TestValidationErrorText(t *testing.T) {
	if got := (&ValidationError{Path: "tags/x", Message: "bad"}).Error(); got != "tags/x: bad" {
		t.Errorf("got %q", got)
	}
	if got := (&ValidationError{Message: "bad"}).Error(); got != "bad" {
		t.Errorf("got %q", got)
	}
}

func TestValidateAccepts(t *testing.T) {
	cases := []struct{ typ, content string }{
		{TypeTag, tagA}, {TypeTag, tagB}, {TypeTag, tagE}, {TypeTag, tagG}, {TypeTag, tagH},
		{TypeTag, `{"tags":{"costcenter":{"tag_key":{"@@assign":"CostCenter"},"tag_value":{"@@assign":["100","200","300*"]},"enforced_for":{"@@assign":["secretsmanager:ALL_SUPPORTED"]}}}}`},
		{TypeAIServicesOptOut, `{"services":{"rekognition":{"opt_out_policy":{"@@assign":"optOut","@@operators_allowed_for_child_policies":["@@none"]}}}}`},
		{TypeDeclarativeEC2, `{"ec2_attributes":{"vpc_block_public_access":{"internet_gateway_block":{"mode":{"@@assign":"block_ingress"},"exclusions_allowed":{"@@assign":"enabled"}}}}}`},
		{TypeInspector, `{"inspector":{"enablement":{"ec2_scanning":{"enable_in_regions":{"@@assign":["us-east-1","us-west-2"]},"disable_in_regions":{"@@assign":["eu-west-1"]}}}}}`},
		{TypeUpgradeRollout, `{"upgrade_rollout":{"default":{"patch_order":{"@@assign":"last"}},"tags":{"devtag":{"tag_values":{"tag1":{"patch_order":{"@@assign":"first"}}}}}}}`},
		{TypeBedrock, `{"bedrock":{"guardrail_inference":{"us-east-1":{"config_1":{"identifier":{"@@assign":"arn:aws:bedrock:us-east-1:123456789012:guardrail/hu1dlsv9wy1d:1"},"input_tags":{"@@assign":"honor"}}}}}}`},
		{TypeS3, `{"s3_attributes":{"setting":{"@@assign":"on"}}}`},
		{TypeBackup, `{"plans":{"p":{"advanced_backup_settings":{"ec2":{"WindowsVSS":{"@@assign":"enabled"}}}}}}`},
	}
	for _, c := range cases {
		if err := Validate(c.typ, c.content); err != nil {
			t.Errorf("%s %s: %v", c.typ, c.content, err)
		}
	}
}

func TestTypes(t *testing.T) {
	// The model's EffectivePolicyType enum: every PolicyType but SCP and RCP.
	want := []string{"AISERVICES_OPT_OUT_POLICY", "BACKUP_POLICY", "BEDROCK_POLICY", "CHATBOT_POLICY",
		"DECLARATIVE_POLICY_EC2", "INSPECTOR_POLICY", "NETWORK_SECURITY_DIRECTOR_POLICY", "S3_POLICY",
		"SECURITYHUB_POLICY", "TAG_POLICY", "UPGRADE_ROLLOUT_POLICY"}
	sort.Strings(want)
	if got := Types(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Types() = %v", got)
	}
	for _, typ := range want {
		if !IsManagementType(typ) || MaxSize(typ) <= 0 {
			t.Errorf("%s: IsManagementType %v MaxSize %d", typ, IsManagementType(typ), MaxSize(typ))
		}
	}
	for _, typ := range []string{"SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY", "tag_policy"} {
		if IsManagementType(typ) || MaxSize(typ) != 0 {
			t.Errorf("%s accepted", typ)
		}
		if _, err := Parse(typ, tagA); err == nil {
			t.Errorf("Parse accepted type %s", typ)
		}
	}
	sizes := map[string]int{TypeTag: 10000, TypeBackup: 10000, TypeAIServicesOptOut: 2500, TypeChatbot: 10000,
		TypeDeclarativeEC2: 10000, TypeSecurityHub: 10000, TypeUpgradeRollout: 5120}
	for typ, n := range sizes {
		if MaxSize(typ) != n {
			t.Errorf("MaxSize(%s) = %d, want %d", typ, MaxSize(typ), n)
		}
	}
	if Size("{ \"a\" : \"é\" }") != 13 {
		t.Errorf("Size counts %d", Size("{ \"a\" : \"é\" }"))
	}
}
