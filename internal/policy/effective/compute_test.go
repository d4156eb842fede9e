package effective

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// att is a policy attached at one level: its ID and content.
type att struct{ id, content string }

// computeCase is a table case of Compute: the policies attached at each
// level, the effective content and the errors it must give.
type computeCase struct {
	name   string
	levels [][]att
	want   string
	errs   []wantErr
}

// runCompute runs each case through Compute for policies of type typ, in a
// subtest, and then check, if any, on its result.
func runCompute(t *testing.T, typ string, cases []computeCase, check func(t *testing.T, c computeCase, res *Result)) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := Compute(typ, build(t, typ, c.levels...))
			if err != nil {
				t.Fatal(err)
			}
			sameJSON(t, res.Content, c.want)
			checkErrors(t, res.Errors, c.errs)
			if check != nil {
				check(t, c, res)
			}
		})
	}
}

func build(t *testing.T, typ string, levels ...[]att) []Level {
	t.Helper()
	var out []Level
	for i, lv := range levels {
		l := Level{TargetID: "level-" + string(rune('0'+i))}
		for _, a := range lv {
			doc, err := Parse(typ, a.content)
			if err != nil {
				t.Fatalf("Parse %s: %v", a.id, err)
			}
			l.Policies = append(l.Policies, Policy{ID: a.id, Name: a.id, Doc: doc})
		}
		out = append(out, l)
	}
	return out
}

func sameJSON(t *testing.T, got, want string) {
	t.Helper()
	var g, w interface{}
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("result is not JSON: %s", got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expectation: %s", want)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("effective policy\n got: %s\nwant: %s", got, want)
	}
}

type wantErr struct {
	code, path   string
	contributing []string
}

