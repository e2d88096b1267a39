package loaders

import (
	"errors"

	"github.com/apache/arrow-go/v18/arrow"
)

// PipeSink is a RecordSink that hands each batch to another sink on a
// goroutine of its own, so that the source's next batch is read and decoded
// while this one is encoded: on a source that sends as fast as it can
// (PostgreSQL's COPY), a read that stopped to encode would leave the server
// waiting. At most depth batches wait between the two, which bounds the
// extra memory to depth batches.
//
// Begin and Write are called from one goroutine, as for any sink; Close is
// called once after the last Write, even when the read failed, and returns
// the first error of the inner sink.
type PipeSink struct {
	sink   RecordSink
	depth  int
	batch  chan arrow.RecordBatch
	failed chan struct{} // closed when the inner sink failed
	done   chan struct{} // closed when the goroutine has ended
	err    error         // the inner sink's error; read after failed or done
	closed bool
}

var _ RecordSink = (*PipeSink)(nil)

// NewPipeSink returns a PipeSink in front of sink with room for depth
// waiting batches (at least 1).
func NewPipeSink(sink RecordSink, depth int) *PipeSink {
	return &PipeSink{sink: sink, depth: max(1, depth)}
}

// Begin passes the schema on and starts the goroutine that writes batches.
func (p *PipeSink) Begin(schema *arrow.Schema, cols []Column) error {
	if p.batch != nil {
		return errors.New("pipe sink: Begin called twice")
	}
	if err := p.sink.Begin(schema, cols); err != nil {
		return err
	}
	p.batch = make(chan arrow.RecordBatch, p.depth)
	p.failed = make(chan struct{})
	p.done = make(chan struct{})
	go p.run()
	return nil
}

func (p *PipeSink) run() {
	defer close(p.done)
	for rec := range p.batch {
		if p.err == nil {
			if err := p.sink.Write(rec); err != nil {
				p.err = err
				close(p.failed)
			}
		}
		rec.Release()
	}
}

// Write queues rec (retained until it is written) and returns at once, or
// returns the inner sink's error if it has failed.
func (p *PipeSink) Write(rec arrow.RecordBatch) error {
	if p.batch == nil {
		return errors.New("pipe sink: Write before Begin")
	}
	select {
	case <-p.failed:
		return p.err
	default:
	}
	rec.Retain()
	select {
	case p.batch <- rec:
		return nil
	case <-p.failed:
		rec.Release()
		return p.err
	}
}

// Close waits until every queued batch is written and returns the inner
// sink's error, if any. It does not close the inner sink.
func (p *PipeSink) Close() error {
	if p.batch == nil || p.closed {
		return p.err
	}
	p.closed = true
	close(p.batch)
	<-p.done
	return p.err
}
