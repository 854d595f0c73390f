package sandbox

import (
	"fmt"
	"net/url"
	"regexp"
	"unicode/utf8"
)

// iamParamRule is how IAM constrains one request parameter.
type iamParamRule struct {
	member  string // the name IAM's message uses
	min     int
	max     int
	pattern string // IAM's own notation, shown in the message
	re      *regexp.Regexp
}

var (
	iamNamePattern = `[\w+=,.@-]+`
	iamNameRE      = regexp.MustCompile(`^[\w+=,.@-]+$`)
	iamPathRE      = regexp.MustCompile(`^(/|/[\x{21}-\x{7E}]+/)$`)
	iamPrefixRE    = regexp.MustCompile(`^/[\x{21}-\x{7F}]*$`)
)

func nameRule(member string, max int) iamParamRule {
	return iamParamRule{member: member, min: 1, max: max, pattern: iamNamePattern, re: iamNameRE}
}

// iamParamRules are IAM's rules for the parameters that name things; a
// parameter absent from the request is not checked here.
var iamParamRules = map[string]iamParamRule{
	"UserName":     nameRule("userName", 128),
	"NewUserName":  nameRule("newUserName", 64),
	"RoleName":     nameRule("roleName", 64),
	"GroupName":    nameRule("groupName", 128),
	"NewGroupName": nameRule("newGroupName", 128),
	"PolicyName":   nameRule("policyName", 128),
	"Path":         {member: "path", min: 1, max: 512, pattern: `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`, re: iamPathRE},
	"NewPath":      {member: "newPath", min: 1, max: 512, pattern: `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`, re: iamPathRE},
	"PathPrefix":   {member: "pathPrefix", min: 1, max: 512, pattern: `\u002F[\u0021-\u007F]*`, re: iamPrefixRE},
}

// iamCreateMax is the shorter limit some names have where they are created.
var iamCreateMax = map[string]map[string]int{
	"CreateUser": {"UserName": 64},
}

// validateIAM checks the parameters that name users, roles, groups,
// policies and paths as IAM does, before anything reaches kumo; it returns
// IAM's ValidationError message, or "".
func validateIAM(action string, form url.Values) string {
	for _, param := range []string{"UserName", "NewUserName", "RoleName", "GroupName", "NewGroupName", "PolicyName", "Path", "NewPath", "PathPrefix"} {
		if !form.Has(param) {
			continue
		}
		rule := iamParamRules[param]
		if m := iamCreateMax[action][param]; m > 0 {
			rule.max = m
		}
		v := form.Get(param)
		n := utf8.RuneCountInString(v)
		switch {
		case n < rule.min:
			return fmt.Sprintf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length greater than or equal to %d", v, rule.member, rule.min)
		case n > rule.max:
			return fmt.Sprintf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", v, rule.member, rule.max)
		case !rule.re.MatchString(v):
			return fmt.Sprintf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", v, rule.member, rule.pattern)
		}
	}
	return ""
}