func checkErrors(t *testing.T, got []Error, want []wantErr) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("errors = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].Code != want[i].code || got[i].Path != want[i].path || !reflect.DeepEqual(got[i].ContributingPolicies, want[i].contributing) || got[i].Message == "" {
			t.Errorf("error %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// Tag policy inheritance examples of the user guide (policies A to K).
const (
	tagA = `{"tags":{"costcenter":{"tag_key":{"@@assign":"CostCenter"},"tag_value":{"@@assign":["Development","Support"]}}}}`
	tagB = `{"tags":{"costcenter":{"tag_key":{"@@assign":"CostCenter"},"tag_value":{"@@assign":["Sandbox"]},"enforced_for":{"@@assign":["redshift:*","dynamodb:table"]}}}}`
	tagC = `{"tags":{"costcenter":{"tag_key":{"@@assign":"CostCenter"},"tag_value":{"@@append":["Marketing"]},"enforced_for":{"@@append":["redshift:*","dynamodb:table"]}}}}`
	// The guide prints policy D with enforced_for nested inside
	// tag_value; this is the evident intent, as a sibling.
	tagD = `{"tags":{"costcenter":{"tag_key":{"@@assign":"CostCenter"},"tag_value":{"@@remove":["Development","Marketing"]},"enforced_for":{"@@remove":["redshift:*","dynamodb:table"]}}}}`
	tagE = `{"tags":{"project":{"tag_key":{"@@operators_allowed_for_child_policies":["@@none"],"@@assign":"Project"},"tag_value":{"@@operators_allowed_for_child_policies":["@@append"],"@@assign":["Maintenance","Escalations"]}}}}`
	tagF = `{"tags":{"project":{"tag_key":{"@@assign":"PROJECT"},"tag_value":{"@@append":["Escalations - research"]}}}}`
	tagG = `{"tags":{"project":{"tag_value":{"@@operators_allowed_for_child_policies":["@@append"],"@@assign":["Maintenance"]}}}}`
	tagH = `{"tags":{"project":{"tag_value":{"@@operators_allowed_for_child_policies":["@@append","@@remove"]}}}}`
	tagJ = `{"tags":{"project":{"tag_key":{"@@assign":"PROJECT"},"tag_value":{"@@append":["Maintenance"]}}}}`
	tagK = `{"tags":{"project":{"tag_key":{"@@assign":"project"}}}}`
)

func TestTagPolicyInheritanceExamples(t *testing.T) {
	cases := []computeCase{
		{"1 assign overwrites inherited values", [][]att{{{"pA", tagA}}, {{"pB", tagB}}, nil},
			`{"tags":{"costcenter":{"tag_key":"CostCenter","tag_value":["Sandbox"],"enforced_for":["redshift:*","dynamodb:table"]}}}`, nil},
		{"2 append adds to inherited values", [][]att{{{"pA", tagA}}, {{"pC", tagC}}},
			`{"tags":{"costcenter":{"tag_key":"CostCenter","tag_value":["Development","Support","Marketing"],"enforced_for":["redshift:*","dynamodb:table"]}}}`, nil},
		{"3 remove takes values out", [][]att{{{"pA", tagA}}, {{"pC", tagC}}, {{"pD", tagD}}},
			`{"tags":{"costcenter":{"tag_key":"CostCenter","tag_value":["Support"]}}}`, nil},
		// The guide prints tag_key "project" here, but it also says policy
		// F cannot change the key, so the root's "Project" must remain.
		{"4 child control locks the key, allows appending", [][]att{{{"pE", tagE}}, {{"pF", tagF}}},
			`{"tags":{"project":{"tag_key":"Project","tag_value":["Maintenance","Escalations","Escalations - research"]}}}`,
			[]wantErr{{CodeOperatorNotAllowed, "tags/project/tag_key", []string{"pF", "pE"}}}},
		{"5 same-level child controls intersect", [][]att{{{"pG", tagG}, {"pH", tagH}},
			{{"pChild", `{"tags":{"project":{"tag_value":{"@@append":["Ops"],"@@remove":["Maintenance"]}}}}`}}},
			`{"tags":{"project":{"tag_value":["Maintenance","Ops"]}}}`,
			[]wantErr{{CodeOperatorNotAllowed, "tags/project/tag_value", []string{"pChild", "pG", "pH"}}}},
		{"6 first attached assign wins at the same level", [][]att{{{"pJ", tagJ}, {"pK", tagK}}},
			`{"tags":{"project":{"tag_key":"PROJECT","tag_value":["Maintenance"]}}}`, nil},
		{"6 reversed attachment order", [][]att{{{"pK", tagK}, {"pJ", tagJ}}},
			`{"tags":{"project":{"tag_key":"project","tag_value":["Maintenance"]}}}`, nil},
		{"policy keys merge regardless of case", [][]att{{{"pA", tagA}}, {{"pX", `{"tags":{"CostCenter":{"tag_value":{"@@append":["Ops"]}}}}`}}},
			`{"tags":{"costcenter":{"tag_key":"CostCenter","tag_value":["Development","Support","Ops"]}}}`, nil},
	}
	runCompute(t, TypeTag, cases, func(t *testing.T, c computeCase, res *Result) {
		if res.Empty {
			t.Fatal("Empty set on a non-empty result")
		}
	})
}

func TestChildControlRules(t *testing.T) {
	appendOnly := `{"tags":{"env":{"tag_value":{"@@operators_allowed_for_child_policies":["@@append"],"@@assign":["prod"]}}}}`
	cases := []computeCase{
		{"restriction passes through an OU that says nothing", [][]att{{{"root", appendOnly}}, nil,
			{{"acct", `{"tags":{"env":{"tag_value":{"@@assign":["dev"]}}}}`}}},
			`{"tags":{"env":{"tag_value":["prod"]}}}`,
			[]wantErr{{CodeOperatorNotAllowed, "tags/env/tag_value", []string{"acct", "root"}}}},
		{"a child cannot widen what a parent restricted", [][]att{{{"root", appendOnly}},
			{{"ou", `{"tags":{"env":{"tag_value":{"@@operators_allowed_for_child_policies":["@@all"]}}}}`}},
			{{"acct", `{"tags":{"env":{"tag_value":{"@@remove":["prod"]}}}}`}}},
			`{"tags":{"env":{"tag_value":["prod"]}}}`,
			[]wantErr{{CodeOperatorNotAllowed, "tags/env/tag_value", []string{"acct", "root"}}}},
		{"a child can narrow further", [][]att{{{"root", appendOnly}},
			{{"ou", `{"tags":{"env":{"tag_value":{"@@operators_allowed_for_child_policies":["@@none"],"@@append":["test"]}}}}`}},
			{{"acct", `{"tags":{"env":{"tag_value":{"@@append":["dev"]}}}}`}}},
			`{"tags":{"env":{"tag_value":["prod","test"]}}}`,
			[]wantErr{{CodeOperatorNotAllowed, "tags/env/tag_value", []string{"acct", "root", "ou"}}}},
		{"restrictions do not bind policies on the same target", [][]att{{{"root1", appendOnly},
			{"root2", `{"tags":{"env":{"tag_value":{"@@remove":["prod"]}}}}`}}},
			`{}`, nil},
		{"none on a group blocks new settings but not existing ones", [][]att{
			{{"root", `{"tags":{"@@operators_allowed_for_child_policies":["@@none"],"env":{"tag_value":{"@@assign":["prod"]}}}}`}},
			{{"acct", `{"tags":{"env":{"tag_value":{"@@append":["dev"]}},"team":{"tag_value":{"@@assign":["a"]}}}}`}}},
			`{"tags":{"env":{"tag_value":["prod","dev"]}}}`,
			[]wantErr{{CodeOperatorNotAllowed, "tags/team", []string{"acct", "root"}}}},
		{"append does not duplicate inherited values", [][]att{{{"root", `{"tags":{"env":{"tag_value":{"@@assign":["a","b"]}}}}`}},
			{{"acct", `{"tags":{"env":{"tag_value":{"@@append":["b","c","c"]}}}}`}}},
			`{"tags":{"env":{"tag_value":["a","b","c"]}}}`, nil},
		{"remove of absent values is harmless", [][]att{{{"acct", `{"tags":{"env":{"tag_value":{"@@remove":["x"]}}}}`}}},
			`{}`, nil},
		{"values compare by JSON type", [][]att{{{"root", `{"tags":{"env":{"tag_value":{"@@assign":[1,"1",true,"true"]}}}}`}},
			{{"acct", `{"tags":{"env":{"tag_value":{"@@remove":["1",true],"@@append":[1,"x"]}}}}`}}},
			`{"tags":{"env":{"tag_value":[1,"true","x"]}}}`, nil},
		{"assign then append in one policy", [][]att{{{"acct", `{"tags":{"env":{"tag_value":{"@@append":["b"],"@@assign":["a"]}}}}`}}},
			`{"tags":{"env":{"tag_value":["a","b"]}}}`, nil},
	}
	runCompute(t, TypeTag, cases, func(t *testing.T, c computeCase, res *Result) {
		if res.Empty != (c.want == "{}") {
			t.Fatalf("Empty = %v for %s", res.Empty, res.Content)
		}
	})
}

func TestTypeMismatch(t *testing.T) {
	cases := []computeCase{
		{"append to an inherited single value", [][]att{
			{{"root", `{"chatbot":{"mode":{"@@assign":"on"}}}`}},
			{{"acct", `{"chatbot":{"mode":{"@@append":["off"]}}}`}}},
			`{"chatbot":{"mode":"on"}}`,
			[]wantErr{{CodeTypeMismatch, "chatbot/mode", []string{"acct", "root"}}}},
		{"remove from an inherited single value", [][]att{
			{{"root", `{"chatbot":{"mode":{"@@assign":"on"}}}`}},
			{{"acct", `{"chatbot":{"mode":{"@@remove":["on"]}}}`}}},
			`{"chatbot":{"mode":"on"}}`,
			[]wantErr{{CodeTypeMismatch, "chatbot/mode", []string{"acct", "root"}}}},
		{"value over a group", [][]att{
			{{"root", `{"chatbot":{"slack":{"id":{"@@assign":"x"}}}}`}},
			{{"acct", `{"chatbot":{"slack":{"@@assign":"y"}}}`}}},
			`{"chatbot":{"slack":{"id":"x"}}}`,
			[]wantErr{{CodeTypeMismatch, "chatbot/slack", []string{"acct", "root"}}}},
		{"group under a value", [][]att{
			{{"root", `{"chatbot":{"slack":{"@@assign":"y"}}}`}},
			{{"acct", `{"chatbot":{"slack":{"id":{"@@assign":"x"}}}}`}}},
			`{"chatbot":{"slack":"y"}}`,
			[]wantErr{{CodeTypeMismatch, "chatbot/slack/id", []string{"acct", "root"}}}},
		{"assign replaces a list with a value", [][]att{
			{{"root", `{"chatbot":{"ids":{"@@assign":["a"]}}}`}},
			{{"acct", `{"chatbot":{"ids":{"@@assign":"b"}}}`}}},
			`{"chatbot":{"ids":"b"}}`, nil},
	}
	runCompute(t, TypeChatbot, cases, nil)
}

// AI services opt-out examples of the user guide.
func TestAIOptOutExamples(t *testing.T) {
	ex1 := `{"services":{"@@operators_allowed_for_child_policies":["@@none"],"default":{"@@operators_allowed_for_child_policies":["@@none"],"opt_out_policy":{"@@operators_allowed_for_child_policies":["@@none"],"@@assign":"optOut"}}}}`
	ex2 := `{"services":{"default":{"@@operators_allowed_for_child_policies":["@@none"],"opt_out_policy":{"@@operators_allowed_for_child_policies":["@@none"],"@@assign":"optOut"}}}}`
	lex := `{"services":{"lex":{"opt_out_policy":{"@@assign":"optIn"}}}}`
	org := `{"services":{"default":{"opt_out_policy":{"@@assign":"optOut"}},"comprehend":{"opt_out_policy":{"@@operators_allowed_for_child_policies":["@@none"],"@@assign":"optOut"}},"rekognition":{"opt_out_policy":{"@@assign":"optIn"}}}}`
	cases := []computeCase{
		{"1 organization-wide lock", [][]att{{{"root", ex1}}, {{"acct", lex}}},
			`{"services":{"default":{"opt_out_policy":"optOut"}}}`,
			[]wantErr{{CodeOperatorNotAllowed, "services/lex", []string{"acct", "root"}}}},
		{"1 lock blocks changing the default", [][]att{{{"root", ex1}}, {{"acct", `{"services":{"default":{"opt_out_policy":{"@@assign":"optIn"}}}}`}}},
			`{"services":{"default":{"opt_out_policy":"optOut"}}}`,
			[]wantErr{{CodeOperatorNotAllowed, "services/default/opt_out_policy", []string{"acct", "root"}}}},
		{"2 default locked, services may be added", [][]att{{{"root", ex2}}, {{"acct", lex}}},
			`{"services":{"default":{"opt_out_policy":"optOut"},"lex":{"opt_out_policy":"optIn"}}}`, nil},
		{"3 comprehend locked, rekognition overridable", [][]att{{{"root", org}},
			{{"acct", `{"services":{"comprehend":{"opt_out_policy":{"@@assign":"optIn"}},"rekognition":{"opt_out_policy":{"@@assign":"optOut"}}}}`}}},
			`{"services":{"default":{"opt_out_policy":"optOut"},"comprehend":{"opt_out_policy":"optOut"},"rekognition":{"opt_out_policy":"optOut"}}}`,
			[]wantErr{{CodeOperatorNotAllowed, "services/comprehend/opt_out_policy", []string{"acct", "root"}}}},
	}
	runCompute(t, TypeAIServicesOptOut, cases, nil)
}

// Backup policy examples of the user guide, trimmed to the settings that
// exercise merging. Rule and selection names are case-insensitive
// identifiers and come out lower case, as the guide's output shows.
func TestBackupExamples(t *testing.T) {
	parent := `{"plans":{"PII_Backup_Plan":{"regions":{"@@append":["us-east-1","ap-northeast-3","eu-north-1"]},
"rules":{"Hourly":{"schedule_expression":{"@@assign":"cron(0 0/1 ? * * *)"},"start_backup_window_minutes":{"@@assign":"60"},"target_backup_vault_name":{"@@assign":"FortKnox"},
"lifecycle":{"move_to_cold_storage_after_days":{"@@assign":"28"},"delete_after_days":{"@@assign":"180"}}}},
"selections":{"tags":{"datatype":{"iam_role_arn":{"@@assign":"arn:aws:iam::$account:role/MyIamRole"},"tag_key":{"@@assign":"dataType"},"tag_value":{"@@assign":["PII","RED"]}}}}}}}`
	child := `{"plans":{"Monthly_Backup_Plan":{"regions":{"@@append":["us-east-1","eu-central-1"]},
"rules":{"Monthly":{"schedule_expression":{"@@assign":"cron(0 5 1 * ? *)"},"target_backup_vault_name":{"@@assign":"Default"}}},
"selections":{"tags":{"MonthlyDatatype":{"iam_role_arn":{"@@assign":"arn:aws:iam::$account:role/MyMonthlyBackupIamRole"},"tag_key":{"@@assign":"BackupType"},"tag_value":{"@@assign":["MONTHLY","RED"]}}}}}}}`
	parentOut := `"PII_Backup_Plan":{"regions":["us-east-1","ap-northeast-3","eu-north-1"],
"rules":{"hourly":{"schedule_expression":"cron(0 0/1 ? * * *)","start_backup_window_minutes":"60","target_backup_vault_name":"FortKnox",
"lifecycle":{"move_to_cold_storage_after_days":"28","delete_after_days":"180"}}},
"selections":{"tags":{"datatype":{"iam_role_arn":"arn:aws:iam::$account:role/MyIamRole","tag_key":"dataType","tag_value":["PII","RED"]}}}}`
	locked := `{"plans":{"@@operators_allowed_for_child_policies":["@@none"],"PII_Backup_Plan":{"@@operators_allowed_for_child_policies":["@@none"],
"regions":{"@@operators_allowed_for_child_policies":["@@none"],"@@append":["us-east-1"]},
"rules":{"@@operators_allowed_for_child_policies":["@@none"],"Hourly":{"@@operators_allowed_for_child_policies":["@@none"],"schedule_expression":{"@@operators_allowed_for_child_policies":["@@none"],"@@assign":"cron(0 0/1 ? * * *)"}}}}}}`
	appendPlans := strings.Replace(locked, `"plans":{"@@operators_allowed_for_child_policies":["@@none"]`, `"plans":{"@@operators_allowed_for_child_policies":["@@append"]`, 1)
	intruder := `{"plans":{"PII_Backup_Plan":{"regions":{"@@append":["eu-west-1"]},"rules":{"hourly":{"schedule_expression":{"@@assign":"cron(0 12 * * ? *)"}}}},
"Extra_Plan":{"regions":{"@@assign":["us-west-2"]}}}}`
	lockedOut := `{"plans":{"PII_Backup_Plan":{"regions":["us-east-1"],"rules":{"hourly":{"schedule_expression":"cron(0 0/1 ? * * *)"}}}`
	cases := []computeCase{
		{"1 single parent policy", [][]att{{{"parent", parent}}, nil}, `{"plans":{` + parentOut + `}}`, nil},
		{"2 parent and child plans merge", [][]att{{{"parent", parent}}, {{"child", child}}},
			`{"plans":{` + parentOut + `,"Monthly_Backup_Plan":{"regions":["us-east-1","eu-central-1"],
"rules":{"monthly":{"schedule_expression":"cron(0 5 1 * ? *)","target_backup_vault_name":"Default"}},
"selections":{"tags":{"monthlydatatype":{"iam_role_arn":"arn:aws:iam::$account:role/MyMonthlyBackupIamRole","tag_key":"BackupType","tag_value":["MONTHLY","RED"]}}}}}}`, nil},
		{"3 parent locks everything", [][]att{{{"parent", locked}}, {{"child", intruder}}},
			lockedOut + `}}`,
			[]wantErr{
				{CodeOperatorNotAllowed, "plans/PII_Backup_Plan/regions", []string{"child", "parent"}},
				{CodeOperatorNotAllowed, "plans/PII_Backup_Plan/rules/hourly/schedule_expression", []string{"child", "parent"}},
				{CodeOperatorNotAllowed, "plans/Extra_Plan", []string{"child", "parent"}},
			}},
		{"4 parent allows new plans only", [][]att{{{"parent", appendPlans}}, {{"child", intruder}}},
			lockedOut + `,"Extra_Plan":{"regions":["us-west-2"]}}}`,
			[]wantErr{
				{CodeOperatorNotAllowed, "plans/PII_Backup_Plan/regions", []string{"child", "parent"}},
				{CodeOperatorNotAllowed, "plans/PII_Backup_Plan/rules/hourly/schedule_expression", []string{"child", "parent"}},
			}},
	}
	runCompute(t, TypeBackup, cases, nil)
}

// Security Hub policies rely on empty lists: "@@append": [] must leave an
// empty list in the effective policy, not drop the setting.
func TestSecurityHubEmptyLists(t *testing.T) {
	root := `{"securityhub":{"enable_in_regions":{"@@append":["ALL_SUPPORTED"],"@@operators_allowed_for_child_policies":["@@all"]},"disable_in_regions":{"@@append":[],"@@operators_allowed_for_child_policies":["@@all"]}}}`
	acct := `{"securityhub":{"disable_in_regions":{"@@append":["us-west-2"]}}}`
	res, err := Compute(TypeSecurityHub, build(t, TypeSecurityHub, []att{{"root", root}}))
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, res.Content, `{"securityhub":{"enable_in_regions":["ALL_SUPPORTED"],"disable_in_regions":[]}}`)
	res, err = Compute(TypeSecurityHub, build(t, TypeSecurityHub, []att{{"root", root}}, []att{{"acct", acct}}))
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, res.Content, `{"securityhub":{"enable_in_regions":["ALL_SUPPORTED"],"disable_in_regions":["us-west-2"]}}`)
}

