package parquetfile

import (
	"sync"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/klauspost/compress/zstd"
)

// pageWindow is the zstd window of page compression. A window only helps
// within one EncodeAll call, and a page is at most about 1 MiB (arrow-go's
// data and dictionary page limits), so a larger one brings nothing.
const pageWindow = 1 << 20

// zstdPages compresses Parquet pages with zstd; it replaces arrow-go's zstd
// codec at init, through compress.RegisterCodec, arrow-go's way to supply a
// codec. The frames are ordinary zstd; decoding stays arrow-go's.
//
// It exists for memory. arrow-go keeps its encoders in a sync.Pool, which
// every garbage collection empties, and each new encoder sizes its history
// for zstd's default 8 MiB window: 16 MiB allocated and zeroed per encoder,
// again after every collection, for pages of 1 MiB (TPC-H lineitem: 48 MB
// of a 160 MB heap). zstdPages keeps its encoders for good, as many as
// have ever compressed at the same time, with a 1 MiB window.
type zstdPages struct {
	compress.Codec // arrow-go's, for decoding

	mu   sync.Mutex
	free map[zstd.EncoderLevel][]*zstd.Encoder
}

func init() {
	codec, err := compress.GetCodec(compress.Codecs.Zstd)
	if err != nil {
		panic(err) // arrow-go registers zstd in its own init
	}
	compress.RegisterCodec(compress.Codecs.Zstd, &zstdPages{Codec: codec, free: map[zstd.EncoderLevel][]*zstd.Encoder{}})
}

func (z *zstdPages) Encode(dst, src []byte) []byte {
	return z.EncodeLevel(dst, src, compress.DefaultCompressionLevel)
}

// EncodeLevel maps levels as arrow-go does: the default level is zstd's
// SpeedDefault, any other a zstd level.
func (z *zstdPages) EncodeLevel(dst, src []byte, level int) []byte {
	l := zstd.SpeedDefault
	if level != compress.DefaultCompressionLevel {
		l = zstd.EncoderLevelFromZstd(level)
	}
	enc := z.get(l)
	defer z.put(l, enc)
	return enc.EncodeAll(src, dst[:0])
}

// DecodeWithError keeps arrow-go's error reporting for bad frames.
func (z *zstdPages) DecodeWithError(dst, src []byte) ([]byte, error) {
	return compress.Decode(z.Codec, dst, src)
}

func (z *zstdPages) get(l zstd.EncoderLevel) *zstd.Encoder {
	z.mu.Lock()
	free := z.free[l]
	if n := len(free); n > 0 {
		enc := free[n-1]
		z.free[l] = free[:n-1]
		z.mu.Unlock()
		return enc
	}
	z.mu.Unlock()
	enc, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(l),
		zstd.WithWindowSize(pageWindow),
		zstd.WithEncoderConcurrency(1),
		zstd.WithZeroFrames(true),
		zstd.WithAllLitEntropyCompression(true))
	if err != nil {
		panic(err) // only for invalid options, which these are not
	}
	return enc
}

func (z *zstdPages) put(l zstd.EncoderLevel, enc *zstd.Encoder) {
	z.mu.Lock()
	z.free[l] = append(z.free[l], enc)
	z.mu.Unlock()
}
