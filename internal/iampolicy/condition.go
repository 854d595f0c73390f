package iampolicy

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

type baseOp int

const (
	opStringEquals baseOp = iota + 1
	opStringEqualsIgnoreCase
	opStringLike
	opNumeric
	opDate
	opBool
	opBinary
	opIP
	opARN
	opNull
)

type cmpOp int

const (
	cmpEq cmpOp = iota
	cmpLt
	cmpLe
	cmpGt
	cmpGe
)

type setQual int

const (
	qualNone setQual = iota
	qualAllValues
	qualAnyValue
)

// condOp is a parsed condition operator: a positive base operator, whether
// it is negated, its set qualifier and IfExists.
type condOp struct {
	base     baseOp
	cmp      cmpOp
	negated  bool
	ifExists bool
	qual     setQual
}

type opSpec struct {
	base    baseOp
	cmp     cmpOp
	negated bool
}

var operators = map[string]opSpec{
	"StringEquals":              {base: opStringEquals},
	"StringNotEquals":           {base: opStringEquals, negated: true},
	"StringEqualsIgnoreCase":    {base: opStringEqualsIgnoreCase},
	"StringNotEqualsIgnoreCase": {base: opStringEqualsIgnoreCase, negated: true},
	"StringLike":                {base: opStringLike},
	"StringNotLike":             {base: opStringLike, negated: true},
	"NumericEquals":             {base: opNumeric},
	"NumericNotEquals":          {base: opNumeric, negated: true},
	"NumericLessThan":           {base: opNumeric, cmp: cmpLt},
	"NumericLessThanEquals":     {base: opNumeric, cmp: cmpLe},
	"NumericGreaterThan":        {base: opNumeric, cmp: cmpGt},
	"NumericGreaterThanEquals":  {base: opNumeric, cmp: cmpGe},
	"DateEquals":                {base: opDate},
	"DateNotEquals":             {base: opDate, negated: true},
	"DateLessThan":              {base: opDate, cmp: cmpLt},
	"DateLessThanEquals":        {base: opDate, cmp: cmpLe},
	"DateGreaterThan":           {base: opDate, cmp: cmpGt},
	"DateGreaterThanEquals":     {base: opDate, cmp: cmpGe},
	"Bool":                      {base: opBool},
	"BinaryEquals":              {base: opBinary},
	"IpAddress":                 {base: opIP},
	"NotIpAddress":              {base: opIP, negated: true},
	"ArnEquals":                 {base: opARN},
	"ArnLike":                   {base: opARN},
	"ArnNotEquals":              {base: opARN, negated: true},
	"ArnNotLike":                {base: opARN, negated: true},
	"Null":                      {base: opNull},
}

func parseOperator(name string) (condOp, error) {
	var op condOp
	rest := name
	switch {
	case strings.HasPrefix(rest, "ForAllValues:"):
		op.qual, rest = qualAllValues, strings.TrimPrefix(rest, "ForAllValues:")
	case strings.HasPrefix(rest, "ForAnyValue:"):
		op.qual, rest = qualAnyValue, strings.TrimPrefix(rest, "ForAnyValue:")
	}
	if strings.HasSuffix(rest, "IfExists") {
		op.ifExists, rest = true, strings.TrimSuffix(rest, "IfExists")
	}
	spec, ok := operators[rest]
	if !ok || (spec.base == opNull && (op.ifExists || op.qual != qualNone)) {
		return op, fmt.Errorf("unknown condition operator %q", name)
	}
	op.base, op.cmp, op.negated = spec.base, spec.cmp, spec.negated
	return op, nil
}

// takesVariables reports whether policy variables are substituted in the
// operator's values (string and ARN comparisons, as on AWS).
func (op condOp) takesVariables() bool {
	switch op.base {
	case opStringEquals, opStringEqualsIgnoreCase, opStringLike, opARN:
		return true
	}
	return false
}

func parseConditions(raw json.RawMessage, vars bool) ([]Condition, error) {
	var ops map[string]json.RawMessage
	if firstByte(raw) != '{' || json.Unmarshal(raw, &ops) != nil {
		return nil, fmt.Errorf("must be an object of condition operators")
	}
	// An empty Condition, or an operator with no keys, constrains nothing;
	// IAM accepts both.
	var out []Condition
	for _, name := range slices.Sorted(maps.Keys(ops)) {
		op, err := parseOperator(name)
		if err != nil {
			return nil, err
		}
		var keys map[string]json.RawMessage
		if firstByte(ops[name]) != '{' || json.Unmarshal(ops[name], &keys) != nil {
			return nil, fmt.Errorf("%s: must be an object of condition keys", name)
		}
		for _, key := range slices.Sorted(maps.Keys(keys)) {
			if key == "" {
				return nil, fmt.Errorf("%s: empty condition key", name)
			}
			vals, err := scalarList(keys[key])
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %v", name, key, err)
			}
			c := Condition{Operator: name, Key: key, Values: vals, op: op, lowerKey: strings.ToLower(key)}
			for _, v := range vals {
				if vars && op.takesVariables() && strings.Contains(v, "${") {
					if err := checkVariables(v); err != nil {
						return nil, fmt.Errorf("%s: %s: %q: %v", name, key, v, err)
					}
					c.hasVars = true
					continue
				}
				if err := checkValue(op, v); err != nil {
					return nil, fmt.Errorf("%s: %s: %v", name, key, err)
				}
			}
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Operator != out[j].Operator {
			return out[i].Operator < out[j].Operator
		}
		return out[i].Key < out[j].Key
	})
	return out, nil
}

