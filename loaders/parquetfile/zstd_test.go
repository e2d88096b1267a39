package parquetfile

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/compress"
	kzstd "github.com/klauspost/compress/zstd"
)

// Pages lake compresses must decode with the pure-Go zstd that arrow-go
// and other Go readers use, whatever their content: text that compresses,
// random bytes that do not, a page of one byte, an empty page.
func TestZstdPagesDecodeWithGoZstd(t *testing.T) {
	codec, err := compress.GetCodec(compress.Codecs.Zstd)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := codec.(*zstdPages); !ok {
		t.Fatalf("zstd codec is %T, not lake's", codec)
	}
	rng := rand.New(rand.NewPCG(1, uint64(len(t.Name()))))
	random := make([]byte, 1<<20)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	words := strings.Fields("quickly final deposits sleep furiously among the pending accounts blithely ironic")
	var text strings.Builder
	for text.Len() < 1<<20 {
		text.WriteString(words[rng.IntN(len(words))])
		text.WriteByte(' ')
	}
	goDecoder, err := kzstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer goDecoder.Close()
	for name, page := range map[string][]byte{
		"text": []byte(text.String()), "random": random, "one byte": {42}, "empty": {},
	} {
		for _, level := range []int{compress.DefaultCompressionLevel, 1, 9} {
			buf := make([]byte, 0, codec.CompressBound(int64(max(len(page), 1))))
			frame := codec.EncodeLevel(buf, page, level)
			if name == "text" && len(frame) > len(page)/3 {
				t.Errorf("%s at level %d: %d bytes compressed to %d", name, level, len(page), len(frame))
			}
			got, err := goDecoder.DecodeAll(frame, nil)
			if err != nil {
				t.Fatalf("%s at level %d: %v", name, level, err)
			}
			if !bytes.Equal(got, page) {
				t.Fatalf("%s at level %d: decoded %d bytes, not the %d compressed", name, level, len(got), len(page))
			}
			back, err := compress.Decode(codec, make([]byte, len(page)), frame)
			if err != nil || !bytes.Equal(back, page) {
				t.Fatalf("%s at level %d: arrow-go's decoder: %v", name, level, err)
			}
		}
	}
}
