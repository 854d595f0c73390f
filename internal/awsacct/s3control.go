package awsacct

import (
	"context"
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	smithyendpoints "github.com/aws/smithy-go/endpoints"
)

// S3Control is an S3 Control client for cfg. S3 Control names the account
// in the host ({AccountId}.s3-control.<region>.amazonaws.com), and the SDK's
// endpoint rules put that prefix on a custom endpoint too, which turns the
// local sandbox's https://127.0.0.1:PORT into a host that does not resolve.
// So when cfg.BaseEndpoint is set the client resolves endpoints with the
// SDK's own rules (signing name, region and auth schemes stay the SDK's)
// through an EndpointResolverV2 — the SDK's supported way to replace
// endpoint resolution — that puts back the scheme and host of
// cfg.BaseEndpoint as given. Without a BaseEndpoint it is the SDK's client
// as is. optFns apply after.
func S3Control(cfg aws.Config, optFns ...func(*s3control.Options)) *s3control.Client {
	if cfg.BaseEndpoint == nil {
		return s3control.NewFromConfig(cfg, optFns...)
	}
	base := aws.ToString(cfg.BaseEndpoint)
	fns := append([]func(*s3control.Options){func(o *s3control.Options) {
		o.EndpointResolverV2 = fixedHost{next: s3control.NewDefaultEndpointResolverV2(), base: base}
	}}, optFns...)
	return s3control.NewFromConfig(cfg, fns...)
}

// fixedHost resolves S3 Control endpoints at one endpoint, host as is.
type fixedHost struct {
	next s3control.EndpointResolverV2
	base string
}

func (r fixedHost) ResolveEndpoint(ctx context.Context, p s3control.EndpointParameters) (smithyendpoints.Endpoint, error) {
	ep, err := r.next.ResolveEndpoint(ctx, p)
	if err != nil {
		return ep, err
	}
	u, err := url.Parse(r.base)
	if err != nil || u.Host == "" {
		return smithyendpoints.Endpoint{}, fmt.Errorf("s3control endpoint %q is not a URL", r.base)
	}
	ep.URI.Scheme, ep.URI.Host = u.Scheme, u.Host
	return ep, nil
}
