package parquetfile

import (
	"testing"
	"unsafe"
)

func aligned(b []byte) bool { return uintptr(unsafe.Pointer(unsafe.SliceData(b)))%alignment == 0 }

// Buffers come back zeroed, aligned and in their power-of-two class; a
// freed one is handed out again; Reallocate keeps the contents.
func TestPageAllocatorReusesFreedBuffers(t *testing.T) {
	p := &pageAllocator{}
	for _, n := range []int{1, 63, 64, 65, 1000, 1 << 20, 1<<20 + 1} {
		b := p.Allocate(n)
		if len(b) != n || cap(b) != 1<<class(n) || cap(b) < n || !aligned(b) {
			t.Fatalf("Allocate(%d): len %d cap %d aligned %v", n, len(b), cap(b), aligned(b))
		}
		for i := range b {
			b[i] = 0xff
		}
		// sync.Pool may drop what it holds (a collection, another P,
		// the race detector at random): of many tries, some must reuse
		// the buffer freed, and every reuse must come back zeroed.
		reused := 0
		for range 100 {
			p.Free(b)
			again := p.Allocate(n)
			if unsafe.SliceData(again) == unsafe.SliceData(b) {
				reused++
				for i, v := range again {
					if v != 0 {
						t.Fatalf("Allocate(%d) after Free: byte %d is %#x, want 0", n, i, v)
					}
				}
			}
			b = again
			for i := range b {
				b[i] = 0xff
			}
		}
		if reused == 0 {
			t.Fatalf("Allocate(%d): a freed buffer was never handed out again in 100 tries", n)
		}
	}

	b := p.Allocate(100)
	copy(b, "lake")
	b = p.Reallocate(120, b) // within its 128 bytes
	if string(b[:4]) != "lake" || len(b) != 120 || b[119] != 0 {
		t.Fatalf("Reallocate within the capacity: %q... len %d", b[:4], len(b))
	}
	b[119] = 1
	b = p.Reallocate(110, b)
	b = p.Reallocate(128, b)
	if b[119] != 0 {
		t.Fatal("Reallocate did not zero the bytes it gave back")
	}
	grown := p.Reallocate(1000, b)
	if string(grown[:4]) != "lake" || len(grown) != 1000 || cap(grown) != 1024 || !aligned(grown) {
		t.Fatalf("Reallocate to 1000: %q... len %d cap %d", grown[:4], len(grown), cap(grown))
	}

	// Not one of its buffers: not pooled.
	p = &pageAllocator{}
	p.Free(make([]byte, 100))
	if got := p.classes[class(100)].Get(); got != nil {
		t.Fatalf("a foreign 100-byte buffer was pooled")
	}
	if p.Allocate(0) != nil {
		t.Fatal("Allocate(0) is not nil")
	}
}
