package sandbox

import (
	"testing"
)

// TestLogsTargets: every way a Logs request names a log group is
// authorized on that group's ARN, never on "*".
func TestLogsTargets(t *testing.T) {
	t.Parallel()
	g := &gateway{sb: &Sandbox{Region: "us-east-1"}}
	const acct, other = "222222222222", "333333333333"
	group := "arn:aws:logs:us-east-1:" + acct + ":log-group:/secret/a:*"
	cases := []struct {
		name    string
		in      logsRequest
		want    []logsTarget
		kumo    string
		errCode string
	}{
		{"none", logsRequest{}, []logsTarget{{"*", acct, true}}, "", ""},
		{"name", logsRequest{LogGroupName: "/secret/a"}, []logsTarget{{group, acct, true}}, "", ""},
		{"name and stream", logsRequest{LogGroupName: "/secret/a", LogStreamName: "s"},
			[]logsTarget{{"arn:aws:logs:us-east-1:" + acct + ":log-group:/secret/a:log-stream:s", acct, true}}, "", ""},
		{"identifier name", logsRequest{LogGroupIdentifier: "/secret/a"}, []logsTarget{{group, acct, true}}, "/secret/a", ""},
		{"identifier ARN", logsRequest{LogGroupIdentifier: "arn:aws:logs:us-east-1:" + acct + ":log-group:/secret/a"}, []logsTarget{{group, acct, true}}, "/secret/a", ""},
		{"identifier ARN and stream", logsRequest{LogGroupIdentifier: "arn:aws:logs:us-east-1:" + acct + ":log-group:/secret/a", LogStreamName: "s"},
			[]logsTarget{{"arn:aws:logs:us-east-1:" + acct + ":log-group:/secret/a:log-stream:s", acct, true}}, "/secret/a", ""},
		{"identifier of another account", logsRequest{LogGroupIdentifier: "arn:aws:logs:us-east-1:" + other + ":log-group:/secret/a"},
			[]logsTarget{{"arn:aws:logs:us-east-1:" + other + ":log-group:/secret/a:*", other, true}}, "/secret/a", ""},
		{"identifier of another region", logsRequest{LogGroupIdentifier: "arn:aws:logs:eu-west-1:" + acct + ":log-group:/secret/a"},
			[]logsTarget{{"arn:aws:logs:eu-west-1:" + acct + ":log-group:/secret/a:*", acct, false}}, "/secret/a", ""},
		{"resourceArn", logsRequest{ResourceArn: "arn:aws:logs:us-east-1:" + acct + ":log-group:/secret/a"}, []logsTarget{{group, acct, true}}, "/secret/a", ""},
		{"resourceArn with :*", logsRequest{ResourceArn: "arn:aws:logs:us-east-1:" + acct + ":log-group:/secret/a:*"}, []logsTarget{{group, acct, true}}, "/secret/a", ""},
		{"identifiers", logsRequest{LogGroupIdentifiers: []string{"/public/b", "arn:aws:logs:us-east-1:" + acct + ":log-group:/secret/a"}},
			[]logsTarget{{"arn:aws:logs:us-east-1:" + acct + ":log-group:/public/b:*", acct, true}, {group, acct, true}}, "", ""},
		{"names", logsRequest{LogGroupNames: []string{"/secret/a"}}, []logsTarget{{group, acct, true}}, "", ""},
		{"identifier with :*", logsRequest{LogGroupIdentifier: "arn:aws:logs:us-east-1:" + acct + ":log-group:/secret/a:*"}, nil, "", "InvalidParameterException"},
		{"identifier of a stream", logsRequest{LogGroupIdentifier: "arn:aws:logs:us-east-1:" + acct + ":log-group:/secret/a:log-stream:s"}, nil, "", "InvalidParameterException"},
		{"identifier of another service", logsRequest{LogGroupIdentifier: "arn:aws:s3:::bucket"}, nil, "", "InvalidParameterException"},
		{"name and identifier", logsRequest{LogGroupName: "/public/b", LogGroupIdentifier: "/secret/a"}, nil, "", "InvalidParameterException"},
		{"resourceArn of a destination", logsRequest{ResourceArn: "arn:aws:logs:us-east-1:" + acct + ":destination:d"}, nil, "", "InvalidParameterException"},
		{"an ARN among names", logsRequest{LogGroupNames: []string{"arn:aws:logs:us-east-1:" + acct + ":log-group:/secret/a"}}, nil, "", "InvalidParameterException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, name, e := g.logsTargets(acct, tc.in)
			if tc.errCode != "" {
				if e == nil || e.code != tc.errCode {
					t.Fatalf("error %+v, want %s", e, tc.errCode)
				}
				return
			}
			if e != nil {
				t.Fatalf("error %+v", e)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("targets %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("target %d: %+v, want %+v", i, got[i], tc.want[i])
				}
			}
			if name != tc.kumo {
				t.Errorf("name for kumo %q, want %q", name, tc.kumo)
			}
		})
	}
}

func TestLogsRewrite(t *testing.T) {
	t.Parallel()
	got, err := logsRewrite([]byte(`{"logGroupIdentifier":"arn:aws:logs:us-east-1:222222222222:log-group:/a","limit":5}`), "/a", false)
	if err != nil || string(got) != `{"limit":5,"logGroupName":"/a"}` {
		t.Fatalf("%s %v", got, err)
	}
	got, err = logsRewrite([]byte(`{"resourceArn":"arn:aws:logs:us-east-1:222222222222:log-group:/a"}`), "/a", true)
	if err != nil || string(got) != `{"resourceArn":"/a"}` {
		t.Fatalf("%s %v", got, err)
	}
}
