package sandbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"

	"github.com/xacct/xacct/internal/iampolicy"
)

// maxLogLine is the longest event CloudWatch Logs takes (256 KiB less its
// 26 bytes of overhead); Lambda cuts longer lines.
const maxLogLine = 256*1024 - 26

// functionLog passes a function process's output to the sandbox's log line
// by line and, as Lambda does, to the function's log group /aws/lambda/<name>
// in its account, in a stream of its own, with the execution role's
// permissions: the lines reach the group only if the role may
// logs:CreateLogStream and logs:PutLogEvents on it (and the group exists, or
// the role may logs:CreateLogGroup).
type functionLog struct {
	mu     sync.Mutex
	buf    []byte
	logf   func(string, ...any)
	prefix string

	// CloudWatch Logs; client nil: the sandbox's log only.
	client        *cloudwatchlogs.Client
	allowed       func(ctx context.Context, action, resource string) bool
	group, stream string
	groupARN      string
	ready         bool
	warned        bool
}

// newLogStreamName is Lambda's stream name: date, version, a random ID.
func newLogStreamName(now time.Time) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return now.UTC().Format("2006/01/02") + "/[$LATEST]" + hex.EncodeToString(b)
}

// newFunctionLog is the log of one process of a function, written with the
// credential the process runs with.
func (rt *runtimes) newFunctionLog(account, fn string, cred *credential) *functionLog {
	g := rt.g
	l := &functionLog{logf: g.sb.logf, prefix: "lambda " + fn + ": "}
	b := g.sb.accounts[account]
	if b == nil || b.logs == nil {
		return l
	}
	l.client = b.logs
	l.group = "/aws/lambda/" + fn
	l.stream = newLogStreamName(time.Now())
	l.groupARN = fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", g.sb.Region, account, l.group)
	l.allowed = func(ctx context.Context, action, resource string) bool {
		c := &call{r: (&http.Request{}).WithContext(ctx), secure: true, sourceIP: "127.0.0.1", service: "logs", cred: cred}
		res, err := g.authorize(ctx, c, authzRequest{action: action, resource: resource, resourceAccount: account})
		return err == nil && res.Decision == iampolicy.Allowed
	}
	return l
}

func (l *functionLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	var lines []string
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		lines = append(lines, string(l.buf[:i]))
		l.buf = l.buf[i+1:]
	}
	l.emit(lines)
	return len(p), nil
}

// Printf writes one line of the platform's own (START, END, REPORT).
func (l *functionLog) Printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.emit([]string{fmt.Sprintf(format, args...)})
}

// flush writes what is left of an unterminated last line.
func (l *functionLog) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		line := string(l.buf)
		l.buf = nil
		l.emit([]string{line})
	}
}

func (l *functionLog) emit(lines []string) {
	if len(lines) == 0 {
		return
	}
	for _, line := range lines {
		l.logf("%s%s", l.prefix, line)
	}
	if l.client == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.put(ctx, lines); err != nil && !l.warned {
		l.warned = true
		l.logf("sandbox: %sits output does not reach log group %s: %v", l.prefix, l.group, err)
	}
}

func (l *functionLog) put(ctx context.Context, lines []string) error {
	streamARN := l.groupARN + ":log-stream:" + l.stream
	if !l.allowed(ctx, "logs:PutLogEvents", streamARN) {
		return errors.New("the execution role may not logs:PutLogEvents on it")
	}
	if !l.ready {
		if err := l.createStream(ctx, streamARN); err != nil {
			return err
		}
		l.ready = true
	}
	now := time.Now().UnixMilli()
	for len(lines) > 0 {
		n := min(len(lines), 1000)
		events := make([]logstypes.InputLogEvent, n)
		for i, line := range lines[:n] {
			if len(line) > maxLogLine {
				line = line[:maxLogLine]
			}
			events[i] = logstypes.InputLogEvent{Message: aws.String(line), Timestamp: aws.Int64(now)}
		}
		lines = lines[n:]
		if _, err := l.client.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{
			LogGroupName: aws.String(l.group), LogStreamName: aws.String(l.stream), LogEvents: events,
		}); err != nil {
			return err
		}
	}
	return nil
}

// createStream creates the process's stream, and the group first if it is
// missing and the role may create it, as Lambda does.
func (l *functionLog) createStream(ctx context.Context, streamARN string) error {
	if !l.allowed(ctx, "logs:CreateLogStream", streamARN) {
		return errors.New("the execution role may not logs:CreateLogStream on it")
	}
	_, err := l.client.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(l.group), LogStreamName: aws.String(l.stream)})
	if sdkErrorCode(err) == "ResourceNotFoundException" {
		if !l.allowed(ctx, "logs:CreateLogGroup", l.groupARN+":*") {
			return errors.New("it does not exist and the execution role may not logs:CreateLogGroup")
		}
		if _, err := l.client.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(l.group)}); err != nil && sdkErrorCode(err) != "ResourceAlreadyExistsException" {
			return err
		}
		_, err = l.client.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(l.group), LogStreamName: aws.String(l.stream)})
	}
	if err != nil && sdkErrorCode(err) != "ResourceAlreadyExistsException" {
		return err
	}
	return nil
}

// sdkErrorCode is an SDK error's AWS error code ("" for none).
func sdkErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
