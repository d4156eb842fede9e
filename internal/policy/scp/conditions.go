package scp

import "encoding/json"

// Cond is one compiled operator/key pair of a Condition element, for the
// other policy languages that share IAM's condition operators (the
// Organizations delegation policy). Callers decide which keys they can
// supply; Eval applies IAM's rules for keys absent from the context.
type Cond struct {
	c condition
}

// ParseConditions compiles a Condition element. Policy variables in the
// values are expanded at evaluation, as under the 2012-10-17 language.
// Errors are *ValidationError.
func ParseConditions(raw json.RawMessage) ([]Cond, error) {
	cs, err := parseConditionBlock(raw, true)
	if err != nil {
		return nil, err
	}
	out := make([]Cond, len(cs))
	for i := range cs {
		out[i] = Cond{cs[i]}
	}
	return out, nil
}

// Condition is the pair as written.
func (c *Cond) Condition() Condition { return c.c.Condition }

// Variables lists the keys (lower case) of the policy variables the
// values use: evaluating the condition needs them as well as its key.
func (c *Cond) Variables() []string {
	var keys []string
	for _, v := range c.c.vals {
		if v.tmpl == nil {
			continue
		}
		for _, p := range v.tmpl.parts {
			if p.key != "" {
				keys = append(keys, p.key)
			}
		}
	}
	return keys
}

// Eval reports whether the condition holds for a request whose condition
// keys (names case-insensitive) are those of ctx.
func (c *Cond) Eval(ctx map[string][]string) bool {
	ev := evaluator{ctx: ctx}
	return c.c.eval(&ev)
}
