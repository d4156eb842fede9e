package scp

import (
	"encoding/json"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Condition is one operator/key pair of a statement's Condition block as
// written, kept for explanations and tests.
type Condition struct {
	Operator string // e.g. "ForAnyValue:StringLikeIfExists"
	Key      string
	Values   []string
}

// baseOp is the positive form of an operator; negated operators evaluate
// the positive form and invert it, so "not equal to any value" falls out
// of the same code as "equal to one of the values".
type baseOp uint8

const (
	opStringEquals baseOp = iota + 1
	opStringEqualsIgnoreCase
	opStringLike
	opNumericEquals
	opNumericLessThan
	opNumericLessThanEquals
	opNumericGreaterThan
	opNumericGreaterThanEquals
	opDateEquals
	opDateLessThan
	opDateLessThanEquals
	opDateGreaterThan
	opDateGreaterThanEquals
	opBool
	opBinaryEquals
	opIPAddress
	opArnLike
	opNull
)

type opSpec struct {
	base    baseOp
	negated bool
}

var operators = map[string]opSpec{
	"StringEquals":              {opStringEquals, false},
	"StringNotEquals":           {opStringEquals, true},
	"StringEqualsIgnoreCase":    {opStringEqualsIgnoreCase, false},
	"StringNotEqualsIgnoreCase": {opStringEqualsIgnoreCase, true},
	"StringLike":                {opStringLike, false},
	"StringNotLike":             {opStringLike, true},
	"NumericEquals":             {opNumericEquals, false},
	"NumericNotEquals":          {opNumericEquals, true},
	"NumericLessThan":           {opNumericLessThan, false},
	"NumericLessThanEquals":     {opNumericLessThanEquals, false},
	"NumericGreaterThan":        {opNumericGreaterThan, false},
	"NumericGreaterThanEquals":  {opNumericGreaterThanEquals, false},
	"DateEquals":                {opDateEquals, false},
	"DateNotEquals":             {opDateEquals, true},
	"DateLessThan":              {opDateLessThan, false},
	"DateLessThanEquals":        {opDateLessThanEquals, false},
	"DateGreaterThan":           {opDateGreaterThan, false},
	"DateGreaterThanEquals":     {opDateGreaterThanEquals, false},
	"Bool":                      {opBool, false},
	"BinaryEquals":              {opBinaryEquals, false},
	"IpAddress":                 {opIPAddress, false},
	"NotIpAddress":              {opIPAddress, true},
	"ArnEquals":                 {opArnLike, false}, // IAM treats ArnEquals and ArnLike alike
	"ArnLike":                   {opArnLike, false},
	"ArnNotEquals":              {opArnLike, true},
	"ArnNotLike":                {opArnLike, true},
	"Null":                      {opNull, false},
}

type setQual uint8

const (
	qualNone setQual = iota
	qualAny          // ForAnyValue:
	qualAll          // ForAllValues:
)

type condition struct {
	Condition
	base     baseOp
	negated  bool
	ifExists bool
	qual     setQual
	vals     []condValue
}

// condValue is one policy value, parsed for its operator once.
type condValue struct {
	raw  string
	tmpl *template
	m    matcher    // StringLike
	arn  [6]matcher // ArnLike, one per ARN component
	arnN int        // components in the pattern; fewer than 6 never match
	num  float64
	t    time.Time
	pfx  netip.Prefix
	b    bool
}

func parseConditionBlock(raw json.RawMessage, vars bool) ([]condition, error) {
	var block map[string]json.RawMessage
	if err := json.Unmarshal(raw, &block); err != nil || block == nil {
		return nil, invalid("Condition must be an object of operators")
	}
	var out []condition
	for _, opName := range sortedKeys(block) {
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(block[opName], &keys); err != nil || keys == nil {
			return nil, invalid("condition operator %s must map keys to values", opName)
		}
		if len(keys) == 0 {
			return nil, invalid("condition operator %s has no keys", opName)
		}
		for _, key := range sortedKeys(keys) {
			c, err := parseCondition(opName, key, keys[key], vars)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
	}
	return out, nil
}

func parseCondition(opName, key string, raw json.RawMessage, vars bool) (condition, error) {
	c := condition{Condition: Condition{Operator: opName, Key: key}}
	name := opName
	if q, rest, ok := strings.Cut(name, ":"); ok {
		switch q {
		case "ForAnyValue":
			c.qual = qualAny
		case "ForAllValues":
			c.qual = qualAll
		default:
			return c, invalid("unknown condition set qualifier %q", q)
		}
		name = rest
	}
	if base, ok := strings.CutSuffix(name, "IfExists"); ok {
		c.ifExists, name = true, base
	}
	spec, ok := operators[name]
	if !ok {
		return c, invalid("unknown condition operator %q", opName)
	}
	c.base, c.negated = spec.base, spec.negated
	if c.base == opNull && (c.ifExists || c.qual != qualNone) {
		return c, invalid("condition operator %q is not valid", opName)
	}
	if strings.TrimSpace(key) == "" {
		return c, invalid("condition key must not be empty")
	}
	vals, err := conditionValues(raw)
	if err != nil {
		return c, invalid("condition %s %s: %s", opName, key, err.(*ValidationError).Message)
	}
	c.Values = vals
	for _, v := range vals {
		cv, err := compileValue(c.base, v, vars)
		if err != nil {
			return c, invalid("condition %s %s: %s", opName, key, err.(*ValidationError).Message)
		}
		c.vals = append(c.vals, cv)
	}
	return c, nil
}

// conditionValues accepts what IAM accepts: a string, number or boolean,
// or a non-empty array of them, all compared as strings.
func conditionValues(raw json.RawMessage) ([]string, error) {
	var any interface{}
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	if err := d.Decode(&any); err != nil {
		return nil, invalid("bad value")
	}
	scalar := func(v interface{}) (string, bool) {
		switch t := v.(type) {
		case string:
			return t, true
		case json.Number:
			return t.String(), true
		case bool:
			return strconv.FormatBool(t), true
		}
		return "", false
	}
	if s, ok := scalar(any); ok {
		return []string{s}, nil
	}
	list, ok := any.([]interface{})
	if !ok || len(list) == 0 {
		return nil, invalid("values must be a string, number, boolean or a non-empty array of them")
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		s, ok := scalar(v)
		if !ok {
			return nil, invalid("values must be a string, number, boolean or a non-empty array of them")
		}
		out = append(out, s)
	}
	return out, nil
}

func compileValue(op baseOp, v string, vars bool) (condValue, error) {
	cv := condValue{raw: v}
	switch op {
	case opStringEquals, opStringEqualsIgnoreCase, opStringLike, opArnLike:
		// Policy variables are only expanded for string and ARN operators,
		// and only under the 2012-10-17 language version.
		if vars {
			t, err := parseTemplate(v)
			if err != nil {
				return cv, err
			}
			cv.tmpl = t
		}
		if op == opStringLike {
			cv.m = compileMatcher(v, false)
		}
		if op == opArnLike {
			parts := strings.SplitN(v, ":", 6)
			cv.arnN = len(parts)
			for i, p := range parts {
				cv.arn[i] = compileMatcher(p, false)
			}
		}
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return cv, invalid("%q is not a number", v)
		}
		cv.num = f
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		t, ok := parseDate(v)
		if !ok {
			return cv, invalid("%q is not a date", v)
		}
		cv.t = t
	case opBool, opNull:
		b, ok := parseBool(v)
		if !ok {
			return cv, invalid("%q is not true or false", v)
		}
		cv.b = b
	case opIPAddress:
		p, ok := parseIP(v)
		if !ok {
			return cv, invalid("%q is not an IP address or CIDR block", v)
		}
		cv.pfx = p
	case opBinaryEquals:
	}
	return cv, nil
}

// parseBool accepts only the words true and false, in any case; IAM does
// not read 1, t or yes as booleans.
func parseBool(v string) (bool, bool) {
	switch {
	case strings.EqualFold(v, "true"):
		return true, true
	case strings.EqualFold(v, "false"):
		return false, true
	}
	return false, false
}

func parseIP(v string) (netip.Prefix, bool) {
	if p, err := netip.ParsePrefix(v); err == nil {
		return p.Masked(), true
	}
	if a, err := netip.ParseAddr(v); err == nil {
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	return netip.Prefix{}, false
}

var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02",
}

// parseDate takes the ISO 8601 forms and the epoch seconds IAM accepts.
func parseDate(s string) (time.Time, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), true
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// eval applies IAM's rules for absent keys: a positive operator fails, a
// negated one holds, ...IfExists holds, ForAllValues holds (an empty set
// satisfies "all") and ForAnyValue fails.
func (c *condition) eval(ev *evaluator) bool {
	vals, present := ev.lookup(c.Key)
	if c.base == opNull {
		for i := range c.vals {
			if present != c.vals[i].b {
				return true
			}
		}
		return false
	}
	if !present {
		if c.ifExists {
			return true
		}
		switch c.qual {
		case qualAll:
			return true
		case qualAny:
			return false
		}
		return c.negated
	}
	switch c.qual {
	case qualAny:
		for _, rv := range vals {
			if c.matchesAny(ev, rv) != c.negated {
				return true
			}
		}
		return false
	case qualAll:
		for _, rv := range vals {
			if c.matchesAny(ev, rv) == c.negated {
				return false
			}
		}
		return true
	}
	for _, rv := range vals {
		if c.matchesAny(ev, rv) {
			return !c.negated
		}
	}
	return c.negated
}

// matchesAny reports whether request value rv satisfies the positive
// operator against at least one policy value; the request value is parsed
// once for the typed operators.
func (c *condition) matchesAny(ev *evaluator, rv string) bool {
	switch c.base {
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		f, err := strconv.ParseFloat(rv, 64)
		if err != nil {
			return false
		}
		for i := range c.vals {
			if cmpOK(c.base-opNumericEquals, compareFloat(f, c.vals[i].num)) {
				return true
			}
		}
		return false
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		t, ok := parseDate(rv)
		if !ok {
			return false
		}
		for i := range c.vals {
			if cmpOK(c.base-opDateEquals, t.Compare(c.vals[i].t)) {
				return true
			}
		}
		return false
	case opIPAddress:
		a, err := netip.ParseAddr(rv)
		if err != nil {
			return false
		}
		for i := range c.vals {
			if c.vals[i].pfx.Contains(a) {
				return true
			}
		}
		return false
	case opBool:
		b, ok := parseBool(rv)
		if !ok {
			return false
		}
		for i := range c.vals {
			if c.vals[i].b == b {
				return true
			}
		}
		return false
	}
	for i := range c.vals {
		if c.stringMatch(ev, rv, &c.vals[i]) {
			return true
		}
	}
	return false
}

func (c *condition) stringMatch(ev *evaluator, rv string, pv *condValue) bool {
	if pv.tmpl != nil {
		pattern := c.base == opStringLike || c.base == opArnLike
		v, ok := pv.tmpl.resolve(ev, pattern)
		if !ok {
			return false
		}
		switch c.base {
		case opStringEquals, opBinaryEquals:
			return rv == v
		case opStringEqualsIgnoreCase:
			return strings.EqualFold(rv, v)
		case opStringLike:
			return glob(v, rv, false, true)
		case opArnLike:
			return arnMatchDynamic(v, rv)
		}
		return false
	}
	switch c.base {
	case opStringEquals, opBinaryEquals:
		return rv == pv.raw
	case opStringEqualsIgnoreCase:
		return strings.EqualFold(rv, pv.raw)
	case opStringLike:
		return pv.m.match(rv)
	case opArnLike:
		return arnMatch(pv, rv)
	}
	return false
}

// arnMatch compares the six colon-separated ARN components separately, as
// IAM documents for the ARN operators, so a wildcard in the region cannot
// swallow the account.
func arnMatch(pv *condValue, rv string) bool {
	if pv.arnN == 1 && pv.arn[0].kind == matchAll {
		return true
	}
	if pv.arnN < 6 {
		return false
	}
	for i := 0; i < 5; i++ {
		j := strings.IndexByte(rv, ':')
		if j < 0 {
			return false
		}
		if !pv.arn[i].match(rv[:j]) {
			return false
		}
		rv = rv[j+1:]
	}
	return pv.arn[5].match(rv)
}

func arnMatchDynamic(pattern, rv string) bool {
	if pattern == "*" {
		return true
	}
	pp := strings.SplitN(pattern, ":", 6)
	vp := strings.SplitN(rv, ":", 6)
	if len(pp) < 6 || len(vp) < 6 {
		return false
	}
	for i := range pp {
		if !glob(pp[i], vp[i], false, true) {
			return false
		}
	}
	return true
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// cmpOK maps the offset of an operator within its Equals/LessThan/...
// family onto the comparison result.
func cmpOK(rel baseOp, cmp int) bool {
	switch rel {
	case 0:
		return cmp == 0
	case 1:
		return cmp < 0
	case 2:
		return cmp <= 0
	case 3:
		return cmp > 0
	case 4:
		return cmp >= 0
	}
	return false
}
