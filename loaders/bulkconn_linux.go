package loaders

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// A bulk result (PostgreSQL's COPY) comes as a stream of small socket
// writes: a PostgreSQL backend flushes every 8 KiB. A
// client that decodes faster than the server encodes catches up with
// the stream at every write, so each write wakes it: the reading thread
// parks, the runtime polls, the server's send pays for the wake-up. On
// two cores shared with the database (orders 10M, two connections) that
// was ~100K context switches a run, 1.4 s of lake's system CPU and 0.6 s
// more of the backends' CPU than DuckDB's reads cost them.
//
// A connection whose read has filled the caller's whole buffer is behind
// a bulk stream; from then on it asks the kernel (SO_RCVLOWAT) to wake it
// only when bulkLowWater bytes are waiting, and reads them in one go.
// Without more, the last bytes of a result, fewer than that, would never
// wake it: each read in that mode also waits at most bulkWait, after
// which the connection wakes on every byte again until it is behind
// once more. So the end of each result costs up to bulkWait.
//
// The MySQL loader does not use it: reading 2M orders-like rows from
// MariaDB, lake switched about 3,000 times in all, and took 2.1-2.2 s with
// it and without.
const (
	bulkLowWater = 256 << 10
	bulkWait     = time.Millisecond
	// bulkMinRead is the smallest buffer whose filling counts as being
	// behind a stream: a read into the last bytes of a buffer fills it
	// without saying much.
	bulkMinRead = 4 << 10
)

// bulkConn is a TCP connection that waits for bulkLowWater bytes once it
// is behind a bulk stream. It keeps the deadlines its caller sets (pgx
// sets one in the past to interrupt a read when a context is canceled)
// apart from its own short wait, and gives the socket the earlier of the
// two; its own wait never reaches the caller as an error.
//
// It embeds net.Conn rather than *net.TCPConn so that no method that reads
// around Read (TCPConn's WriteTo, used by io.Copy) is promoted.
type bulkConn struct {
	net.Conn
	raw syscall.RawConn

	// behind is true while the socket's low-water mark is bulkLowWater.
	// Only Read uses it, and a connection is read by one goroutine at a
	// time.
	behind bool

	mu             sync.Mutex // orders the socket's read deadline
	callerDeadline time.Time
	waitDeadline   time.Time
}

// BulkReads returns c, a TCP connection, with reads that wake for bulk
// results in runs of 256 KiB rather than at each of the server's writes;
// other connections are returned as they are.
func BulkReads(c net.Conn) net.Conn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	return &bulkConn{Conn: tc, raw: raw}
}

func (c *bulkConn) Read(p []byte) (int, error) {
	if c.behind {
		c.setWaitDeadline(time.Now().Add(bulkWait))
		n, err := c.Conn.Read(p)
		if !errors.Is(err, os.ErrDeadlineExceeded) || c.callerDeadlinePassed() {
			return n, err
		}
		// Fewer than bulkLowWater bytes came in bulkWait: the end of a
		// result, or a server slower than that. Wake on every byte.
		c.setWaitDeadline(time.Time{})
		if err := c.setLowWater(1); err != nil {
			return 0, err
		}
		c.behind = false
	}
	n, err := c.Conn.Read(p)
	if err == nil && n == len(p) && n >= bulkMinRead && c.setLowWater(bulkLowWater) == nil {
		c.behind = true
	}
	return n, err
}

func (c *bulkConn) setLowWater(bytes int) error {
	var serr error
	err := c.raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVLOWAT, bytes)
	})
	if err = errors.Join(err, serr); err != nil {
		return fmt.Errorf("set the socket's low-water mark to %d bytes: %w", bytes, err)
	}
	return nil
}

func (c *bulkConn) SetDeadline(t time.Time) error {
	if err := c.Conn.SetWriteDeadline(t); err != nil {
		return err
	}
	return c.SetReadDeadline(t)
}

func (c *bulkConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.callerDeadline = t
	return c.applyReadDeadline()
}

func (c *bulkConn) setWaitDeadline(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waitDeadline = t
	// An error here is the connection's: the read that follows returns it.
	_ = c.applyReadDeadline()
}

// applyReadDeadline gives the socket the earlier of the caller's deadline
// and the wait's (zero: none). c.mu is held, so a deadline the caller
// sets from another goroutine is never overwritten by an older one.
func (c *bulkConn) applyReadDeadline() error {
	d := c.callerDeadline
	if w := c.waitDeadline; !w.IsZero() && (d.IsZero() || w.Before(d)) {
		d = w
	}
	return c.Conn.SetReadDeadline(d)
}

func (c *bulkConn) callerDeadlinePassed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.callerDeadline.IsZero() && !time.Now().Before(c.callerDeadline)
}
