package warehouse

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Limits of S3 multipart uploads.
const (
	MinPartSize    = 5 << 20
	MaxPartSize    = 5 << 30
	maxParts       = 10000
	copyPartSize   = 512 << 20
	maxDeleteBatch = 1000
	// DefaultPartSize is the AWS CLI's. An upload holds its part buffers
	// for its whole life, and the garbage collector lets the heap grow by
	// half of them again (GOGC=50): TPC-H lineitem written to S3 peaked at
	// 361-366 MB of RSS with 16 MiB parts and 290-307 MB with 8 MiB, at
	// the same speed. Four parts of 8 MiB in flight still carry far more
	// than the 20-30 MB/s of Parquet one reader makes.
	DefaultPartSize = 8 << 20
	// DefaultUploadConcurrency is how many parts of one object are uploaded
	// at once.
	DefaultUploadConcurrency = 4
	// DefaultMaxAttempts is how many times one request is tried.
	DefaultMaxAttempts = 10
)

// S3Options says where an S3 warehouse is and how to reach it. Credentials
// are not here: they come from the standard AWS chain (environment,
// profile, SSO, IMDS/IRSA).
type S3Options struct {
	Bucket string
	// Prefix is the warehouse's folder in the bucket, without slashes at
	// either end; empty for the bucket's root.
	Prefix string
	// Region; empty means the AWS chain's (AWS_REGION, profile).
	Region string
	// Endpoint overrides the S3 endpoint (LocalStack, MinIO), e.g.
	// http://127.0.0.1:4566.
	Endpoint string
	// PathStyle addresses the bucket in the path, not the host name.
	PathStyle bool
	// SSE is "", "AES256" or "aws:kms"; SSEKMSKeyID the key for aws:kms
	// (empty for the account's default key).
	SSE         string
	SSEKMSKeyID string
	// PartSize is the multipart part size; memory used by one upload is at
	// most PartSize × (UploadConcurrency + 1).
	PartSize          int64
	UploadConcurrency int
	// MaxAttempts is how many times one request is tried; MaxBackoff the
	// longest wait between two tries.
	MaxAttempts int
	MaxBackoff  time.Duration
	// ResponseTimeout bounds the wait for a response's headers, so that a
	// stalled connection is retried instead of hanging the run.
	ResponseTimeout time.Duration
}

// ParseS3URL splits s3://bucket/prefix.
func ParseS3URL(u string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(u, "s3://")
	if !ok {
		return "", "", fmt.Errorf("%q is not an s3:// URL", u)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("%q names no bucket; expected s3://bucket/prefix", u)
	}
	return bucket, strings.Trim(prefix, "/"), nil
}

func (o S3Options) withDefaults() S3Options {
	if o.PartSize == 0 {
		o.PartSize = DefaultPartSize
	}
	if o.UploadConcurrency == 0 {
		o.UploadConcurrency = DefaultUploadConcurrency
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = 20 * time.Second
	}
	if o.ResponseTimeout == 0 {
		o.ResponseTimeout = 2 * time.Minute
	}
	return o
}

// S3 is a warehouse in an S3 bucket under a prefix.
type S3 struct {
	opts   S3Options
	client *s3.Client
	creds  aws.CredentialsProvider
	region string
}

var (
	_ Store   = (*S3)(nil)
	_ Swapper = (*S3)(nil)
)

