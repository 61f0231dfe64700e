// Command pgrelay is a plain TCP relay that exists only as the baseline of
// the Postgres gateway benchmark (make bench-pg): it copies bytes both ways
// with io.Copy and looks at none of them, so the gateway can be judged
// against the cost of merely being a process on the data path.
//
//	pgrelay -listen 127.0.0.1:0 -target 127.0.0.1:5432
//
// The first line on stdout is the address it listens on.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "`address` to listen on")
	target := flag.String("target", "", "`host:port` to relay to (required)")
	flag.Parse()
	if *target == "" {
		log.Fatal("pgrelay: -target is required")
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("pgrelay: listen: %v", err)
	}
	fmt.Println(ln.Addr())
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatalf("pgrelay: accept: %v", err)
		}
		go relay(c, *target)
	}
}

// relay copies c to a new connection to target and back until either side
// closes, then closes both.
func relay(c net.Conn, target string) {
	defer c.Close()
	up, err := net.Dial("tcp", target)
	if err != nil {
		log.Printf("pgrelay: dial %s: %v", target, err)
		return
	}
	defer up.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done
}
