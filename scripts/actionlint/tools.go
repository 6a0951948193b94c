//go:build tools

// Package tools pins actionlint so that scripts/ensure-actionlint.sh can
// `go build` its main package (github.com/rhysd/actionlint/cmd/actionlint)
// from the Go module proxy, the only place this project's machines can get it
// from. `go mod tidy` keeps go.mod/go.sum complete for that build because of
// this import (build tags are ignored by tidy).
package tools

import (
	_ "github.com/rhysd/actionlint/cmd/actionlint"
)