// NewS3 returns the store opts names. It does not contact S3.
func NewS3(ctx context.Context, opts S3Options) (*S3, error) {
	opts = opts.withDefaults()
	if opts.PartSize < MinPartSize || opts.PartSize > MaxPartSize {
		return nil, fmt.Errorf("s3 part size %d: expected between 5MiB and 5GiB", opts.PartSize)
	}
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.ResponseHeaderTimeout = opts.ResponseTimeout
		t.MaxIdleConnsPerHost = 4 * opts.UploadConcurrency
	})
	loadOpts := []func(*config.LoadOptions) error{
		config.WithHTTPClient(httpClient),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = opts.MaxAttempts
				o.MaxBackoff = opts.MaxBackoff
				o.Backoff = retry.NewExponentialJitterBackoff(opts.MaxBackoff)
				// A nightly job would rather wait than fail: no client-side
				// retry budget, every request gets all its attempts.
				o.RateLimiter = ratelimit.None
				o.Retryables = append(o.Retryables, retryConflict{})
			})
		}),
	}
	if opts.Region != "" {
		loadOpts = append(loadOpts, config.WithRegion(opts.Region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if opts.Endpoint != "" {
			o.BaseEndpoint = aws.String(opts.Endpoint)
		}
		o.UsePathStyle = opts.PathStyle
		// Checksums only where S3 requires them: S3-compatible servers
		// differ in their support of the newer trailing checksums.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	return &S3{opts: opts, client: client, creds: cfg.Credentials, region: cfg.Region}, nil
}

// retryConflict retries 409 ConditionalRequestConflict: S3's answer when two
// conditional writes to one key overlap. The retry then gets the real answer.
type retryConflict struct{}

func (retryConflict) IsErrorRetryable(err error) aws.Ternary {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusConflict {
		return aws.TrueTernary
	}
	return aws.UnknownTernary
}

// Credentials returns the credentials the AWS chain gives now, for a query
// engine that reads the same bucket. They must never be logged.
func (s *S3) Credentials(ctx context.Context) (aws.Credentials, error) {
	c, err := s.creds.Retrieve(ctx)
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("get AWS credentials for %s: %w", s, err)
	}
	return c, nil
}

// Region is the bucket's region as configured.
func (s *S3) Region() string { return s.region }

// Options returns the options the store was made with, defaults applied.
func (s *S3) Options() S3Options { return s.opts }

func (s *S3) String() string {
	if s.opts.Prefix == "" {
		return "s3://" + s.opts.Bucket
	}
	return "s3://" + s.opts.Bucket + "/" + s.opts.Prefix
}

func (s *S3) objectKey(key string) string {
	if s.opts.Prefix == "" {
		return key
	}
	return s.opts.Prefix + "/" + key
}

func (s *S3) storeKey(objectKey string) string {
	if s.opts.Prefix == "" {
		return objectKey
	}
	return strings.TrimPrefix(objectKey, s.opts.Prefix+"/")
}

// Location is the s3:// URL of key.
func (s *S3) Location(key string) string { return "s3://" + s.opts.Bucket + "/" + s.objectKey(key) }

func (s *S3) sse() (types.ServerSideEncryption, *string) {
	switch s.opts.SSE {
	case "AES256":
		return types.ServerSideEncryptionAes256, nil
	case "aws:kms":
		if s.opts.SSEKMSKeyID != "" {
			return types.ServerSideEncryptionAwsKms, aws.String(s.opts.SSEKMSKeyID)
		}
		return types.ServerSideEncryptionAwsKms, nil
	}
	return "", nil
}

// Create streams the object as a multipart upload: parts of PartSize are
// uploaded while later ones are written, at most UploadConcurrency at once,
// so memory stays at PartSize × (UploadConcurrency + 1) whatever the size.
// An object smaller than one part is sent with a single PUT on Commit.
func (s *S3) Create(ctx context.Context, key string) (Writer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	w := &s3Writer{s: s, ctx: ctx, key: key, free: make(chan []byte, s.opts.UploadConcurrency+1)}
	for range s.opts.UploadConcurrency + 1 {
		w.free <- nil // buffers are allocated on first use
	}
	w.buf = <-w.free
	return w, nil
}

// Open returns an object read with ranged GETs.
func (s *S3) Open(ctx context.Context, key string) (Object, error) {
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.opts.Bucket, Key: aws.String(s.objectKey(key))})
	if err != nil {
		return nil, s.fail("open", "HeadObject", key, err)
	}
	return &s3Object{s: s, ctx: ctx, key: key, size: aws.ToInt64(out.ContentLength)}, nil
}

