package parquetfile_test

import (
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lake-engine/lake/loaders/parquetfile"
)

// lineitemLike has the shape of TPC-H lineitem, the table where encoding
// costs lake the most: keys, decimals, dates, short codes and a comment.
var lineitemLike = arrow.NewSchema([]arrow.Field{
	nullable("orderkey", arrow.PrimitiveTypes.Int64),
	nullable("partkey", arrow.PrimitiveTypes.Int64),
	nullable("quantity", &arrow.Decimal128Type{Precision: 15, Scale: 2}),
	nullable("extendedprice", &arrow.Decimal128Type{Precision: 15, Scale: 2}),
	nullable("discount", &arrow.Decimal128Type{Precision: 15, Scale: 2}),
	nullable("returnflag", arrow.BinaryTypes.String),
	nullable("shipdate", arrow.FixedWidthTypes.Date32),
	nullable("shipinstruct", arrow.BinaryTypes.String),
	nullable("shipmode", arrow.BinaryTypes.String),
	nullable("comment", arrow.BinaryTypes.String),
}, nil)

func lineitemBatches(rows, batchRows int) []arrow.RecordBatch {
	rng := rand.New(rand.NewPCG(5, 6))
	flags := []string{"A", "N", "R"}
	instructs := []string{"DELIVER IN PERSON", "COLLECT COD", "NONE", "TAKE BACK RETURN"}
	modes := []string{"AIR", "MAIL", "RAIL", "SHIP", "TRUCK", "REG AIR", "FOB"}
	lorem := []string{"carefully", "final", "deposits", "sleep", "furiously", "regular", "packages", "haggle", "blithely", "ironic"}
	var out []arrow.RecordBatch
	for row := 0; row < rows; {
		b := array.NewRecordBuilder(memory.DefaultAllocator, lineitemLike)
		for range min(batchRows, rows-row) {
			b.Field(0).(*array.Int64Builder).Append(int64(row/4 + 1))
			b.Field(1).(*array.Int64Builder).Append(rng.Int64N(200000))
			b.Field(2).(*array.Decimal128Builder).Append(decimal128.FromI64(int64(rng.IntN(50)+1) * 100))
			b.Field(3).(*array.Decimal128Builder).Append(decimal128.FromI64(rng.Int64N(10000000)))
			b.Field(4).(*array.Decimal128Builder).Append(decimal128.FromI64(int64(rng.IntN(11))))
			b.Field(5).(*array.StringBuilder).Append(flags[rng.IntN(len(flags))])
			b.Field(6).(*array.Date32Builder).Append(arrow.Date32(8000 + rng.IntN(2500)))
			b.Field(7).(*array.StringBuilder).Append(instructs[rng.IntN(len(instructs))])
			b.Field(8).(*array.StringBuilder).Append(modes[rng.IntN(len(modes))])
			b.Field(9).(*array.StringBuilder).Append(lorem[rng.IntN(10)] + " " + lorem[rng.IntN(10)] + " " + lorem[rng.IntN(10)])
			row++
		}
		out = append(out, b.NewRecordBatch())
		b.Release()
	}
	return out
}

type discard struct{ io.Writer }

func (discard) Commit() error { return nil }
func (discard) Abort()        {}

// BenchmarkWriterLineitem encodes 1M lineitem-like rows (in memory, no
// source) with one encoder goroutine and with GOMAXPROCS of them, and
// prints rows/s and CPU-seconds per million rows: the parallel columns
// should cut wall time by up to the core count at the same CPU.
func BenchmarkWriterLineitem(b *testing.B) {
	const rows = 1_000_000
	batches := lineitemBatches(rows, 16*1024)
	defer func() {
		for _, r := range batches {
			r.Release()
		}
	}()
	for _, encoders := range []int{1, runtime.GOMAXPROCS(0)} {
		b.Run(fmt.Sprintf("encoders=%d", encoders), func(b *testing.B) {
			var bytes int64
			cpu0 := cpuTime()
			start := time.Now()
			for range b.N {
				files := writeWith(b, parquetfile.Options{Encoders: encoders}, func(int) (string, parquetfile.Destination, error) {
					return "bench.parquet", discard{io.Discard}, nil
				}, lineitemLike, batches...)
				bytes = files[0].Bytes
			}
			wall := time.Since(start).Seconds() / float64(b.N)
			cpu := (cpuTime() - cpu0).Seconds() / float64(b.N)
			b.ReportMetric(rows/wall, "rows/s")
			b.ReportMetric(cpu, "cpu-s/1M-rows")
			b.ReportMetric(float64(bytes)/1e6, "MB-out")
		})
	}
}

// cpuTime is the CPU time the process has used so far, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
