package testenv

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Fault is what a FaultProxy does to one request.
type Fault int

const (
	Pass      Fault = iota // forward untouched
	SlowDown               // answer 503 SlowDown without forwarding
	Reset                  // close the connection without an answer
	Slow                   // forward after a delay
	ServerErr              // answer 500 InternalError without forwarding
)

// FaultProxy is an HTTP proxy on 127.0.0.1 in front of a server, which
// injects faults into the requests it forwards. Decide picks the fault of
// request number n (from 1); it is called from many goroutines.
type FaultProxy struct {
	URL      string
	Requests atomic.Int64
	Faults   atomic.Int64
	Decide   func(n int64) Fault
	Delay    time.Duration
}

// NewFaultProxy starts a proxy to target (http://host:port) for the test.
func NewFaultProxy(t testing.TB, target string, decide func(n int64) Fault) *FaultProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &FaultProxy{URL: "http://" + ln.Addr().String(), Decide: decide, Delay: 300 * time.Millisecond}
	targetHost := target[len("http://"):]
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close() // idle keep-alive connections
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				p.serve(c, targetHost)
			}()
		}
	}()
	return p
}

func (p *FaultProxy) serve(c net.Conn, target string) {
	defer c.Close()
	br := bufio.NewReader(c)
	up, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer up.Close()
	ur := bufio.NewReader(up)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		// Ask for the body now, so that the client sends it whatever this
		// proxy then does with the request.
		if req.Header.Get("Expect") == "100-continue" {
			req.Header.Del("Expect")
			if _, err := io.WriteString(c, "HTTP/1.1 100 Continue\r\n\r\n"); err != nil {
				return
			}
		}
		n := p.Requests.Add(1)
		f := p.Decide(n)
		if f != Pass {
			p.Faults.Add(1)
		}
		switch f {
		case Reset:
			io.Copy(io.Discard, req.Body)
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
			return
		case SlowDown, ServerErr:
			io.Copy(io.Discard, req.Body)
			code, name := 503, "SlowDown"
			if f == ServerErr {
				code, name = 500, "InternalError"
			}
			body := "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + name + "</Code><Message>injected by the test</Message></Error>"
			resp := &http.Response{StatusCode: code, ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{"Content-Type": {"application/xml"}},
				ContentLength: int64(len(body)), Body: io.NopCloser(strings.NewReader(body))}
			if resp.Write(c) != nil {
				return
			}
			continue
		case Slow:
			time.Sleep(p.Delay)
		}
		if err := req.Write(up); err != nil {
			return
		}
		resp, err := http.ReadResponse(ur, req)
		if err != nil {
			return
		}
		err = resp.Write(c)
		resp.Body.Close()
		if err != nil {
			return
		}
	}
}
