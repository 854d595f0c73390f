package policies

import (
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"text/template/parse"
)

// The templates are text/template's syntax, parsed by text/template/parse
// and executed here, for the subset they use: text, {{if}} / {{else}},
// {{range}} (with $i, $t := if wanted), fields of structs (.A, $.A, $t.A),
// string constants, parenthesised pipelines and the functions json, printf
// and and. text/template itself is not linked: its executor reaches
// reflect.Value.MethodByName, and with that reachable the linker keeps every
// exported method of every type in the binary (all of each AWS SDK
// client's operations), about 20 MB of xacct's size. TestRenderMatchesTextTemplate
// holds this executor to text/template's output.

// funcs are the templates' functions (text/template's and, printf, and
// xacct's json).
var funcs = map[string]any{"json": true, "printf": true, "and": true}

// parseTemplates parses every template file.
func parseTemplates() (map[string]*parse.Tree, error) {
	entries, err := files.ReadDir(".")
	if err != nil {
		return nil, err
	}
	out := map[string]*parse.Tree{}
	for _, e := range entries {
		b, err := files.ReadFile(e.Name())
		if err != nil {
			return nil, err
		}
		trees, err := parse.Parse(e.Name(), string(b), "", "", funcs)
		if err != nil {
			return nil, err
		}
		if len(trees) != 1 {
			return nil, fmt.Errorf("%s: {{define}} is not supported", e.Name())
		}
		out[e.Name()] = trees[e.Name()]
	}
	return out, nil
}

// state is one execution: the output, and the variables in scope ($ first).
type state struct {
	w    io.Writer
	vars []variable
}

type variable struct {
	name  string
	value reflect.Value
}

func execute(w io.Writer, t *parse.Tree, data any) error {
	v := reflect.ValueOf(data)
	s := &state{w: w, vars: []variable{{"$", v}}}
	return s.walk(v, t.Root)
}

func (s *state) walk(dot reflect.Value, n parse.Node) error {
	switch n := n.(type) {
	case *parse.ListNode:
		for _, c := range n.Nodes {
			if err := s.walk(dot, c); err != nil {
				return err
			}
		}
		return nil
	case *parse.TextNode:
		_, err := s.w.Write(n.Text)
		return err
	case *parse.CommentNode:
		return nil
	case *parse.ActionNode:
		if len(n.Pipe.Decl) > 0 {
			return fmt.Errorf("%s: variable declarations outside range are not supported", n)
		}
		v, err := s.pipeline(dot, n.Pipe)
		if err != nil {
			return err
		}
		_, err = fmt.Fprint(s.w, printable(v))
		return err
	case *parse.IfNode:
		v, err := s.pipeline(dot, n.Pipe)
		if err != nil {
			return err
		}
		if truth(v) {
			return s.walk(dot, n.List)
		}
		if n.ElseList != nil {
			return s.walk(dot, n.ElseList)
		}
		return nil
	case *parse.RangeNode:
		return s.walkRange(dot, n)
	}
	return fmt.Errorf("%s: %T is not supported by the policy templates' executor", n, n)
}

func (s *state) walkRange(dot reflect.Value, n *parse.RangeNode) error {
	pipe := *n.Pipe
	decl := pipe.Decl
	pipe.Decl = nil
	v, err := s.pipeline(dot, &pipe)
	if err != nil {
		return err
	}
	v = indirect(v)
	if v.IsValid() && v.Kind() != reflect.Slice && v.Kind() != reflect.Array {
		return fmt.Errorf("%s: range over %s is not supported", n, v.Kind())
	}
	if len(decl) > 2 {
		return fmt.Errorf("%s: too many range variables", n)
	}
	if !v.IsValid() || v.Len() == 0 {
		if n.ElseList != nil {
			return s.walk(dot, n.ElseList)
		}
		return nil
	}
	mark := len(s.vars)
	defer func() { s.vars = s.vars[:mark] }()
	for i := 0; i < v.Len(); i++ {
		s.vars = s.vars[:mark]
		elem := v.Index(i)
		switch len(decl) {
		case 1:
			s.vars = append(s.vars, variable{decl[0].Ident[0], elem})
		case 2:
			s.vars = append(s.vars, variable{decl[0].Ident[0], reflect.ValueOf(i)}, variable{decl[1].Ident[0], elem})
		}
		if err := s.walk(elem, n.List); err != nil {
			return err
		}
	}
	return nil
}

// pipeline evaluates cmd | cmd | ...: each command's result is the next
// one's last argument.
func (s *state) pipeline(dot reflect.Value, p *parse.PipeNode) (reflect.Value, error) {
	var final reflect.Value
	for i, c := range p.Cmds {
		v, err := s.command(dot, c, final, i > 0)
		if err != nil {
			return reflect.Value{}, err
		}
		final = v
	}
	return final, nil
}

