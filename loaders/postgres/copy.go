package postgres

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// copySignature opens every COPY ... (FORMAT binary) stream.
var copySignature = []byte("PGCOPY\n\xff\r\n\x00")

// copyHasOIDs is the header flag of a stream whose tuples carry OIDs; a
// COPY of a SELECT never sets it.
const copyHasOIDs = 1 << 16

// copyDecoder parses a binary COPY stream as the connection receives it and
// appends each tuple to the columns. It is the io.Writer that
// pgconn.CopyTo writes each CopyData message to: a message is decoded while
// it is in hand, and only a tuple split across messages is copied (into a
// buffer reused for the whole stream), so memory stays bounded by one batch.
//
// After the first error it swallows the rest of the stream instead of
// failing Write: a failed Write makes pgconn close the connection, which
// would lose the snapshot. onError is called once, to cancel the COPY.
type copyDecoder struct {
	name    string
	cols    []resolvedColumn
	columns []column
	// A batch ends at batchRows tuples or once its tuples hold batchBytes
	// bytes of the stream.
	batchRows  int
	batchBytes int
	// flush hands over the batch of rows rows in columns.
	flush   func(rows int) error
	onError func()

	carry   []byte // start of a tuple split across messages
	header  bool   // the header has been parsed
	trailer bool   // the -1 trailer has been seen
	row     int64
	inBatch int
	inBytes int
	err     error
}

func (d *copyDecoder) Write(p []byte) (int, error) {
	if d.err != nil {
		return len(p), nil
	}
	buf := p
	if len(d.carry) > 0 {
		d.carry = append(d.carry, p...)
		buf = d.carry
	}
	n, err := d.consume(buf)
	if err != nil {
		d.err = err
		d.carry = d.carry[:0]
		d.onError()
		return len(p), nil
	}
	rest := buf[n:]
	if len(d.carry) > 0 {
		d.carry = d.carry[:copy(d.carry, rest)]
	} else {
		d.carry = append(d.carry, rest...)
	}
	return len(p), nil
}

// consume decodes the complete header and tuples at the start of buf and
// returns how many bytes it used; an incomplete one waits for more bytes.
func (d *copyDecoder) consume(buf []byte) (int, error) {
	pos := 0
	if !d.header {
		const fixed = 11 + 4 + 4 // signature, flags, extension length
		if len(buf) < fixed {
			return 0, nil
		}
		if !bytes.Equal(buf[:11], copySignature) {
			return 0, fmt.Errorf("%w: copy stream has no binary signature", errMalformed)
		}
		if flags := binary.BigEndian.Uint32(buf[11:]); flags&copyHasOIDs != 0 {
			return 0, errors.New("copy stream carries oids")
		}
		ext := int(binary.BigEndian.Uint32(buf[15:]))
		if len(buf)-fixed < ext {
			return 0, nil
		}
		pos = fixed + ext
		d.header = true
	}
	for pos < len(buf) {
		if d.trailer {
			return 0, fmt.Errorf("%w: data after the copy trailer", errMalformed)
		}
		if len(buf)-pos < 2 {
			return pos, nil
		}
		nfields := int(int16(binary.BigEndian.Uint16(buf[pos:])))
		if nfields == -1 {
			d.trailer = true
			pos += 2
			continue
		}
		if nfields != len(d.columns) {
			return 0, fmt.Errorf("row %d has %d values for %d columns", d.row+1, nfields, len(d.columns))
		}
		// Find the tuple's end first, so that a tuple is appended whole
		// or, when split across messages, not at all yet.
		end := pos + 2
		for range nfields {
			if len(buf)-end < 4 {
				return pos, nil
			}
			l := int(int32(binary.BigEndian.Uint32(buf[end:])))
			end += 4
			if l > 0 {
				if len(buf)-end < l {
					return pos, nil
				}
				end += l
			}
		}
		d.row++
		at := pos + 2
		for i, c := range d.columns {
			l := int(int32(binary.BigEndian.Uint32(buf[at:])))
			at += 4
			if l < 0 {
				c.appendNull()
				continue
			}
			if err := c.appendValue(buf[at : at+l]); err != nil {
				return 0, fmt.Errorf("%s.%s: row %d: %w", d.name, d.cols[i].Name, d.row, err)
			}
			at += l
		}
		d.inBytes += end - pos
		pos = end
		d.inBatch++
		if d.inBatch == d.batchRows || d.inBytes >= d.batchBytes {
			if err := d.flush(d.inBatch); err != nil {
				return 0, err
			}
			d.inBatch, d.inBytes = 0, 0
		}
	}
	return pos, nil
}

// finish checks that the stream ended as a complete one.
func (d *copyDecoder) finish() error {
	if d.err != nil {
		return d.err
	}
	if !d.header || !d.trailer || len(d.carry) > 0 {
		return fmt.Errorf("%w: copy stream ended early", errMalformed)
	}
	return nil
}
