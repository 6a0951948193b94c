//go:build tools

// Package tools pins the Node.js language host (pulumi-language-nodejs) for
// scripts/ensure-pulumi.sh.
//
// Since ~v3.69 the language host is its own Go module,
// github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3, which has
// no version tags; the Go module proxy refuses every pseudo-version of it
// (403 "This module version is not available"). sdk/v3 v3.68.0 is the newest
// release that still ships the language host as a package inside the sdk
// module, so it is pinned here, in a module of its own (the CLI module needs
// sdk/v3 v3.248.0).
package tools

import (
	_ "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"
)
