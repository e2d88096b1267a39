package lake

import (
	"slices"
	"sync"
	"testing"

	"github.com/lake-engine/lake/loaders"
)

// rangesOf makes ranges of the given numbers of chunks of one page each,
// the pages numbered on from range to range.
func rangesOf(sizes ...int) [][]loaders.Query {
	var out [][]loaders.Query
	page := int64(0)
	for _, n := range sizes {
		r := []loaders.Query{}
		for range n {
			r = append(r, loaders.Query{Table: "t", Blocks: &loaders.BlockRange{First: page, Last: page + 1}})
			page++
		}
		out = append(out, r)
	}
	return out
}

// A range's reader reads its own neighbouring chunks in order; once they
// are done it takes the last chunk of the range with the most left.
func TestChunkQueueTakesFromTheEndOfTheRangeWithMostLeft(t *testing.T) {
	q := newChunkQueue(rangesOf(3, 3, 4)) // pages 0-2, 3-5, 6-9
	type step struct {
		page  int64
		taken bool
	}
	take := func(i int) step {
		t.Helper()
		c, taken, ok := q.next(i)
		if !ok {
			t.Fatalf("range %d: no chunk left", i)
		}
		return step{c.Blocks.First, taken}
	}
	var got []step
	for range 3 {
		got = append(got, take(0))
	}
	got = append(got, take(1))
	// Range 0 is done: range 2 has 4 chunks left, range 1 two.
	got = append(got, take(0), take(0))
	// Now ranges 1 and 2 have two left each: the first of them gives.
	got = append(got, take(0))
	want := []step{{0, false}, {1, false}, {2, false}, {3, false}, {9, true}, {8, true}, {5, true}}
	if !slices.Equal(got, want) {
		t.Fatalf("chunks taken %v, want %v", got, want)
	}
	// Pages 4, 6 and 7 are left, each for exactly one reader.
	var rest []int64
	for i := range 3 {
		for {
			c, _, ok := q.next(i)
			if !ok {
				break
			}
			rest = append(rest, c.Blocks.First)
		}
	}
	slices.Sort(rest)
	if !slices.Equal(rest, []int64{4, 6, 7}) {
		t.Fatalf("the rest of the chunks were %v, want [4 6 7]", rest)
	}
}

// Readers taking chunks at once get every chunk exactly once.
func TestChunkQueueHandsOutEachChunkOnce(t *testing.T) {
	const chunks, ranges = 1000, 7
	sizes := make([]int, ranges)
	for i := range sizes {
		sizes[i] = (i+1)*chunks/ranges - i*chunks/ranges
	}
	q := newChunkQueue(rangesOf(sizes...))
	seen := make([][]int64, ranges)
	var wg sync.WaitGroup
	for i := range ranges {
		wg.Go(func() {
			for {
				c, _, ok := q.next(i)
				if !ok {
					return
				}
				seen[i] = append(seen[i], c.Blocks.First)
			}
		})
	}
	wg.Wait()
	var all []int64
	for _, s := range seen {
		all = append(all, s...)
	}
	slices.Sort(all)
	if len(all) != chunks {
		t.Fatalf("%d chunks handed out, want %d", len(all), chunks)
	}
	for i, p := range all {
		if p != int64(i) {
			t.Fatalf("page %d handed out twice or page %d never", p, i)
		}
	}
}

// A range without chunks of its own takes from the others.
func TestChunkQueueWithAnEmptyRange(t *testing.T) {
	q := newChunkQueue(rangesOf(1, 1, 0))
	var pages []int64
	for i := range 3 {
		if c, _, ok := q.next(i); ok {
			pages = append(pages, c.Blocks.First)
		}
	}
	if !slices.Equal(pages, []int64{0, 1}) {
		t.Fatalf("got pages %v, want [0 1]", pages)
	}
}
