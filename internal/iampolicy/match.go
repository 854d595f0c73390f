package iampolicy

import "strings"

// globMatch reports whether s matches pattern, where '*' matches any run of
// characters (also none) and '?' exactly one. With fold, ASCII letters match
// whatever their case. With esc, a backslash makes the next pattern
// character literal: substituted policy variables are escaped that way so
// that a "*" coming from a request value or from ${*} is not a wildcard.
func globMatch(pattern, s string, fold, esc bool) bool {
	p, i := 0, 0
	starP, starI := -1, 0
	for i < len(s) {
		if p < len(pattern) {
			c := pattern[p]
			switch {
			case c == '*':
				starP, starI = p, i
				p++
				continue
			case c == '?':
				p++
				i++
				continue
			case c == '\\' && esc && p+1 < len(pattern):
				if sameByte(pattern[p+1], s[i], fold) {
					p += 2
					i++
					continue
				}
			default:
				if sameByte(c, s[i], fold) {
					p++
					i++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starI++
		p, i = starP+1, starI
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

func sameByte(a, b byte, fold bool) bool {
	if a == b {
		return true
	}
	if !fold {
		return false
	}
	if 'A' <= a && a <= 'Z' {
		a += 'a' - 'A'
	}
	if 'A' <= b && b <= 'Z' {
		b += 'a' - 'A'
	}
	return a == b
}

// matchAction matches an action name against a policy's action pattern:
// case-insensitive, with '*' and '?'.
func matchAction(pattern, action string) bool {
	if pattern == "*" {
		return true
	}
	return globMatch(pattern, action, true, false)
}

// matchARN matches an ARN against an ARN pattern, case-sensitively, segment
// by segment (arn:partition:service:region:account:resource). A wildcard stays
// inside its segment, except that a pattern whose last segment ends in '*' and
// that has fewer segments than the ARN matches the rest of the ARN: that is
// how "arn:aws:iam::*" covers every IAM ARN. The resource segment is matched
// whole, colons and slashes included. A value that is not an ARN is matched
// against the whole pattern.
func matchARN(pattern, value string, esc bool) bool {
	if pattern == "*" {
		return true
	}
	if strings.Count(value, ":") < 5 {
		return globMatch(pattern, value, false, esc)
	}
	for seg := 0; seg < 5; seg++ {
		i := strings.IndexByte(pattern, ':')
		if i < 0 {
			return strings.HasSuffix(pattern, "*") && globMatch(pattern, value, false, esc)
		}
		j := strings.IndexByte(value, ':')
		if !globMatch(pattern[:i], value[:j], false, esc) {
			return false
		}
		pattern, value = pattern[i+1:], value[j+1:]
	}
	return globMatch(pattern, value, false, esc)
}
