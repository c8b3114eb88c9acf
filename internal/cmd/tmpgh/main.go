package main

import (
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/sigmagate/sigmagate/internal/prcomment/prcommenttest"
)

func main() {
	gh := prcommenttest.NewServer()
	fmt.Println(gh.URL)
	os.Stdout.Sync()
	c := make(chan os.Signal, 1)
	signal.Notify(c, os.Interrupt)
	for {
		select {
		case <-c:
			return
		case <-time.After(200 * time.Millisecond):
			cs := gh.Comments("octo", "repo", 7)
			if len(cs) > 0 {
				os.WriteFile("/tmp/render/comment.md", []byte(cs[len(cs)-1].Body), 0o644)
			}
		}
	}
}
