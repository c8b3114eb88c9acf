module github.com/sigmagate/sigmagate

go 1.25.0

require (
	github.com/google/go-cmp v0.7.0
	github.com/google/go-github/v75 v75.0.0
	github.com/sethvargo/go-envconfig v1.4.3
	github.com/sethvargo/go-githubactions v1.3.1
	gonum.org/v1/gonum v0.17.0
)

require github.com/google/go-querystring v1.1.0 // indirect
