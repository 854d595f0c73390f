package state

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/xacct/xacct/internal/awserr"
)

// Store is where the state lives: a local file or an S3 object.
type Store interface {
	Snapshot() *State
	// Put records a resource and saves the state.
	Put(ctx context.Context, addr string, e Entry) error
	// Remove forgets a resource and saves the state.
	Remove(ctx context.Context, addr string) error
	// Acquire takes the lock, or fails at once naming its holder.
	Acquire(ctx context.Context, who, operation string, now time.Time) error
	// Release gives up the lock if this process holds it.
	Release(ctx context.Context) error
	// Replace overwrites the whole state, keeping its lineage and serial.
	Replace(ctx context.Context, st *State) error
}

var (
	_ Store = (*Local)(nil)
	_ Store = (*S3)(nil)
)

// S3API is what the S3 backend calls.
type S3API interface {
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	DeleteObject(context.Context, *s3.DeleteObjectInput, ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}

var _ S3API = (*s3.Client)(nil)

// ConflictError is a write refused because the state object changed since
// this process read it: another writer won, and its update is kept.
type ConflictError struct{ Bucket, Key string }

func (e *ConflictError) Error() string {
	return fmt.Sprintf("state s3://%s/%s was changed by another writer since it was read; not overwritten", e.Bucket, e.Key)
}

// S3 is the state as an S3 object, written only with conditional writes
// (If-Match on the ETag read, If-None-Match: * for the first write), and
// locked by a lock object created with If-None-Match: *.
type S3 struct {
	api    S3API
	bucket string
	key    string
	mu     sync.Mutex
	st     *State
	etag   string // "" while the object does not exist
	lock   *Lock
}

// OpenS3 reads the state object (an absent one is an empty state).
func OpenS3(ctx context.Context, api S3API, bucket, key, stack string) (*S3, error) {
	s := &S3{api: api, bucket: bucket, key: key}
	out, err := api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if awserr.Is(err, "NoSuchKey", "NotFound") {
		s.st = &State{Version: Version, Stack: stack, Resources: map[string]*Entry{}}
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state s3://%s/%s: %w", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, err
	}
	st, err := decode(b, "s3://"+bucket+"/"+key, stack)
	if err != nil {
		return nil, err
	}
	s.st, s.etag = st, aws.ToString(out.ETag)
	return s, nil
}

// Snapshot returns a copy of the state.
func (s *S3) Snapshot() *State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copyState(s.st)
}

// Put records a resource and writes the state object.
func (s *S3) Put(ctx context.Context, addr string, e Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	prev := s.st.Resources[addr]
	s.st.Resources[addr] = &e
	if err := s.saveLocked(ctx); err != nil {
		if prev == nil {
			delete(s.st.Resources, addr)
		} else {
			s.st.Resources[addr] = prev
		}
		return err
	}
	return nil
}

// Remove forgets a resource and writes the state object.
func (s *S3) Remove(ctx context.Context, addr string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	prev, ok := s.st.Resources[addr]
	if !ok {
		return nil
	}
	delete(s.st.Resources, addr)
	if err := s.saveLocked(ctx); err != nil {
		s.st.Resources[addr] = prev
		return err
	}
	return nil
}

func (s *S3) saveLocked(ctx context.Context) error {
	if s.st.Lineage == "" {
		s.st.Lineage = newID()
	}
	s.st.Serial++
	b, err := json.MarshalIndent(s.st, "", "  ")
	if err != nil {
		return err
	}
	in := &s3.PutObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.key), Body: bytes.NewReader(b),
		ContentType: aws.String("application/json")}
	if s.etag == "" {
		in.IfNoneMatch = aws.String("*")
	} else {
		in.IfMatch = aws.String(s.etag)
	}
	out, err := s.api.PutObject(ctx, in)
	if awserr.Is(err, "PreconditionFailed", "ConditionalRequestConflict") {
		s.st.Serial--
		return &ConflictError{Bucket: s.bucket, Key: s.key}
	}
	if err != nil {
		s.st.Serial--
		return fmt.Errorf("save state s3://%s/%s: %w", s.bucket, s.key, err)
	}
	s.etag = aws.ToString(out.ETag)
	return nil
}

func (s *S3) lockKey() string { return s.key + ".lock" }

// Acquire creates the lock object, or fails at once naming its holder.
func (s *S3) Acquire(ctx context.Context, who, operation string, now time.Time) error {
	lk := Lock{ID: newID(), Who: who, PID: os.Getpid(), Operation: operation, Created: now.UTC()}
	b, _ := json.Marshal(lk)
	_, err := s.api.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.lockKey()), Body: bytes.NewReader(b), IfNoneMatch: aws.String("*")})
	if awserr.Is(err, "PreconditionFailed", "ConditionalRequestConflict") {
		other, rerr := readLock(ctx, s.api, s.bucket, s.lockKey())
		if rerr != nil {
			return fmt.Errorf("state s3://%s/%s is locked (lock unreadable: %v)", s.bucket, s.key, rerr)
		}
		return &LockedError{Path: "s3://" + s.bucket + "/" + s.key, Lock: other, Age: now.Sub(other.Created).Round(time.Second)}
	}
	if err != nil {
		return fmt.Errorf("lock state s3://%s/%s: %w", s.bucket, s.key, err)
	}
	s.lock = &lk
	return nil
}

// Release deletes the lock object if this process holds it.
func (s *S3) Release(ctx context.Context) error {
	if s.lock == nil {
		return nil
	}
	cur, err := readLock(ctx, s.api, s.bucket, s.lockKey())
	id := s.lock.ID
	s.lock = nil
	if err != nil || cur.ID != id {
		return nil
	}
	_, err = s.api.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.lockKey())})
	return err
}

// ForceUnlockS3 deletes the lock object whose ID is id.
func ForceUnlockS3(ctx context.Context, api S3API, bucket, key, id string) error {
	cur, err := readLock(ctx, api, bucket, key+".lock")
	if awserr.Is(err, "NoSuchKey", "NotFound") {
		return fmt.Errorf("state s3://%s/%s is not locked", bucket, key)
	}
	if err != nil {
		return err
	}
	if cur.ID != id {
		return fmt.Errorf("the lock on s3://%s/%s has ID %s, not %s (held by %s, pid %d)", bucket, key, cur.ID, id, cur.Who, cur.PID)
	}
	_, err = api.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key + ".lock")})
	return err
}

func readLock(ctx context.Context, api S3API, bucket, key string) (Lock, error) {
	var lk Lock
	out, err := api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return lk, err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return lk, err
	}
	return lk, json.Unmarshal(b, &lk)
}

// Replace overwrites the whole state (state migrate), keeping lineage and
// serial of st.
func (s *S3) Replace(ctx context.Context, st *State) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	prev := s.st
	s.st = copyState(st)
	s.st.Serial--
	if err := s.saveLocked(ctx); err != nil {
		s.st = prev
		return err
	}
	return nil
}
