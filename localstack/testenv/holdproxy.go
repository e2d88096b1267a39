package testenv

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"
)

// HoldProxy is a TCP proxy on 127.0.0.1 in front of a server that holds
// back the first bytes a client sends containing a marker, until Release.
// A test then knows the client has sent a statement the server has not
// seen, and can change the world between two statements of one session.
// The marker is looked for in each read of the client's bytes, which for a
// PostgreSQL client is one or more whole messages.
type HoldProxy struct {
	// Addr is the proxy's host:port.
	Addr string
	// Held is closed once the marked bytes are held.
	Held chan struct{}

	marker      []byte
	release     chan struct{}
	holdOnce    sync.Once
	releaseOnce sync.Once
}

// NewHoldProxy starts a proxy to target (host:port) for the test.
func NewHoldProxy(t testing.TB, target, marker string) *HoldProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &HoldProxy{Addr: ln.Addr().String(), Held: make(chan struct{}), marker: []byte(marker), release: make(chan struct{})}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	track := func(c net.Conn) {
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
	}
	t.Cleanup(func() {
		p.Release()
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			track(c)
			track(up)
			wg.Go(func() {
				// The server's bytes, and its end of the session, go back
				// as they come.
				_, _ = io.Copy(c, up)
				c.Close()
			})
			wg.Go(func() {
				p.forward(up, c)
				up.Close()
			})
		}
	})
	return p
}

// Release lets held bytes, and any after them, through.
func (p *HoldProxy) Release() { p.releaseOnce.Do(func() { close(p.release) }) }

func (p *HoldProxy) forward(dst io.Writer, src io.Reader) {
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if bytes.Contains(buf[:n], p.marker) {
				p.holdOnce.Do(func() {
					close(p.Held)
					<-p.release
				})
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
