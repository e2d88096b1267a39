package warehouse

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// s3Writer streams one object. Bytes fill buf; a full buf becomes a part,
// uploaded by its own goroutine while the next buffer fills. free holds
// UploadConcurrency+1 buffers in all, so a writer faster than the network
// waits for a part to finish instead of growing memory.
type s3Writer struct {
	s    *S3
	ctx  context.Context
	key  string
	buf  []byte
	free chan []byte

	uploadID *string
	next     int32
	wg       sync.WaitGroup
	mu       sync.Mutex
	parts    []types.CompletedPart
	err      error // first failure of a part upload
	done     bool
}

func (w *s3Writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, fmt.Errorf("write %s: already finished", w.s.Location(w.key))
	}
	if err := w.failed(); err != nil {
		return 0, err
	}
	n := 0
	for len(p) > 0 {
		if w.buf == nil {
			w.buf = make([]byte, 0, w.s.opts.PartSize)
		}
		k := min(len(p), int(w.s.opts.PartSize)-len(w.buf))
		w.buf = append(w.buf, p[:k]...)
		p, n = p[k:], n+k
		if len(w.buf) == int(w.s.opts.PartSize) {
			if err := w.flushPart(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

func (w *s3Writer) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// flushPart hands the full buffer to an upload goroutine and takes a free
// one, waiting while UploadConcurrency parts are in flight.
func (w *s3Writer) flushPart() error {
	if w.uploadID == nil {
		sse, kms := w.s.sse()
		out, err := w.s.client.CreateMultipartUpload(w.ctx, &s3.CreateMultipartUploadInput{
			Bucket: &w.s.opts.Bucket, Key: aws.String(w.s.objectKey(w.key)),
			ServerSideEncryption: sse, SSEKMSKeyId: kms,
		})
		if err != nil {
			return w.s.fail("write", "CreateMultipartUpload", w.key, err)
		}
		w.uploadID = out.UploadId
	}
	w.next++
	if w.next > maxParts {
		return fmt.Errorf("write %s: more than %d parts; raise s3.part_size", w.s.Location(w.key), maxParts)
	}
	part, data := w.next, w.buf
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		out, err := w.s.client.UploadPart(w.ctx, &s3.UploadPartInput{
			Bucket: &w.s.opts.Bucket, Key: aws.String(w.s.objectKey(w.key)), UploadId: w.uploadID,
			PartNumber: aws.Int32(part), Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data))),
		})
		w.mu.Lock()
		if err != nil && w.err == nil {
			w.err = w.s.fail("write", "UploadPart", w.key, err)
		} else if err == nil {
			w.parts = append(w.parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(part)})
		}
		w.mu.Unlock()
		w.free <- data[:0]
	}()
	w.buf = nil
	select {
	case w.buf = <-w.free:
	case <-w.ctx.Done():
		return w.ctx.Err()
	}
	return w.failed()
}

// Commit uploads what is left and completes the upload; the object appears
// at its key only now. On failure nothing is left behind.
func (w *s3Writer) Commit() error {
	if w.done {
		return fmt.Errorf("commit %s: already finished", w.s.Location(w.key))
	}
	w.done = true
	if w.uploadID == nil {
		// Smaller than one part: one PUT.
		sse, kms := w.s.sse()
		_, err := w.s.client.PutObject(w.ctx, &s3.PutObjectInput{
			Bucket: &w.s.opts.Bucket, Key: aws.String(w.s.objectKey(w.key)), Body: bytes.NewReader(w.buf),
			ContentLength: aws.Int64(int64(len(w.buf))), ServerSideEncryption: sse, SSEKMSKeyId: kms,
		})
		w.buf = nil
		if err != nil {
			return w.s.fail("write", "PutObject", w.key, err)
		}
		return nil
	}
	err := w.failed()
	if err == nil && len(w.buf) > 0 {
		err = w.flushPart()
	}
	w.wg.Wait()
	w.buf = nil
	if err == nil {
		err = w.failed()
	}
	if err != nil {
		w.s.abortUpload(w.key, w.uploadID)
		return err
	}
	sort.Slice(w.parts, func(i, j int) bool { return *w.parts[i].PartNumber < *w.parts[j].PartNumber })
	_, err = w.s.client.CompleteMultipartUpload(w.ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &w.s.opts.Bucket, Key: aws.String(w.s.objectKey(w.key)), UploadId: w.uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: w.parts},
	})
	if err != nil {
		w.s.abortUpload(w.key, w.uploadID)
		return w.s.fail("write", "CompleteMultipartUpload", w.key, err)
	}
	return nil
}

// Abort waits for parts in flight and aborts the multipart upload, so no
// incomplete upload (billed, invisible) is left behind.
func (w *s3Writer) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.wg.Wait()
	w.buf = nil
	if w.uploadID != nil {
		w.s.abortUpload(w.key, w.uploadID)
	}
}