func TestResultDetails(t *testing.T) {
	levels := build(t, TypeDeclarativeEC2,
		[]att{{"p-root", `{"ec2_attributes":{"zeta":{"@@assign":"a<b&c"},"alpha":{"@@assign":3600},"on":{"@@assign":true}}}`}},
		[]att{{"p-unused", `{"ec2_attributes":{"gone":{"@@remove":["x"]}}}`}, {"p-ou", `{"ec2_attributes":{"alpha":{"@@assign":"7200"}}}`}},
	)
	res, err := Compute(TypeDeclarativeEC2, levels)
	if err != nil {
		t.Fatal(err)
	}
	// Keys keep first-seen order, numbers keep their text, and nothing is
	// HTML-escaped.
	if want := `{"ec2_attributes":{"zeta":"a<b&c","alpha":"7200","on":true}}`; res.Content != want {
		t.Fatalf("Content = %s, want %s", res.Content, want)
	}
	if want := []string{"p-root", "p-ou"}; !reflect.DeepEqual(res.Contributing, want) {
		t.Fatalf("Contributing = %v, want %v", res.Contributing, want)
	}
	// Computing twice gives the same answer: merging never writes into
	// the parsed documents.
	lv := build(t, TypeTag, []att{{"a", `{"tags":{"x":{"tag_value":{"@@assign":["1"]}}}}`}}, []att{{"b", `{"tags":{"x":{"tag_value":{"@@append":["2"]}}}}`}})
	first, _ := Compute(TypeTag, lv)
	second, _ := Compute(TypeTag, lv)
	if first.Content != second.Content || first.Content != `{"tags":{"x":{"tag_value":["1","2"]}}}` {
		t.Fatalf("first %s, second %s", first.Content, second.Content)
	}
	empty, err := Compute(TypeTag, nil)
	if err != nil || !empty.Empty || empty.Content != "{}" || len(empty.Contributing) != 0 {
		t.Fatalf("no levels: %+v, %v", empty, err)
	}
}

func TestComputeRejectsWrongInput(t *testing.T) {
	if _, err := Compute("SERVICE_CONTROL_POLICY", nil); err == nil {
		t.Error("SCP accepted")
	}
	tagLevels := build(t, TypeTag, []att{{"p", tagA}})
	if _, err := Compute(TypeBackup, tagLevels); err == nil {
		t.Error("tag policy merged as a backup policy")
	}
	if _, err := Compute(TypeTag, []Level{{Policies: []Policy{{ID: "p"}}}}); err == nil {
		t.Error("policy without a document accepted")
	}
}
