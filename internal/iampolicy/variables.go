package iampolicy

import (
	"fmt"
	"strings"
)

// Policy variables (${aws:username}, ${aws:PrincipalTag/team, 'none'}, ${*})
// are substituted in Resource, NotResource and string and ARN condition values
// of documents whose Version is 2012-10-17; under 2008-10-17 they are plain
// text, as on AWS.

// checkVariables rejects a malformed variable reference.
func checkVariables(s string) error {
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return nil
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return fmt.Errorf("policy variable not closed with '}'")
		}
		key, _, hasDef, err := splitVariable(s[i+2 : i+j])
		if err != nil {
			return err
		}
		if key == "" && !hasDef {
			return fmt.Errorf("empty policy variable")
		}
		s = s[i+j+1:]
	}
}

// splitVariable splits the inside of ${...} into its key and its default
// value: "aws:username, 'guest'".
func splitVariable(in string) (key, def string, hasDef bool, err error) {
	key, rest, found := strings.Cut(in, ",")
	key = strings.TrimSpace(key)
	if !found {
		return key, "", false, nil
	}
	rest = strings.TrimSpace(rest)
	if len(rest) < 2 || rest[0] != '\'' || rest[len(rest)-1] != '\'' {
		return "", "", false, fmt.Errorf("policy variable default %q must be in single quotes", rest)
	}
	return key, rest[1 : len(rest)-1], true, nil
}

// substitute replaces the variables in s from the request context. It
// reports false when a variable has no value (missing, or a multivalued key)
// and no default: such a value matches nothing. With esc, the result is a
// pattern for globMatch(…, esc=true): the text around the variables keeps its
// wildcards, and everything substituted is literal.
func substitute(s string, ec *evalContext, esc bool) (string, bool) {
	var b strings.Builder
	lit := func(t string) {
		if !esc {
			b.WriteString(t)
			return
		}
		for i := 0; i < len(t); i++ {
			if t[i] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(t[i])
		}
	}
	value := func(t string) {
		if !esc {
			b.WriteString(t)
			return
		}
		for i := 0; i < len(t); i++ {
			if t[i] == '\\' || t[i] == '*' || t[i] == '?' {
				b.WriteByte('\\')
			}
			b.WriteByte(t[i])
		}
	}
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			lit(s)
			return b.String(), true
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			lit(s)
			return b.String(), true
		}
		lit(s[:i])
		key, def, hasDef, err := splitVariable(s[i+2 : i+j])
		if err != nil {
			return "", false
		}
		switch key {
		case "*", "?", "$":
			value(key)
		default:
			vals, ok := ec.lookup(strings.ToLower(key))
			switch {
			case ok && len(vals) == 1:
				value(vals[0])
			case hasDef && len(vals) == 0:
				value(def)
			default:
				return "", false
			}
		}
		s = s[i+j+1:]
	}
}