// List pages through ListObjectsV2.
func (s *S3) List(ctx context.Context, prefix string) ([]Entry, error) {
	var out []Entry
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: &s.opts.Bucket, Prefix: aws.String(s.objectKey(prefix))})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, s.fail("list", "ListObjectsV2", prefix, err)
		}
		for _, o := range page.Contents {
			out = append(out, Entry{Key: s.storeKey(aws.ToString(o.Key)), Size: aws.ToInt64(o.Size), ModTime: aws.ToTime(o.LastModified)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// PutIfAbsent is a PUT with If-None-Match: *.
func (s *S3) PutIfAbsent(ctx context.Context, key string, data []byte) error {
	sse, kms := s.sse()
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &s.opts.Bucket, Key: aws.String(s.objectKey(key)), Body: bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))), IfNoneMatch: aws.String("*"),
		ServerSideEncryption: sse, SSEKMSKeyId: kms,
	})
	if isStatus(err, http.StatusPreconditionFailed) {
		return fmt.Errorf("create %s: %w", s.Location(key), ErrExists)
	}
	if err != nil {
		return s.fail("create", "PutObject", key, err)
	}
	return nil
}

// ReadVersion returns the object and its ETag.
func (s *S3) ReadVersion(ctx context.Context, key string) ([]byte, string, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.opts.Bucket, Key: aws.String(s.objectKey(key))})
	if err != nil {
		return nil, "", s.fail("read", "GetObject", key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, "", fmt.Errorf("read %s: %w", s.Location(key), err)
	}
	return data, aws.ToString(out.ETag), nil
}

// ReplaceIfMatch is a PUT with If-Match: version.
func (s *S3) ReplaceIfMatch(ctx context.Context, key string, data []byte, version string) (string, error) {
	sse, kms := s.sse()
	out, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &s.opts.Bucket, Key: aws.String(s.objectKey(key)), Body: bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))), IfMatch: aws.String(version),
		ServerSideEncryption: sse, SSEKMSKeyId: kms,
	})
	if isStatus(err, http.StatusPreconditionFailed) || isStatus(err, http.StatusNotFound) {
		return "", fmt.Errorf("replace %s: %w", s.Location(key), ErrChanged)
	}
	if err != nil {
		return "", s.fail("replace", "PutObject", key, err)
	}
	return aws.ToString(out.ETag), nil
}

// Copy is a server-side CopyObject, or UploadPartCopy for objects larger
// than CopyObject allows (5 GiB).
func (s *S3) Copy(ctx context.Context, src, dst string) error {
	head, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.opts.Bucket, Key: aws.String(s.objectKey(src))})
	if err != nil {
		return s.fail("copy", "HeadObject", src, err)
	}
	source := url.PathEscape(s.opts.Bucket) + "/" + escapeKey(s.objectKey(src))
	sse, kms := s.sse()
	size := aws.ToInt64(head.ContentLength)
	if size <= MaxPartSize {
		_, err = s.client.CopyObject(ctx, &s3.CopyObjectInput{
			Bucket: &s.opts.Bucket, Key: aws.String(s.objectKey(dst)), CopySource: aws.String(source),
			ServerSideEncryption: sse, SSEKMSKeyId: kms,
		})
		if err != nil {
			return s.fail("copy "+s.Location(src)+" to", "CopyObject", dst, err)
		}
		return nil
	}
	up, err := s.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: &s.opts.Bucket, Key: aws.String(s.objectKey(dst)), ServerSideEncryption: sse, SSEKMSKeyId: kms,
	})
	if err != nil {
		return s.fail("copy "+s.Location(src)+" to", "CreateMultipartUpload", dst, err)
	}
	var parts []types.CompletedPart
	for off, n := int64(0), int32(1); off < size; off, n = off+copyPartSize, n+1 {
		end := min(off+copyPartSize, size) - 1
		out, err := s.client.UploadPartCopy(ctx, &s3.UploadPartCopyInput{
			Bucket: &s.opts.Bucket, Key: aws.String(s.objectKey(dst)), UploadId: up.UploadId, PartNumber: aws.Int32(n),
			CopySource: aws.String(source), CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", off, end)),
		})
		if err != nil {
			s.abortUpload(dst, up.UploadId)
			return s.fail("copy "+s.Location(src)+" to", "UploadPartCopy", dst, err)
		}
		parts = append(parts, types.CompletedPart{ETag: out.CopyPartResult.ETag, PartNumber: aws.Int32(n)})
	}
	_, err = s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &s.opts.Bucket, Key: aws.String(s.objectKey(dst)), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		s.abortUpload(dst, up.UploadId)
		return s.fail("copy "+s.Location(src)+" to", "CompleteMultipartUpload", dst, err)
	}
	return nil
}

