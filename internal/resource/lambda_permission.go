package resource

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/xacct/xacct/internal/iampolicy"
)

type permissionAPI interface {
	GetPolicy(context.Context, *lambda.GetPolicyInput, ...func(*lambda.Options)) (*lambda.GetPolicyOutput, error)
	AddPermission(context.Context, *lambda.AddPermissionInput, ...func(*lambda.Options)) (*lambda.AddPermissionOutput, error)
	RemovePermission(context.Context, *lambda.RemovePermissionInput, ...func(*lambda.Options)) (*lambda.RemovePermissionOutput, error)
}

// PermissionValue is one statement of a function's resource policy; its
// name is FUNCTION/STATEMENT_ID.
type PermissionValue struct {
	Function      string `json:"function"`
	StatementID   string `json:"statement_id"`
	Action        string `json:"action"`
	Principal     string `json:"principal"`
	SourceArn     string `json:"source_arn"`
	SourceAccount string `json:"source_account"`
}

type permissionKind struct{}

var _ Kind = permissionKind{}

func (permissionKind) Tagged() bool { return false }

func (permissionKind) Read(ctx context.Context, c *Clients, name string) (Value, error) {
	fn, sid, err := splitName(name)
	if err != nil {
		return nil, err
	}
	perms, err := permissions(ctx, c, fn)
	if err != nil {
		return nil, err
	}
	for _, v := range perms {
		if v.StatementID == sid {
			return marshal(v), nil
		}
	}
	return nil, nil
}

// permissions reads the statements of a function's resource policy, in
// the policy's order; none when the function or its policy is absent.
func permissions(ctx context.Context, c *Clients, fn string) ([]PermissionValue, error) {
	out, err := c.Lambda.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(fn)})
	if isNotFound(err, "ResourceNotFoundException") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read policy of function %s: %w", fn, err)
	}
	p, err := iampolicy.Parse([]byte(aws.ToString(out.Policy)), iampolicy.Resource)
	if err != nil {
		return nil, fmt.Errorf("policy of function %s: %w", fn, err)
	}
	var perms []PermissionValue
	for _, st := range p.Statements {
		v := PermissionValue{Function: fn, StatementID: st.Sid}
		if len(st.Action) > 0 {
			v.Action = st.Action[0]
		}
		if st.Principal != nil && len(st.Principal.Entries["Service"]) > 0 {
			v.Principal = st.Principal.Entries["Service"][0]
		}
		for _, cond := range st.Conditions {
			switch strings.ToLower(cond.Key) {
			case "aws:sourcearn":
				v.SourceArn = cond.Values[0]
			case "aws:sourceaccount":
				v.SourceAccount = cond.Values[0]
			}
		}
		perms = append(perms, v)
	}
	return perms, nil
}

// Parts of a function: the statements of its resource policy and the
// event source mappings that invoke it, so that what someone added by hand
// is shown before the function goes (Lambda deletes the policy with the
// function but leaves the mappings behind).
func (functionKind) Parts(ctx context.Context, c *Clients, name string) ([]Part, error) {
	perms, err := permissions(ctx, c, name)
	if err != nil {
		return nil, err
	}
	var parts []Part
	for _, v := range perms {
		parts = append(parts, Part{Addr: Address{Kind: "lambda_permission", Name: name + "/" + v.StatementID}, Value: marshal(v)})
	}
	mappings, err := eventSourceMappings(ctx, c, name)
	if err != nil {
		return nil, err
	}
	for _, m := range mappings {
		parts = append(parts, Part{Addr: Address{Kind: "lambda_event_source_mapping", Name: name + "/" + m.UUID}, Value: marshal(m)})
	}
	return parts, nil
}

func (permissionKind) Create(ctx context.Context, c *Clients, _ string, v Value) error {
	var p PermissionValue
	if err := unmarshal(v, &p); err != nil {
		return err
	}
	in := &lambda.AddPermissionInput{FunctionName: aws.String(p.Function), StatementId: aws.String(p.StatementID),
		Action: aws.String(p.Action), Principal: aws.String(p.Principal)}
	if p.SourceArn != "" {
		in.SourceArn = aws.String(p.SourceArn)
	}
	if p.SourceAccount != "" {
		in.SourceAccount = aws.String(p.SourceAccount)
	}
	if _, err := c.Lambda.AddPermission(ctx, in); err != nil {
		return fmt.Errorf("add permission %s to function %s: %w", p.StatementID, p.Function, err)
	}
	return nil
}

// Update replaces the statement: Lambda has no in-place update of one.
func (k permissionKind) Update(ctx context.Context, c *Clients, name string, before, after Value) error {
	if err := k.Delete(ctx, c, name, before); err != nil {
		return err
	}
	return k.Create(ctx, c, name, after)
}

func (permissionKind) Delete(ctx context.Context, c *Clients, name string, _ Value) error {
	fn, sid, err := splitName(name)
	if err != nil {
		return err
	}
	_, err = c.Lambda.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String(fn), StatementId: aws.String(sid)})
	if err != nil && !isNotFound(err, "ResourceNotFoundException") {
		return fmt.Errorf("remove permission %s from function %s: %w", sid, fn, err)
	}
	return nil
}