func (s *state) command(dot reflect.Value, c *parse.CommandNode, final reflect.Value, hasFinal bool) (reflect.Value, error) {
	id, isFunc := c.Args[0].(*parse.IdentifierNode)
	if !isFunc {
		if len(c.Args) > 1 || hasFinal {
			return reflect.Value{}, fmt.Errorf("%s: can't give an argument to a non-function", c)
		}
		return s.arg(dot, c.Args[0])
	}
	if id.Ident == "and" {
		// and stops at its first false argument, as text/template's does.
		var v reflect.Value
		args := c.Args[1:]
		for i, a := range args {
			var err error
			if v, err = s.arg(dot, a); err != nil {
				return reflect.Value{}, err
			}
			if !truth(v) || (i == len(args)-1 && !hasFinal) {
				return v, nil
			}
		}
		if hasFinal {
			return final, nil
		}
		return reflect.Value{}, fmt.Errorf("%s: and needs an argument", c)
	}
	var args []any
	for _, a := range c.Args[1:] {
		v, err := s.arg(dot, a)
		if err != nil {
			return reflect.Value{}, err
		}
		args = append(args, printable(v))
	}
	if hasFinal {
		args = append(args, printable(final))
	}
	switch id.Ident {
	case "json":
		if len(args) != 1 {
			return reflect.Value{}, fmt.Errorf("%s: json takes one argument", c)
		}
		b, err := json.Marshal(args[0])
		if err != nil {
			return reflect.Value{}, fmt.Errorf("%s: %w", c, err)
		}
		return reflect.ValueOf(string(b)), nil
	case "printf":
		if len(args) == 0 {
			return reflect.Value{}, fmt.Errorf("%s: printf needs its format", c)
		}
		format, ok := args[0].(string)
		if !ok {
			return reflect.Value{}, fmt.Errorf("%s: printf's first argument is its format", c)
		}
		return reflect.ValueOf(fmt.Sprintf(format, args[1:]...)), nil
	}
	return reflect.Value{}, fmt.Errorf("%s: function %q not defined", c, id.Ident)
}

// arg evaluates one operand.
func (s *state) arg(dot reflect.Value, n parse.Node) (reflect.Value, error) {
	switch n := n.(type) {
	case *parse.DotNode:
		return dot, nil
	case *parse.StringNode:
		return reflect.ValueOf(n.Text), nil
	case *parse.FieldNode:
		return fields(dot, n.Ident, n)
	case *parse.VariableNode:
		v, err := s.variable(n.Ident[0])
		if err != nil {
			return reflect.Value{}, fmt.Errorf("%s: %w", n, err)
		}
		return fields(v, n.Ident[1:], n)
	case *parse.PipeNode:
		return s.pipeline(dot, n)
	}
	return reflect.Value{}, fmt.Errorf("%s: %T is not supported by the policy templates' executor", n, n)
}

func (s *state) variable(name string) (reflect.Value, error) {
	for i := len(s.vars) - 1; i >= 0; i-- {
		if s.vars[i].name == name {
			return s.vars[i].value, nil
		}
	}
	return reflect.Value{}, fmt.Errorf("undefined variable %s", name)
}

// fields follows .A.B from v: exported struct fields only (the templates'
// data are plain structs).
func fields(v reflect.Value, path []string, n parse.Node) (reflect.Value, error) {
	for _, name := range path {
		v = indirect(v)
		if !v.IsValid() || v.Kind() != reflect.Struct {
			return reflect.Value{}, fmt.Errorf("%s: can't evaluate field %s in a %s", n, name, v.Kind())
		}
		f, ok := v.Type().FieldByName(name)
		if !ok || !f.IsExported() {
			return reflect.Value{}, fmt.Errorf("%s: can't evaluate field %s in type %s", n, name, v.Type())
		}
		v = v.FieldByIndex(f.Index)
	}
	return v, nil
}

func indirect(v reflect.Value) reflect.Value {
	for v.IsValid() && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) {
		if v.IsNil() {
			return reflect.Value{}
		}
		v = v.Elem()
	}
	return v
}

// truth is text/template's: the zero value, an empty string, slice or map
// and a nil pointer are false.
func truth(v reflect.Value) bool {
	if !v.IsValid() {
		return false
	}
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() > 0
	case reflect.Bool:
		return v.Bool()
	case reflect.Pointer, reflect.Interface, reflect.Func, reflect.Chan:
		return !v.IsNil()
	case reflect.Struct:
		return true
	}
	return !v.IsZero()
}

func printable(v reflect.Value) any {
	if !v.IsValid() {
		return nil
	}
	return v.Interface()
}
