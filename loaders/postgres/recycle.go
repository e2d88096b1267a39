package postgres

import (
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// recycler gives a column back the value buffers of its earlier batches
// once the sink has released them, for its next batches: a read makes a
// batch every 16,384 rows, and allocating its buffers anew each time had
// Go zero and fault in some 2 MB a batch, left as much garbage for the
// collector, and cost 3-6% of lake's CPU time on the bench's tables.
//
// It is the memory.Allocator of the buffers it hands out
// (memory.NewBufferWithAllocator): Arrow calls Free once the last array
// holding a buffer is released, and not before, so a buffer is only
// reused when nothing reads it any more. It keeps at most recycled
// buffers; others go to the garbage collector.
type recycler struct {
	free chan []byte
}

// recycled is how many released buffers a column keeps. One is enough:
// the sink releases batches one at a time, and the column takes a buffer
// back for each batch it starts. Keeping more only kept more memory
// (measured with 2 and 4 on TPC-H lineitem and the bench's orders).
const recycled = 1

func newRecycler() *recycler { return &recycler{free: make(chan []byte, recycled)} }

// get returns an empty slice of capacity n or more: a released buffer if
// one is big enough, a new one otherwise.
func (r *recycler) get(n int) []byte {
	select {
	case b := <-r.free:
		if cap(b) >= n {
			return b[:0]
		}
	default:
	}
	return make([]byte, 0, n)
}

// buffer wraps b, which came from get, as an Arrow buffer that comes back
// to r once released.
func (r *recycler) buffer(b []byte) *memory.Buffer { return memory.NewBufferWithAllocator(b, r) }

// Free takes back a released buffer, or lets it go if r holds enough.
func (r *recycler) Free(b []byte) {
	select {
	case r.free <- b:
	default:
	}
}

// Allocate and Reallocate complete memory.Allocator; Arrow does not call
// them for a buffer it did not allocate, which these never are.
func (r *recycler) Allocate(n int) []byte { return r.get(n)[:n] }

func (r *recycler) Reallocate(n int, b []byte) []byte {
	nb := r.Allocate(n)
	copy(nb, b)
	r.Free(b)
	return nb
}

// valuesOf views b's memory (its capacity too) as values of type T, which
// holds no pointers.
func valuesOf[T fixedValue](b []byte) []T {
	var zero T
	size := int(unsafe.Sizeof(zero))
	if cap(b) < size {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), cap(b)/size)[:0]
}

// bytesOf is the memory of vals as bytes: its values, with its capacity
// kept for the recycler.
func bytesOf[T fixedValue](vals []T) []byte {
	var zero T
	size := int(unsafe.Sizeof(zero))
	if cap(vals) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(vals))), cap(vals)*size)[:len(vals)*size]
}
