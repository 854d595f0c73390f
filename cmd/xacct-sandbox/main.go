// Command xacct-sandbox is xacct with the local three-account AWS (the
// sandbox and kumo) in the same binary: `xacct sandbox` runs it. make build
// puts it beside xacct in bin/; a user who only works on AWS needs only
// xacct.
package main

import (
	"os"

	"github.com/xacct/xacct/internal/cli"
	"github.com/xacct/xacct/internal/sandboxhost"
)

func main() { os.Exit(cli.MainWithSandbox(sandboxhost.Host{})) }
