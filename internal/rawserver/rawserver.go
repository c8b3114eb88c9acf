// Package rawserver serves tests that need a peer on 127.0.0.1 which speaks
// raw TCP rather than HTTP: a server that answers another protocol, breaks
// off, drips, or echoes what it was sent where net/http would quote it; and
// a self-signed certificate for a TLS peer no client trusts. It imports
// nothing of the project, so any test package may use it, sigmamind's too.
package rawserver

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"testing"
	"time"
)

// deadline bounds each connection, so that a stuck client cannot hold a
// test's goroutine for ever; it is longer than any client timeout the tests
// set, so it never decides how a test ends.
const deadline = 30 * time.Second

// Serve listens on 127.0.0.1 until the test ends and hands each connection
// to serve. It returns the server's http:// URL.
func Serve(t testing.TB, serve func(c net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(deadline))
				serve(c)
			}()
		}
	}()
	return "http://" + l.Addr().String()
}

// Reply answers every connection with reply, whatever was asked, and
// closes it: a server that speaks something else, or breaks off.
func Reply(t testing.TB, reply string) string {
	t.Helper()
	return Serve(t, func(c net.Conn) {
		c.Read(make([]byte, 4096)) // the request, or enough of it
		io.WriteString(c, reply)
	})
}

// AfterHead answers every connection with serve once the request's head
// (up to its blank line) is read.
func AfterHead(t testing.TB, serve func(c net.Conn)) string {
	t.Helper()
	return Serve(t, func(c net.Conn) {
		r := bufio.NewReader(c)
		for {
			if line, err := r.ReadString('\n'); err != nil || line == "\r\n" {
				break
			}
		}
		serve(c)
	})
}

// EchoKey answers every connection with what answer makes of the request's
// X-API-Key, whatever HTTP says: a server, or something in between, that
// echoes the key where net/http quotes it in an error.
func EchoKey(t testing.TB, answer func(key string) string) string {
	t.Helper()
	return Serve(t, func(c net.Conn) {
		r := textproto.NewReader(bufio.NewReader(c))
		if _, err := r.ReadLine(); err != nil {
			return
		}
		h, err := r.ReadMIMEHeader()
		if err != nil {
			return
		}
		fmt.Fprint(c, answer(h.Get("X-API-Key")))
	})
}

// FreeAddr returns a loopback host:port where nothing listens, so that a
// dial there is refused.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
