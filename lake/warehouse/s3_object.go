package warehouse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// s3Object reads an object with ranged GETs, so that a Parquet reader
// fetches footers and column chunks without downloading the whole file.
type s3Object struct {
	s    *S3
	ctx  context.Context
	key  string
	size int64
	off  int64 // for Read
}

func (o *s3Object) Size() int64  { return o.size }
func (o *s3Object) Close() error { return nil }

func (o *s3Object) Read(p []byte) (int, error) {
	if o.off >= o.size {
		return 0, io.EOF
	}
	n, err := o.ReadAt(p[:min(int64(len(p)), o.size-o.off)], o.off)
	o.off += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

// ReadAt fetches bytes [off, off+len(p)). The SDK retries the request; a
// connection dropped while the body streams is retried here, since the SDK
// has already returned by then.
func (o *s3Object) ReadAt(p []byte, off int64) (int, error) {
	if off >= o.size {
		return 0, io.EOF
	}
	want := p[:min(int64(len(p)), o.size-off)]
	got := 0
	var err error
	for attempt := 1; ; attempt++ {
		var n int
		n, err = o.readRange(want[got:], off+int64(got))
		got += n
		if err == nil || got == len(want) {
			err = nil
			break
		}
		if ctxErr := o.ctx.Err(); ctxErr != nil {
			return got, ctxErr
		}
		if attempt >= o.s.opts.MaxAttempts || !bodyRetryable(err) {
			break
		}
		time.Sleep(backoff(attempt, o.s.opts.MaxBackoff))
	}
	if err != nil {
		return got, err
	}
	if len(want) < len(p) {
		return got, io.EOF
	}
	return got, nil
}

func (o *s3Object) readRange(p []byte, off int64) (int, error) {
	out, err := o.s.client.GetObject(o.ctx, &s3.GetObjectInput{
		Bucket: &o.s.opts.Bucket, Key: aws.String(o.s.objectKey(o.key)),
		Range: aws.String(fmt.Sprintf("bytes=%d-%d", off, off+int64(len(p))-1)),
	})
	if err != nil {
		return 0, o.s.fail("read", "GetObject", o.key, err)
	}
	defer out.Body.Close()
	n, err := io.ReadFull(out.Body, p)
	if err != nil {
		return n, &bodyError{fmt.Errorf("read %s: %w", o.s.Location(o.key), err)}
	}
	return n, nil
}

// bodyError is a failure while a response body streamed: worth a retry.
type bodyError struct{ err error }

func (e *bodyError) Error() string { return e.err.Error() }
func (e *bodyError) Unwrap() error { return e.err }

func bodyRetryable(err error) bool {
	var be *bodyError
	return errors.As(err, &be)
}

// backoff is exponential with full jitter, capped at max.
func backoff(attempt int, max time.Duration) time.Duration {
	d := 100 * time.Millisecond << min(attempt, 10)
	if d > max {
		d = max
	}
	return time.Duration(rand.Int64N(int64(d)) + 1)
}
