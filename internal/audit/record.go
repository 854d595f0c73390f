package audit

import (
	"encoding/json"
	"strings"
	"time"
)

// Record is what xacct reads of one CloudTrail record (see AWS's "CloudTrail
// record contents"); the rest stays in the raw record.
type Record struct {
	EventTime          time.Time
	EventSource        string // s3.amazonaws.com
	EventName          string // PutObject
	AWSRegion          string
	SourceIP           string
	UserAgent          string
	ErrorCode          string
	ErrorMessage       string
	RecipientAccountID string
	EventID            string
	EventType          string // AwsApiCall, AwsServiceEvent…
	EventCategory      string // Management, Data
	ReadOnly           bool
	ManagementEvent    bool
	Identity           Identity
	Params             Params
	// Resources are the ARNs the record names (data events: the object
	// and the bucket).
	Resources []string
}

// Identity is the record's userIdentity element.
type Identity struct {
	Type        string // IAMUser, AssumedRole, AWSService, Root, AWSAccount, FederatedUser…
	PrincipalID string
	ARN         string
	AccountID   string
	UserName    string
	InvokedBy   string
	// The session's issuer (AssumedRole, FederatedUser).
	IssuerType      string
	IssuerARN       string
	IssuerAccountID string
	IssuerUserName  string
	SourceIdentity  string
	MFA             string // sessionContext.attributes.mfaAuthenticated
}

// Params are the request parameters that name what a request acted on.
type Params struct {
	BucketName      string
	Key             string
	RoleName        string
	RoleARN         string
	RoleSessionName string
	SourceIdentity  string
	PolicyName      string
	PolicyARN       string
	GroupName       string
	UserName        string
	FunctionName    string
	StatementID     string
	LogGroupName    string
	// Name is CloudTrail's own (a trail's name or ARN).
	Name string
}

// Action is the record's action as IAM names it: "s3:PutObject".
func (r *Record) Action() string { return ServicePrefix(r.EventSource) + ":" + r.EventName }

// ServicePrefix is IAM's prefix of an event source: s3.amazonaws.com → s3.
func ServicePrefix(source string) string {
	p, _, _ := strings.Cut(source, ".")
	return p
}

// parseRecord reads one record's bytes.
func parseRecord(b []byte, r *Record) error {
	l := &lexer{b: b}
	*r = Record{}
	var eventTime string
	readOnlySeen := false
	l.object(func(k []byte) {
		switch string(k) {
		case "eventTime":
			eventTime = l.str()
		case "eventSource":
			r.EventSource = l.str()
		case "eventName":
			r.EventName = l.str()
		case "awsRegion":
			r.AWSRegion = l.str()
		case "sourceIPAddress":
			r.SourceIP = l.str()
		case "userAgent":
			r.UserAgent = l.str()
		case "errorCode":
			r.ErrorCode = l.str()
		case "errorMessage":
			r.ErrorMessage = l.str()
		case "recipientAccountId":
			r.RecipientAccountID = l.str()
		case "eventID":
			r.EventID = l.str()
		case "eventType":
			r.EventType = l.str()
		case "eventCategory":
			r.EventCategory = l.str()
		case "readOnly":
			r.ReadOnly, readOnlySeen = l.boolean(), true
		case "managementEvent":
			r.ManagementEvent = l.boolean()
		case "userIdentity":
			parseIdentity(l, &r.Identity)
		case "requestParameters":
			parseParams(l, &r.Params)
		case "resources":
			l.array(func() {
				if !l.isObject() {
					l.skip()
					return
				}
				l.object(func(k []byte) {
					if string(k) == "ARN" {
						r.Resources = append(r.Resources, l.str())
						return
					}
					l.skip()
				})
			})
		default:
			l.skip()
		}
	})
	if l.err != nil {
		return l.err
	}
	t, err := time.Parse(time.RFC3339, eventTime)
	if err != nil {
		return err
	}
	r.EventTime = t.UTC()
	if !readOnlySeen && r.EventCategory == "" {
		// Records older than readOnly: a Get, List, Describe or Head
		// reads.
		r.ReadOnly = strings.HasPrefix(r.EventName, "Get") || strings.HasPrefix(r.EventName, "List") ||
			strings.HasPrefix(r.EventName, "Describe") || strings.HasPrefix(r.EventName, "Head")
	}
	return nil
}

func parseIdentity(l *lexer, id *Identity) {
	if !l.isObject() {
		l.skip()
		return
	}
	l.object(func(k []byte) {
		switch string(k) {
		case "type":
			id.Type = l.str()
		case "principalId":
			id.PrincipalID = l.str()
		case "arn":
			id.ARN = l.str()
		case "accountId":
			id.AccountID = l.str()
		case "userName":
			id.UserName = l.str()
		case "invokedBy":
			id.InvokedBy = l.str()
		case "sessionContext":
			if !l.isObject() {
				l.skip()
				return
			}
			l.object(func(k []byte) {
				switch string(k) {
				case "sourceIdentity":
					id.SourceIdentity = l.str()
				case "sessionIssuer":
					if !l.isObject() {
						l.skip()
						return
					}
					l.object(func(k []byte) {
						switch string(k) {
						case "type":
							id.IssuerType = l.str()
						case "arn":
							id.IssuerARN = l.str()
						case "accountId":
							id.IssuerAccountID = l.str()
						case "userName":
							id.IssuerUserName = l.str()
						default:
							l.skip()
						}
					})
				case "attributes":
					if !l.isObject() {
						l.skip()
						return
					}
					l.object(func(k []byte) {
						if string(k) == "mfaAuthenticated" {
							id.MFA = l.str()
							return
						}
						l.skip()
					})
				default:
					l.skip()
				}
			})
		default:
			l.skip()
		}
	})
}

func parseParams(l *lexer, p *Params) {
	if !l.isObject() {
		l.skip()
		return
	}
	l.object(func(k []byte) {
		var dst *string
		switch string(k) {
		case "bucketName":
			dst = &p.BucketName
		case "key":
			dst = &p.Key
		case "roleName":
			dst = &p.RoleName
		case "roleArn":
			dst = &p.RoleARN
		case "roleSessionName":
			dst = &p.RoleSessionName
		case "sourceIdentity":
			dst = &p.SourceIdentity
		case "policyName":
			dst = &p.PolicyName
		case "policyArn":
			dst = &p.PolicyARN
		case "groupName":
			dst = &p.GroupName
		case "userName":
			dst = &p.UserName
		case "functionName":
			dst = &p.FunctionName
		case "statementId":
			dst = &p.StatementID
		case "logGroupName":
			dst = &p.LogGroupName
		case "name", "trailName":
			dst = &p.Name
		default:
			l.skip()
			return
		}
		*dst = l.str()
	})
}

// rawRecord keeps a record's bytes for --json, compacted.
func rawRecord(b []byte) json.RawMessage {
	return append(json.RawMessage(nil), b...)
}
