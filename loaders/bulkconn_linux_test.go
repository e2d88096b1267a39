package loaders

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// bulkPair returns the two ends of a loopback TCP connection, the
// client's wrapped by BulkReads.
func bulkPair(t *testing.T) (server net.Conn, client *bulkConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			t.Error(err)
		}
		accepted <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.FailNow()
	}
	t.Cleanup(func() { server.Close(); c.Close() })
	bc, ok := BulkReads(c).(*bulkConn)
	if !ok {
		t.Fatalf("BulkReads(%T) did not wrap the TCP connection", c)
	}
	return server, bc
}

// lowWater reads the socket's SO_RCVLOWAT back from the kernel.
func lowWater(t *testing.T, c *bulkConn) int {
	t.Helper()
	var v int
	var serr error
	if err := c.raw.Control(func(fd uintptr) {
		v, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVLOWAT)
	}); err != nil || serr != nil {
		t.Fatal(err, serr)
	}
	return v
}

// behindStream sends more than one 8 KiB read and reads the first 8 KiB of
// it: the read fills its buffer, so the client is behind; then it reads
// the rest, so that nothing is waiting.
func behindStream(t *testing.T, server net.Conn, c *bulkConn) {
	t.Helper()
	if _, err := server.Write(make([]byte, 64<<10)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // all of it in the client's socket
	buf := make([]byte, 8<<10)
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatal(err)
	}
	if got := lowWater(t, c); got != bulkLowWater {
		t.Fatalf("after a full read the low-water mark is %d bytes, want %d", got, bulkLowWater)
	}
	if _, err := io.ReadFull(c, make([]byte, 56<<10)); err != nil {
		t.Fatal(err)
	}
}

// The last bytes of a stream, fewer than the low-water mark, must not wait
// for more that never comes: the server keeps the connection open, as
// PostgreSQL does after a COPY.
func TestBulkReadsGetTheTailOfAStream(t *testing.T) {
	server, c := bulkPair(t)
	want := make([]byte, 2<<20+6)
	for i := range want {
		want[i] = byte(i * 7)
	}
	caughtUp := make(chan struct{})
	go func() {
		for b := want; len(b) > 0; {
			if len(b) == 6 {
				// The end of a result comes once the client has read
				// the bulk of it and waits.
				<-caughtUp
				time.Sleep(10 * time.Millisecond)
			}
			n := min(len(b), 8<<10)
			if _, err := server.Write(b[:n]); err != nil {
				t.Error(err)
				return
			}
			b = b[n:]
		}
	}()
	time.Sleep(20 * time.Millisecond) // the client starts behind the stream
	// A caller's deadline far beyond bulkWait: reaching it is the failure.
	if err := c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	buf := make([]byte, 8<<10)
	wasBehind := false
	for got.Len() < len(want) {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("after %d of %d bytes: %v", got.Len(), len(want), err)
		}
		got.Write(buf[:n])
		wasBehind = wasBehind || c.behind
		if got.Len() == len(want)-6 {
			close(caughtUp)
		}
	}
	if !wasBehind {
		t.Fatal("the client never waited for a run of bytes")
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatal("the bytes read differ from those sent")
	}
	if got := lowWater(t, c); got != 1 {
		t.Fatalf("after the tail the low-water mark is %d bytes, want 1", got)
	}
}

// A pause longer than bulkWait in the middle of a stream is not an error.
func TestBulkReadsWaitOutAPause(t *testing.T) {
	server, c := bulkPair(t)
	behindStream(t, server, c)
	go func() {
		time.Sleep(50 * time.Millisecond)
		_, _ = server.Write([]byte("0123456789"))
	}()
	// Reaching this deadline is the failure: waiting for a run of bytes
	// that never comes.
	if err := c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8<<10)
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != "0123456789" {
		t.Fatalf("Read after a pause = %q, %v", buf[:n], err)
	}
	if got := lowWater(t, c); got != 1 {
		t.Fatalf("after waiting the low-water mark is %d bytes, want 1", got)
	}
}

// The caller's deadline still ends a read, and no earlier: the short wait
// of a connection behind a stream never reaches the caller.
func TestBulkReadsKeepTheCallersDeadline(t *testing.T) {
	server, c := bulkPair(t)
	behindStream(t, server, c)
	start := time.Now()
	if err := c.SetReadDeadline(start.Add(100 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	_, err := c.Read(make([]byte, 8<<10))
	if took := time.Since(start); !errors.Is(err, os.ErrDeadlineExceeded) || took < 90*time.Millisecond {
		t.Fatalf("Read with a deadline 100ms away: %v after %v", err, took)
	}

	// pgx interrupts a read by setting a deadline in the past from
	// another goroutine when the query's context is canceled.
	if err := c.SetDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	behindStream(t, server, c)
	go func() {
		time.Sleep(50 * time.Millisecond)
		_ = c.SetDeadline(time.Unix(1, 0))
	}()
	start = time.Now()
	_, err = c.Read(make([]byte, 8<<10))
	if took := time.Since(start); !errors.Is(err, os.ErrDeadlineExceeded) || took > 5*time.Second {
		t.Fatalf("Read interrupted by a past deadline: %v after %v", err, took)
	}
}

func TestBulkReadsLeaveOtherConnectionsAlone(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if got := BulkReads(a); got != a {
		t.Fatalf("BulkReads(net.Pipe) = %T, want the connection itself", got)
	}
}