// checkValue rejects a policy value its operator can never compare.
func checkValue(op condOp, v string) error {
	switch op.base {
	case opNumeric:
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return fmt.Errorf("%q is not a number", v)
		}
	case opDate:
		if _, ok := parseDate(v); !ok {
			return fmt.Errorf("%q is not a date (ISO 8601 or epoch seconds)", v)
		}
	case opBool, opNull:
		if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
			return fmt.Errorf("%q is neither true nor false", v)
		}
	case opIP:
		if _, ok := parsePrefix(v); !ok {
			return fmt.Errorf("%q is not an IP address or CIDR block", v)
		}
	case opBinary:
		if _, err := base64.StdEncoding.DecodeString(v); err != nil {
			return fmt.Errorf("%q is not base64", v)
		}
	}
	return nil
}

var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04Z0700",
	"2006-01-02T15:04",
	"2006-01-02",
}

func parseDate(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
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

func parsePrefix(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}

// eval decides the condition against the request context. The rules are
// AWS's (Condition element, condition operators, multivalued context keys):
//   - several policy values are ORed; for a negated operator they are NORed;
//   - a key missing from the request makes a positive operator false and a
//     negated one true, except that ...IfExists is true and Null tests the
//     absence itself;
//   - ForAnyValue: true if some request value matches; false when the key is
//     missing. ForAllValues: true if every request value matches; true when
//     the key is missing. With a negated operator "matches" means "matches
//     none of the policy values";
//   - a multivalued key under an operator with no set qualifier is treated as
//     ForAnyValue for a positive operator, and as its negation for a negated
//     one (AWS documents set qualifiers as required there).
func (c *Condition) eval(ec *evalContext) bool {
	vals, present := ec.lookup(c.lowerKey)
	present = present && len(vals) > 0
	if c.op.base == opNull {
		want := strings.EqualFold(c.Values[0], "true")
		for _, v := range c.Values[1:] {
			if strings.EqualFold(v, "true") != want {
				// Both true and false: one of them always holds.
				return true
			}
		}
		return want != present
	}
	if !present {
		if c.op.ifExists {
			return true
		}
		switch c.op.qual {
		case qualAllValues:
			return true
		case qualAnyValue:
			return false
		}
		return c.op.negated
	}
	pvals := c.Values
	esc := false
	if c.hasVars && ec.vars {
		esc = c.op.base == opStringLike || c.op.base == opARN
		pvals = make([]string, 0, len(c.Values))
		for _, v := range c.Values {
			if s, ok := substitute(v, ec, esc); ok {
				pvals = append(pvals, s)
			}
		}
	}
	anyMatch := func(v string) bool {
		for _, pv := range pvals {
			if c.op.matchValue(pv, v, esc) {
				return true
			}
		}
		return false
	}
	switch c.op.qual {
	case qualAnyValue:
		for _, v := range vals {
			if anyMatch(v) != c.op.negated {
				return true
			}
		}
		return false
	case qualAllValues:
		for _, v := range vals {
			if anyMatch(v) == c.op.negated {
				return false
			}
		}
		return true
	}
	for _, v := range vals {
		if anyMatch(v) {
			return !c.op.negated
		}
	}
	return c.op.negated
}

// matchValue is the positive base operator on one policy value and one
// request value.
func (op condOp) matchValue(pv, v string, esc bool) bool {
	switch op.base {
	case opStringEquals:
		return pv == v
	case opStringEqualsIgnoreCase:
		return strings.EqualFold(pv, v)
	case opStringLike:
		return globMatch(pv, v, false, esc)
	case opARN:
		return matchARN(pv, v, esc)
	case opBool:
		return strings.EqualFold(pv, v)
	case opBinary:
		return pv == v
	case opNumeric:
		a, err1 := strconv.ParseFloat(v, 64)
		b, err2 := strconv.ParseFloat(pv, 64)
		return err1 == nil && err2 == nil && compare(op.cmp, cmpFloat(a, b))
	case opDate:
		a, ok1 := parseDate(v)
		b, ok2 := parseDate(pv)
		return ok1 && ok2 && compare(op.cmp, a.Compare(b))
	case opIP:
		p, ok := parsePrefix(pv)
		if !ok {
			return false
		}
		a, err := netip.ParseAddr(v)
		return err == nil && p.Contains(a.Unmap())
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compare applies cmp to the sign of (request value - policy value).
func compare(cmp cmpOp, sign int) bool {
	switch cmp {
	case cmpEq:
		return sign == 0
	case cmpLt:
		return sign < 0
	case cmpLe:
		return sign <= 0
	case cmpGt:
		return sign > 0
	case cmpGe:
		return sign >= 0
	}
	return false
}
