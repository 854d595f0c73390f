package iampolicy

// Holds decides the condition alone, as the policy engine does, for a
// request whose context gives its key the values given (nil: the key is
// absent). Policy variables are not substituted: a value holding one is
// compared as written.
func (c *Condition) Holds(values []string) bool {
	ec := &evalContext{keys: map[string][]string{}}
	if values != nil {
		ec.keys[c.lowerKey] = values
	}
	return c.eval(ec)
}
