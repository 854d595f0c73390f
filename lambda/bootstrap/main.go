// Command bootstrap is the metadata processor's Lambda entry point (runtime
// provided.al2023). Clients and the writer role's credentials are built once
// per execution environment, not per record.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/xacct/xacct/lambda/processor"
)

// version is set at build time (-ldflags -X main.version=...).
var version = "dev"

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil)).With("version", version)
	start := time.Now()
	h, err := newHandler(context.Background(), log)
	if err != nil {
		log.Error("init failed", "error", err.Error())
		os.Exit(1)
	}
	log.Info("init done", "init_ms", time.Since(start).Milliseconds())
	lambda.Start(h.Invoke)
}

func newHandler(ctx context.Context, log *slog.Logger) (*processor.Handler, error) {
	cfg, err := processor.ConfigFromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	// Path-style addressing when an endpoint is set (the local sandbox).
	pathStyle := awsCfg.BaseEndpoint != nil
	writerCfg := awsCfg.Copy()
	writerCfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(awsCfg), cfg.WriterRoleARN,
		func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "metadata-processor" }))
	return &processor.Handler{
		Config: cfg,
		Source: s3.NewFromConfig(awsCfg, func(o *s3.Options) { o.UsePathStyle = pathStyle }),
		Writer: s3.NewFromConfig(writerCfg, func(o *s3.Options) { o.UsePathStyle = pathStyle }),
		Log:    log,
		Now:    time.Now,
	}, nil
}
