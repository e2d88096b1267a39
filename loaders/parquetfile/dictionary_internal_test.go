package parquetfile

import (
	"fmt"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// intDict and stringDict keep up with arrow-go's dictionary: after batches
// that bring new values (written through arrow-go, then learned), both
// dictionaries hold every distinct value of the row group, and the batches
// after them go as indices again. A dense key, a key too spread out for
// intDict's lookup table (a map) and a string are checked.
func TestDictionariesFollowNewValues(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "dense", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "spread", Type: &arrow.Decimal128Type{Precision: 18, Scale: 0}, Nullable: true},
		{Name: "word", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	props := parquet.NewWriterProperties(parquet.WithStoreDecimalAsInteger(true), parquet.WithStats(true))
	enc, err := newFileEncoder(schema, io.Discard, props, pqarrow.DefaultWriterProps(), 1)
	if err != nil {
		t.Fatal(err)
	}
	distinct := map[int64]bool{}
	for batch, vocab := range []int64{10, 10, 25, 25, 25, 60, 60} {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for i := range int64(300) {
			v := (i*7 + int64(batch)) % vocab
			if i%13 == 0 {
				b.Field(0).AppendNull()
				b.Field(1).AppendNull()
				b.Field(2).AppendNull()
				continue
			}
			distinct[v] = true
			b.Field(0).(*array.Int32Builder).Append(int32(v))
			b.Field(1).(*array.Decimal128Builder).Append(decimal128.FromI64(v * 1e12))
			b.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("word %d", v))
		}
		rec := b.NewRecordBatch()
		b.Release()
		err := enc.write(rec)
		rec.Release()
		if err != nil {
			t.Fatalf("batch %d: %v", batch, err)
		}
		for i, c := range enc.cols {
			cw, err := enc.rg.Column(i)
			if err != nil {
				t.Fatal(err)
			}
			var size int
			var lost, mapped bool
			switch d := c.dict.(type) {
			case *intDict[int32]:
				size, lost, mapped = len(d.dict), d.lost, d.index != nil
			case *intDict[int64]:
				size, lost, mapped = len(d.dict), d.lost, d.index != nil
			case *stringDict:
				size, lost = len(d.values), d.lost
			default:
				t.Fatalf("column %s: dictWriter %T", c.name, c.dict)
			}
			if lost || size != len(distinct) || cw.CurrentEncoder().(dictionaryEncoder).NumEntries() != size {
				t.Fatalf("batch %d, column %s: lake's dictionary has %d values (lost: %v), arrow-go %d, the row group %d",
					batch, c.name, size, lost, cw.CurrentEncoder().(dictionaryEncoder).NumEntries(), len(distinct))
			}
			if want := c.name == "spread"; mapped != want && c.name != "word" {
				t.Errorf("column %s: looked up in a map: %v, want %v", c.name, mapped, want)
			}
		}
	}
	if err := enc.close(); err != nil {
		t.Fatal(err)
	}
}

// stringDict's probe table must find every value of its dictionary and no
// other: a few codes (one per slot, found by one comparison), the empty
// string, values that differ only in bytes the probe does not hash, and
// thousands of values (slots shared, found through the map).
func TestStringDictLookup(t *testing.T) {
	var many, absent []string
	for i := range 5000 {
		many = append(many, fmt.Sprintf("a%05db", i))
		absent = append(absent, fmt.Sprintf("a%05dc", i), fmt.Sprintf("x%05db", i))
	}
	codes := []string{"", "AIR", "MAIL", "RAIL", "REG AIR", "TRUCK"}
	absent = append(absent, "AIR ", "MAIR", "R", "REG_AIR", "TRUCKS", "A",
		"TAUBK", "MOIL", "RAB CDR") // hashed as TRUCK, MAIL, REG AIR
	for _, vocab := range [][]string{codes, many} {
		d := newStringDict(arrow.BinaryTypes.String)
		for _, v := range vocab {
			d.add(v)
		}
		for want, v := range vocab {
			if id, ok := d.lookup([]byte(v)); !ok || int(id) != want {
				t.Fatalf("lookup(%q) = %d, %v; want %d", v, id, ok, want)
			}
		}
		for _, v := range absent {
			if id, ok := d.lookup([]byte(v)); ok {
				t.Fatalf("lookup(%q) = %d, found; it is not in the dictionary", v, id)
			}
		}
		d.reset()
		if _, ok := d.lookup([]byte(vocab[1])); ok {
			t.Fatal("a value was found after reset")
		}
	}
}
