package warehouse

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// permissions names the IAM action each S3 call needs, for errors that say
// which permission is missing.
var permissions = map[string]string{
	"HeadObject":              "s3:GetObject",
	"GetObject":               "s3:GetObject",
	"PutObject":               "s3:PutObject",
	"CreateMultipartUpload":   "s3:PutObject",
	"UploadPart":              "s3:PutObject",
	"CompleteMultipartUpload": "s3:PutObject",
	"CopyObject":              "s3:GetObject on the source and s3:PutObject",
	"UploadPartCopy":          "s3:GetObject on the source and s3:PutObject",
	"ListObjectsV2":           "s3:ListBucket",
	"DeleteObject":            "s3:DeleteObject",
	"AbortMultipartUpload":    "s3:AbortMultipartUpload",
	"ListMultipartUploads":    "s3:ListBucketMultipartUploads",
}

// fail turns an SDK error of operation op on key into an error that names
// the bucket and key and, for 403 and 404, says what to fix. A missing key
// satisfies errors.Is(err, ErrNotExist).
func (s *S3) fail(action, op, key string, err error) error {
	where := s.Location(key)
	var ae smithy.APIError
	code := ""
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	switch {
	case code == "NoSuchBucket":
		return fmt.Errorf("%s %s: bucket %s does not exist; create it or fix the warehouse URL", action, where, s.opts.Bucket)
	case code == "NoSuchKey" || code == "NotFound" || (isStatus(err, http.StatusNotFound) && code != "NoSuchUpload"):
		return fmt.Errorf("%s %s: %w", action, where, ErrNotExist)
	case code == "AccessDenied" || isStatus(err, http.StatusForbidden):
		need := permissions[op]
		if s.opts.SSE == "aws:kms" && strings.Contains(need, "s3:PutObject") {
			need += " (and kms:GenerateDataKey on the SSE key)"
		} else if s.opts.SSE == "aws:kms" && strings.Contains(need, "s3:GetObject") {
			need += " (and kms:Decrypt on the SSE key)"
		}
		return fmt.Errorf("%s %s: access denied (%s); the credentials from the AWS chain need %s on bucket %s: %w",
			action, where, op, need, s.opts.Bucket, err)
	}
	var me *retry.MaxAttemptsError
	if errors.As(err, &me) {
		return fmt.Errorf("%s %s: S3 at %s still failing after %d attempts, giving up; check the endpoint and S3's health: %w",
			action, where, s.endpoint(), me.Attempt, err)
	}
	return fmt.Errorf("%s %s: %w", action, where, err)
}

func (s *S3) endpoint() string {
	if s.opts.Endpoint != "" {
		return s.opts.Endpoint
	}
	return "AWS (" + s.region + ")"
}

func isStatus(err error, code int) bool {
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == code
}
