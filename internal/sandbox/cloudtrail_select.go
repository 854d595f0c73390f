package sandbox

// Which events a trail logs: its basic event selectors (management events
// by read/write type, data events by resource ARN prefix) or its advanced
// event selectors (field conditions). AWS CloudTrail User Guide, "Logging
// data events" and the AdvancedFieldSelector API reference.

import (
	"net/http"
	"strings"
)

// eventSelector is a basic event selector.
type eventSelector struct {
	ReadWriteType                 string         `json:"ReadWriteType"`
	IncludeManagementEvents       *bool          `json:"IncludeManagementEvents,omitempty"`
	DataResources                 []dataResource `json:"DataResources"`
	ExcludeManagementEventSources []string       `json:"ExcludeManagementEventSources"`
}

type dataResource struct {
	Type   string   `json:"Type"`
	Values []string `json:"Values"`
}

// advancedSelector is an advanced event selector: every field selector
// must hold.
type advancedSelector struct {
	Name           string          `json:"Name,omitempty"`
	FieldSelectors []fieldSelector `json:"FieldSelectors"`
}

// fieldSelector is a condition on one field of an event: it holds when one
// of the positive operators' values matches (or none is given) and none of
// the negative operators' values does.
type fieldSelector struct {
	Field         string   `json:"Field"`
	Equals        []string `json:"Equals,omitempty"`
	StartsWith    []string `json:"StartsWith,omitempty"`
	EndsWith      []string `json:"EndsWith,omitempty"`
	NotEquals     []string `json:"NotEquals,omitempty"`
	NotStartsWith []string `json:"NotStartsWith,omitempty"`
	NotEndsWith   []string `json:"NotEndsWith,omitempty"`
}

// eventFacts are the fields of an event selectors look at.
type eventFacts struct {
	category  string // Management, Data
	readOnly  bool
	name      string // eventName
	source    string // eventSource
	dataType  string // resources.type of a data event (AWS::S3::Object)
	dataARN   string // resources.ARN of a data event
	userARN   string
	errorCode string
	global    bool // a global service event (IAM, STS's global endpoint)
}

// defaultSelectors are a trail's selectors until PutEventSelectors: every
// management event.
func defaultSelectors() []eventSelector {
	yes := true
	return []eventSelector{{ReadWriteType: "All", IncludeManagementEvents: &yes, DataResources: []dataResource{}, ExcludeManagementEventSources: []string{}}}
}

func (t *trail) basicSelectors() []eventSelector {
	if t.Selectors == nil {
		return defaultSelectors()
	}
	return t.Selectors
}

// selects reports whether selectors (advanced when given, else basic) log
// the event.
func selects(basic []eventSelector, advanced []advancedSelector, ev *eventFacts) bool {
	if advanced != nil {
		for _, s := range advanced {
			if s.matches(ev) {
				return true
			}
		}
		return false
	}
	if basic == nil {
		basic = defaultSelectors()
	}
	for _, s := range basic {
		if s.matches(ev) {
			return true
		}
	}
	return false
}

func (s eventSelector) matches(ev *eventFacts) bool {
	switch s.ReadWriteType {
	case "ReadOnly":
		if !ev.readOnly {
			return false
		}
	case "WriteOnly":
		if ev.readOnly {
			return false
		}
	}
	if ev.category == "Management" {
		if s.IncludeManagementEvents != nil && !*s.IncludeManagementEvents {
			return false
		}
		for _, src := range s.ExcludeManagementEventSources {
			if src == ev.source {
				return false
			}
		}
		return true
	}
	for _, dr := range s.DataResources {
		if dr.Type != ev.dataType {
			continue
		}
		for _, v := range dr.Values {
			// "arn:aws:s3" (or "arn:aws:lambda") is every resource of the
			// type; else the value is an ARN prefix.
			if v == "arn:aws:s3" || v == "arn:aws:s3:::" || v == "arn:aws:lambda" || strings.HasPrefix(ev.dataARN, v) {
				return true
			}
		}
	}
	return false
}

func (s advancedSelector) matches(ev *eventFacts) bool {
	for _, f := range s.FieldSelectors {
		if !f.matches(ev.field(f.Field)) {
			return false
		}
	}
	return true
}

func (ev *eventFacts) field(name string) string {
	switch name {
	case "eventCategory":
		return ev.category
	case "readOnly":
		if ev.readOnly {
			return "true"
		}
		return "false"
	case "eventName":
		return ev.name
	case "eventSource":
		return ev.source
	case "eventType":
		return "AwsApiCall"
	case "resources.type":
		return ev.dataType
	case "resources.ARN":
		return ev.dataARN
	case "userIdentity.arn":
		return ev.userARN
	case "errorCode":
		return ev.errorCode
	}
	return ""
}

func (f fieldSelector) matches(v string) bool {
	positive := len(f.Equals)+len(f.StartsWith)+len(f.EndsWith) == 0
	for _, x := range f.Equals {
		positive = positive || v == x
	}
	for _, x := range f.StartsWith {
		positive = positive || strings.HasPrefix(v, x)
	}
	for _, x := range f.EndsWith {
		positive = positive || strings.HasSuffix(v, x)
	}
	if !positive {
		return false
	}
	for _, x := range f.NotEquals {
		if v == x {
			return false
		}
	}
	for _, x := range f.NotStartsWith {
		if strings.HasPrefix(v, x) {
			return false
		}
	}
	for _, x := range f.NotEndsWith {
		if strings.HasSuffix(v, x) {
			return false
		}
	}
	return true
}

