package resourcetest

import (
	"context"
	"maps"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// functionsPage is how many functions ListFunctions returns at a time, so
// that callers must page.
const functionsPage = 2

// ListFunctions lists the account's functions by name, a page at a time.
func (x *Lambda) ListFunctions(ctx context.Context, in *lambda.ListFunctionsInput, _ ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error) {
	var out *lambda.ListFunctionsOutput
	err := x.f.call(ctx, "Lambda", "ListFunctions", in, func() error {
		names := slices.Sorted(maps.Keys(x.f.functions))
		start := 0
		if in.Marker != nil {
			n, err := strconv.Atoi(aws.ToString(in.Marker))
			if err != nil || n < 0 || n > len(names) {
				return apiErr("InvalidParameterValueException", "invalid marker %q", aws.ToString(in.Marker))
			}
			start = n
		}
		end := min(start+functionsPage, len(names))
		out = &lambda.ListFunctionsOutput{Functions: []lambdatypes.FunctionConfiguration{}}
		for _, n := range names[start:end] {
			out.Functions = append(out.Functions, x.f.functions[n].cfg)
		}
		if end < len(names) {
			out.NextMarker = aws.String(strconv.Itoa(end))
		}
		return nil
	})
	return out, err
}
