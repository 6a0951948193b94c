//go:build tools

// Package tools pins the Pulumi CLI so that scripts/ensure-pulumi.sh can
// `go build` its main package (which lives in the dependency module
// github.com/pulumi/pulumi/pkg/v3) from the Go module proxy, the only place
// this project's machines can get it from. `go mod tidy` keeps go.mod/go.sum
// complete for that build because of this import (build tags are ignored by
// tidy). The Node.js language host is pinned separately in ./langhost.
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