// advancedFields are the fields the sandbox's advanced selectors take.
var advancedFields = map[string]bool{"eventCategory": true, "readOnly": true, "eventName": true, "eventSource": true, "eventType": true,
	"resources.type": true, "resources.ARN": true, "userIdentity.arn": true, "errorCode": true}

// dataResourceTypes are the data event resource types the sandbox records.
var dataResourceTypes = map[string]bool{"AWS::S3::Object": true, "AWS::Lambda::Function": true}

func invalidSelectors(msg string) *apiError {
	return &apiError{http.StatusBadRequest, "InvalidEventSelectorsException", msg}
}

// checkAdvanced refuses advanced selectors CloudTrail would refuse: each
// names its eventCategory (Equals Management or Data), a data selector its
// resources.type, and every field selector has values.
func checkAdvanced(sels []advancedSelector) *apiError {
	if len(sels) == 0 || len(sels) > 500 {
		return invalidSelectors("You must specify at least one and at most 500 advanced event selectors.")
	}
	for _, s := range sels {
		var category, rtype []string
		for _, f := range s.FieldSelectors {
			if !advancedFields[f.Field] {
				return invalidSelectors("Invalid field name: " + f.Field + ".")
			}
			if len(f.Equals)+len(f.StartsWith)+len(f.EndsWith)+len(f.NotEquals)+len(f.NotStartsWith)+len(f.NotEndsWith) == 0 {
				return invalidSelectors("The field " + f.Field + " must have at least one condition.")
			}
			for _, vs := range [][]string{f.Equals, f.StartsWith, f.EndsWith, f.NotEquals, f.NotStartsWith, f.NotEndsWith} {
				for _, v := range vs {
					if v == "" {
						return invalidSelectors("The field " + f.Field + " has an empty value.")
					}
				}
			}
			switch f.Field {
			case "eventCategory":
				category = f.Equals
			case "resources.type":
				rtype = f.Equals
			case "readOnly":
				for _, v := range append(append([]string{}, f.Equals...), f.NotEquals...) {
					if v != "true" && v != "false" {
						return invalidSelectors("readOnly takes true or false, not " + v + ".")
					}
				}
			}
		}
		if len(category) != 1 || (category[0] != "Management" && category[0] != "Data") {
			return invalidSelectors("Each advanced event selector must have an eventCategory field with Equals Management or Data.")
		}
		if category[0] == "Data" {
			if len(rtype) != 1 {
				return invalidSelectors("A data event selector must have a resources.type field with one Equals value.")
			}
			if !dataResourceTypes[rtype[0]] {
				return invalidSelectors("Invalid resources.type: " + rtype[0] + ". The xacct sandbox records AWS::S3::Object and AWS::Lambda::Function.")
			}
		}
	}
	return nil
}

// checkBasic refuses basic selectors CloudTrail would refuse.
func checkBasic(sels []eventSelector) *apiError {
	if len(sels) == 0 || len(sels) > 5 {
		return invalidSelectors("You must specify at least one and at most five event selectors.")
	}
	for _, s := range sels {
		switch s.ReadWriteType {
		case "", "All", "ReadOnly", "WriteOnly":
		default:
			return invalidSelectors("Invalid ReadWriteType: " + s.ReadWriteType + ".")
		}
		for _, dr := range s.DataResources {
			if !dataResourceTypes[dr.Type] {
				return invalidSelectors("Invalid DataResource type: " + dr.Type + ".")
			}
			for _, v := range dr.Values {
				if !strings.HasPrefix(v, "arn:aws:") {
					return invalidSelectors("Invalid DataResource value: " + v + ".")
				}
			}
		}
	}
	return nil
}

// putSelectors sets a trail's selectors: basic or advanced, never both.
func (ct *cloudTrail) putSelectors(t *trail, in ctInput) (any, *apiError) {
	switch {
	case in.EventSelectors != nil && in.AdvancedEventSelectors != nil:
		return nil, &apiError{http.StatusBadRequest, "InvalidParameterCombinationException", "You cannot specify both EventSelectors and AdvancedEventSelectors."}
	case in.AdvancedEventSelectors != nil:
		if e := checkAdvanced(in.AdvancedEventSelectors); e != nil {
			return nil, e
		}
		t.Advanced, t.Selectors = in.AdvancedEventSelectors, nil
		t.CustomSelectors = true
		return map[string]any{"TrailARN": t.arn(), "AdvancedEventSelectors": t.Advanced}, nil
	case in.EventSelectors != nil:
		if e := checkBasic(in.EventSelectors); e != nil {
			return nil, e
		}
		for i := range in.EventSelectors {
			s := &in.EventSelectors[i]
			if s.ReadWriteType == "" {
				s.ReadWriteType = "All"
			}
			if s.IncludeManagementEvents == nil {
				yes := true
				s.IncludeManagementEvents = &yes
			}
			if s.DataResources == nil {
				s.DataResources = []dataResource{}
			}
			if s.ExcludeManagementEventSources == nil {
				s.ExcludeManagementEventSources = []string{}
			}
		}
		t.Selectors, t.Advanced = in.EventSelectors, nil
		t.CustomSelectors = true
		return map[string]any{"TrailARN": t.arn(), "EventSelectors": t.Selectors}, nil
	}
	return nil, invalidSelectors("You must specify EventSelectors or AdvancedEventSelectors.")
}
