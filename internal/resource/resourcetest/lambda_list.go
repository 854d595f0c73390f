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
		names, next, err := lambdaPage(slices.Sorted(maps.Keys(x.f.functions)), in.Marker, functionsPage)
		if err != nil {
			return err
		}
		out = &lambda.ListFunctionsOutput{Functions: []lambdatypes.FunctionConfiguration{}, NextMarker: next}
		for _, n := range names {
			out.Functions = append(out.Functions, x.f.functions[n].cfg)
		}
		return nil
	})
	return out, err
}

// lambdaPage is one page of size items from the marker on (a position),
// and the marker of the next page (nil after the last), as Lambda's
// listings page.
func lambdaPage[T any](all []T, marker *string, size int) ([]T, *string, error) {
	start := 0
	if marker != nil {
		n, err := strconv.Atoi(aws.ToString(marker))
		if err != nil || n < 0 || n > len(all) {
			return nil, nil, apiErr("InvalidParameterValueException", "invalid marker %q", aws.ToString(marker))
		}
		start = n
	}
	end := min(start+size, len(all))
	var next *string
	if end < len(all) {
		next = aws.String(strconv.Itoa(end))
	}
	return all[start:end], next, nil
}