func escapeKey(k string) string {
	parts := strings.Split(k, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

// Delete removes the key prefix, every object under prefix+"/" (or under
// prefix when it ends in "/"), and aborts the incomplete multipart uploads
// there, so that a killed run leaves no hidden parts behind.
func (s *S3) Delete(ctx context.Context, prefix string) error {
	if prefix == "" || prefix == "/" {
		return errors.New("delete: refusing to delete the whole warehouse")
	}
	folder := prefix
	if !strings.HasSuffix(folder, "/") {
		folder += "/"
	}
	entries, err := s.List(ctx, folder)
	if err != nil {
		return fmt.Errorf("delete %s: %w", s.Location(prefix), err)
	}
	keys := make([]string, 0, len(entries)+1)
	if !strings.HasSuffix(prefix, "/") {
		keys = append(keys, prefix)
	}
	for _, e := range entries {
		keys = append(keys, e.Key)
	}
	for len(keys) > 0 {
		n := min(len(keys), maxDeleteBatch)
		ids := make([]types.ObjectIdentifier, n)
		for i, k := range keys[:n] {
			ids[i] = types.ObjectIdentifier{Key: aws.String(s.objectKey(k))}
		}
		out, err := s.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: &s.opts.Bucket, Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)},
		})
		if err != nil {
			return s.fail("delete", "DeleteObject", prefix, err)
		}
		if len(out.Errors) > 0 {
			e := out.Errors[0]
			return fmt.Errorf("delete s3://%s/%s: %s: %s (%d of %d objects failed)", s.opts.Bucket, aws.ToString(e.Key),
				aws.ToString(e.Code), aws.ToString(e.Message), len(out.Errors), n)
		}
		keys = keys[n:]
	}
	return s.abortUploads(ctx, prefix, folder)
}

// abortUploads aborts every incomplete multipart upload at key or under
// folder.
func (s *S3) abortUploads(ctx context.Context, key, folder string) error {
	uploads, err := s.Uploads(ctx, key)
	if err != nil {
		return err
	}
	for _, u := range uploads {
		if u.Key != key && !strings.HasPrefix(u.Key, folder) {
			continue
		}
		_, err := s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
			Bucket: &s.opts.Bucket, Key: aws.String(s.objectKey(u.Key)), UploadId: aws.String(u.ID),
		})
		if err != nil && !isStatus(err, http.StatusNotFound) {
			return s.fail("abort upload of", "AbortMultipartUpload", u.Key, err)
		}
	}
	return nil
}

// Upload is an incomplete multipart upload.
type Upload struct {
	Key string
	ID  string
}

// Uploads lists the incomplete multipart uploads under prefix.
func (s *S3) Uploads(ctx context.Context, prefix string) ([]Upload, error) {
	var out []Upload
	in := &s3.ListMultipartUploadsInput{Bucket: &s.opts.Bucket, Prefix: aws.String(s.objectKey(prefix))}
	for {
		page, err := s.client.ListMultipartUploads(ctx, in)
		if err != nil {
			return nil, s.fail("list uploads under", "ListMultipartUploads", prefix, err)
		}
		for _, u := range page.Uploads {
			out = append(out, Upload{Key: s.storeKey(aws.ToString(u.Key)), ID: aws.ToString(u.UploadId)})
		}
		if !aws.ToBool(page.IsTruncated) {
			return out, nil
		}
		in.KeyMarker, in.UploadIdMarker = page.NextKeyMarker, page.NextUploadIdMarker
	}
}

func (s *S3) abortUpload(key string, id *string) {
	// Runs after a failure, often a cancelled ctx: the abort must still run.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &s.opts.Bucket, Key: aws.String(s.objectKey(key)), UploadId: id})
}
