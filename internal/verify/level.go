package verify

import "github.com/xacct/xacct/internal/config"

// accessLevel is an action's access level in the Service Authorization
// Reference (List, Read, Write, Permissions management, Tagging).
func accessLevel(action string) string { return config.ActionAccessLevel(action) }
