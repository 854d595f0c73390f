package cli

import (
	"bytes"
	"testing"

	"github.com/xacct/xacct/internal/operation"
)

func TestStateListText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		view operation.StateView
		want string
	}{
		{"empty state says so", operation.StateView{}, "The state holds no resources: xacct owns nothing of this stack yet (xacct apply creates it).\n"},
		{"one address a line", operation.StateView{Entries: []operation.StateEntry{{Address: "production/s3_bucket/b"}, {Address: "production/iam_role/r", Pending: true}}},
			"production/s3_bucket/b\nproduction/iam_role/r (creation not confirmed)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			if err := stateListText(&b, &tt.view); err != nil || b.String() != tt.want {
				t.Errorf("got %q, %v; want %q", b.String(), err, tt.want)
			}
		})
	}
}
